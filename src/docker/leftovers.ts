// What runs leave on an engine, and removing it: containers and images by the run label,
// BuildKit cache records by the marks of ladder/run-marks.ts and, for the records of a stage
// no mark reaches, by the image whose layers they hold (image-records.ts). The bytes come from
// the engine: /system/df for what would go, the prune endpoints' SpaceReclaimed for what went.
import type Docker from "dockerode";
import { RUN_LABEL } from "../ladder/plan.js";
import { runCacheRecords } from "../ladder/run-marks.js";
import { unpackedContextRecords, type ContextBuild } from "./context-records.js";
import type { LeftoverScope, Leftovers, Removed } from "./engine.js";
import { heldByCache, imageRecords, type DatedRecord, type HistoryEntry } from "./image-records.js";

interface DiskUsage {
  Images?: {
    Id: string;
    RepoTags?: string[] | null;
    Size: number;
    SharedSize: number;
    Labels?: Record<string, string> | null;
  }[];
  Containers?: {
    Id: string;
    Names?: string[];
    Labels?: Record<string, string> | null;
    SizeRw?: number;
    State?: string;
  }[];
  BuildCache?: {
    ID: string;
    Parent?: string;
    Parents?: string[];
    Type: string;
    Description: string;
    InUse: boolean;
    Shared: boolean;
    Size: number;
    CreatedAt?: string;
  }[];
}

interface PruneReport {
  ImagesDeleted?: { Deleted?: string; Untagged?: string }[] | null;
  CachesDeleted?: string[] | null;
  SpaceReclaimed?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function messageOf(e: unknown): string {
  const err = e as { json?: { message?: string }; message?: string };
  return err.json?.message ?? err.message ?? String(e);
}

/**
 * The engine runs one disk usage computation and one prune of a kind at a time, and answers
 * the others "already running": another tool (or another shrinkbench) may be at it. Wait.
 */
async function once<T>(what: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await what();
    } catch (e) {
      if (attempt >= 20 || !/already running/i.test(messageOf(e))) throw e;
      await sleep(250 + attempt * 250);
    }
  }
}

function dial<T>(
  docker: Docker,
  path: string,
  method: "GET" | "POST",
  options: Record<string, unknown>,
): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    docker.modem.dial(
      {
        // The "?" makes docker-modem append the options as the query string.
        path: `${path}?`,
        method,
        options,
        statusCodes: { 200: true, 400: "bad parameter", 409: "conflict", 500: "server error" },
      },
      (err, data) => (err ? reject(err) : resolve(data as T)),
    ),
  );
}

const labelFilter = (scope: LeftoverScope) =>
  scope.runId ? `${RUN_LABEL}=${scope.runId}` : RUN_LABEL;

function ofScope(labels: Record<string, string> | null | undefined, scope: LeftoverScope) {
  const run = labels?.[RUN_LABEL];
  return run !== undefined && (scope.runId === undefined || run === scope.runId) ? run : undefined;
}

function cacheRecords(df: DiskUsage): DatedRecord[] {
  return (df.BuildCache ?? []).map((r) => ({
    id: r.ID,
    parent: r.Parent || r.Parents?.[0] || undefined,
    description: r.Description ?? "",
    type: r.Type,
    inUse: r.InUse,
    shared: r.Shared,
    bytes: r.Size,
    createdAt: r.CreatedAt ? Date.parse(r.CreatedAt) : 0,
  }));
}

/**
 * The engine's disk usage; `buildCacheOnly` asks for the build cache alone (API 1.42 and later
 * skip computing the sizes of images, containers and volumes; older engines ignore the field).
 */
const diskUsage = (docker: Docker, buildCacheOnly = false) =>
  once(() =>
    dial<DiskUsage>(docker, "/system/df", "GET", buildCacheOnly ? { type: ["build-cache"] } : {}),
  );

/** The cache records holding the layers of one image that no mark names (image-records.ts). */
async function recordsOfImage(
  docker: Docker,
  imageId: string,
  records: readonly DatedRecord[],
): Promise<DatedRecord[]> {
  try {
    const image = docker.getImage(imageId);
    const [info, history] = await Promise.all([
      image.inspect(),
      image.history() as Promise<{ Created: number; Size: number; Comment?: string }[]>,
    ]);
    const entries: HistoryEntry[] = history.map((h) => ({
      created: h.Created,
      size: h.Size,
      comment: h.Comment ?? "",
    }));
    return imageRecords(records, entries, Date.parse(info.Created));
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return [];
    throw e;
  }
}

/**
 * Before an image of a run is removed (the runner removes each rung's image once measured): the
 * records holding its layers that no mark names, for the run's end to prune.
 */
export async function imageRecordIds(docker: Docker, imageId: string): Promise<string[]> {
  const records = cacheRecords(await diskUsage(docker, true));
  return (await recordsOfImage(docker, imageId, records)).map((r) => r.id);
}

/** The run's records: marked (and their lineage), and those holding its images' layers. */
async function scopeRecords(
  docker: Docker,
  df: DiskUsage,
  scope: LeftoverScope,
  imageIds: readonly string[],
): Promise<{ marked: DatedRecord[]; ofImages: DatedRecord[] }> {
  const records = cacheRecords(df);
  const marked = runCacheRecords(records, scope.runId);
  const seen = new Set(marked.map((r) => r.id));
  const ofImages: DatedRecord[] = [];
  for (const id of imageIds) {
    for (const r of await recordsOfImage(docker, id, records)) {
      if (!seen.has(r.id)) {
        seen.add(r.id);
        ofImages.push(r);
      }
    }
  }
  return { marked, ofImages };
}

export async function listLeftovers(docker: Docker, scope: LeftoverScope): Promise<Leftovers> {
  const df = await diskUsage(docker);
  const images = (df.Images ?? []).flatMap((i) => {
    const run = ofScope(i.Labels, scope);
    if (run === undefined) return [];
    const tags = (i.RepoTags ?? []).filter((t) => t !== "<none>:<none>");
    // SharedSize: the bytes of layers another image also uses, which removing this one keeps.
    return [{ id: i.Id, tags, run, bytes: i.SharedSize >= 0 ? i.Size - i.SharedSize : i.Size }];
  });
  const containers = (df.Containers ?? []).flatMap((c) => {
    const run = ofScope(c.Labels, scope);
    if (run === undefined) return [];
    const name = (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, "");
    return [{ id: c.Id, name, run, bytes: c.SizeRw ?? 0, running: c.State === "running" }];
  });
  const { marked, ofImages } = await scopeRecords(
    docker,
    df,
    scope,
    images.map((i) => i.id),
  );
  return { images, containers, buildCache: [...marked, ...ofImages] };
}

/**
 * Prunes build cache records by id, a batch per request (the id filter takes one regular
 * expression). A record goes only once nothing is built on it, so parents go in later rounds.
 * dockerode's pruneBuilder drops its options (and would prune the whole cache): the request is
 * made here.
 */
export async function pruneCacheRecords(
  docker: Docker,
  ids: readonly string[],
): Promise<{ ids: string[]; bytes: number }> {
  const left = new Set(ids.filter((id) => /^[A-Za-z0-9]+$/.test(id)));
  const gone: string[] = [];
  let bytes = 0;
  while (left.size) {
    let progressed = false;
    const all = [...left];
    for (let i = 0; i < all.length; i += 40) {
      const batch = all.slice(i, i + 40);
      const report = await once(() =>
        dial<PruneReport>(docker, "/build/prune", "POST", {
          // all: without it the engine skips a record whose layer an image holds, and a layer
          // that two runs' images share (reproducible layers) is held while either exists. The
          // image keeps its layer either way: only the record goes.
          all: true,
          filters: { id: [`^(${batch.join("|")})$`] },
        }),
      );
      for (const id of report.CachesDeleted ?? []) {
        if (left.delete(id)) {
          gone.push(id);
          progressed = true;
        }
      }
      bytes += report.SpaceReclaimed ?? 0;
    }
    if (!progressed) break;
  }
  return { ids: gone, bytes };
}

/**
 * What this process knows of its runs' records beyond the marks, by run id: records that held
 * the layers of images removed before (imageRecordIds), and the builds of the contexts it served
 * (context-records.ts). Process-wide, so that whichever code removes a run's leftovers (the end
 * of `run`, a test's clean-up) finds them; it dies with the process, as the evidence does.
 */
const known = {
  ofImages: new Map<string, Set<string>>(),
  contexts: new Map<string, ContextBuild[]>(),
};

/** A served context's build, for its unpacked copy to go with the run's leftovers. */
export function noteServedContext(runId: string, build: ContextBuild): void {
  known.contexts.set(runId, [...(known.contexts.get(runId) ?? []), build]);
}

/** Records holding the layers of a run's image about to be removed (imageRecordIds). */
export function noteImageRecords(runId: string, ids: readonly string[]): void {
  const set = known.ofImages.get(runId) ?? new Set<string>();
  ids.forEach((id) => set.add(id));
  known.ofImages.set(runId, set);
}

/** The runs of the scope this process knows records of. */
function knownRuns(scope: LeftoverScope): string[] {
  return [...new Set([...known.ofImages.keys(), ...known.contexts.keys()])].filter(
    (run) => scope.runId === undefined || run === scope.runId,
  );
}

/**
 * Removes a run's (or every run's) containers, images unless told otherwise, and cache records
 * unless told otherwise: the marked ones, those that held the layers of its images (of the
 * images removed here, and of those removed before) once the images are gone, and the unpacked
 * copies of the contexts it served.
 */
export async function removeLeftovers(
  docker: Docker,
  scope: LeftoverScope,
  what: { images: boolean; cache: boolean },
): Promise<Removed> {
  const runs = knownRuns(scope);
  const filters = { label: [labelFilter(scope)] };
  const removed: Removed = {
    images: [],
    containers: [],
    buildCache: [],
    bytes: 0,
    held: { records: 0, bytes: 0 },
  };
  const before = await diskUsage(docker, true);
  const ofImages = new Set(runs.flatMap((run) => [...(known.ofImages.get(run) ?? [])]));
  const contexts = runs.flatMap((run) => known.contexts.get(run) ?? []);
  const containers = await docker.listContainers({ all: true, size: true, filters });
  for (const c of containers) {
    try {
      await docker.getContainer(c.Id).remove({ force: true, v: true });
      removed.containers.push(c.Id);
      removed.bytes += (c as { SizeRw?: number }).SizeRw ?? 0;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) throw e;
    }
  }
  if (what.images) {
    const listed = await docker.listImages({ all: false, filters });
    const found = await scopeRecords(
      docker,
      before,
      scope,
      listed.map((i) => i.Id),
    );
    for (const r of found.ofImages) ofImages.add(r.id);
    // The engine's own prune of unused images with the label, tagged or not, reports the bytes
    // it freed (untagged parents included); an image another container still uses stays.
    const report = await once(() =>
      dial<PruneReport>(docker, "/images/prune", "POST", {
        filters: { ...filters, dangling: ["false"] },
      }),
    );
    removed.bytes += report.SpaceReclaimed ?? 0;
    // What the prune would not take (an image tagged twice, say): removed as before.
    for (const img of await docker.listImages({ all: false, filters })) {
      try {
        await docker.getImage(img.Id).remove({ force: true });
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 404) throw e;
      }
    }
    removed.images.push(...listed.map((i) => i.Id));
  }
  const after = cacheRecords(await diskUsage(docker, true));
  if (what.cache) {
    const ids = new Set([
      ...runCacheRecords(after, scope.runId).map((r) => r.id),
      ...after.filter((r) => ofImages.has(r.id)).map((r) => r.id),
      ...unpackedContextRecords(after, contexts).map((r) => r.id),
    ]);
    if (ids.size) {
      const pruned = await pruneCacheRecords(docker, [...ids]);
      removed.buildCache.push(...pruned.ids);
      removed.bytes += pruned.bytes;
    }
    for (const run of runs) {
      known.ofImages.delete(run);
      known.contexts.delete(run);
    }
  }
  const gone = new Set(removed.buildCache);
  const beforeRecords = cacheRecords(before);
  const ours = new Set([
    ...runCacheRecords(beforeRecords, scope.runId).map((r) => r.id),
    ...ofImages,
  ]);
  removed.held = heldByCache(
    beforeRecords,
    after.filter((r) => !gone.has(r.id)),
    ours,
  );
  return removed;
}
