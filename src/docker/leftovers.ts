// What runs leave on an engine, and removing it: containers and images by the run label,
// BuildKit cache records by the marks of ladder/run-marks.ts. The bytes come from the engine:
// /system/df for what would go, the prune endpoints' SpaceReclaimed for what went.
import type Docker from "dockerode";
import { RUN_LABEL } from "../ladder/plan.js";
import { runCacheRecords } from "../ladder/run-marks.js";
import type { CacheRecord, LeftoverScope, Leftovers, Removed } from "./engine.js";

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

function cacheRecords(df: DiskUsage): CacheRecord[] {
  return (df.BuildCache ?? []).map((r) => ({
    id: r.ID,
    parent: r.Parent || r.Parents?.[0] || undefined,
    description: r.Description ?? "",
    type: r.Type,
    inUse: r.InUse,
    shared: r.Shared,
    bytes: r.Size,
  }));
}

const diskUsage = (docker: Docker) => once(() => dial<DiskUsage>(docker, "/system/df", "GET", {}));

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
  return { images, containers, buildCache: runCacheRecords(cacheRecords(df), scope.runId) };
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

export async function removeLeftovers(
  docker: Docker,
  scope: LeftoverScope,
  what: { images: boolean; cache: boolean },
): Promise<Removed> {
  const filters = { label: [labelFilter(scope)] };
  const removed: Removed = { images: [], containers: [], buildCache: [], bytes: 0 };
  const containers = await docker.listContainers({ all: true, size: true, filters });
  for (const c of containers) {
    try {
      await docker.getContainer(c.Id).remove({ force: true });
      removed.containers.push(c.Id);
      removed.bytes += (c as { SizeRw?: number }).SizeRw ?? 0;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) throw e;
    }
  }
  if (what.images) {
    const before = await docker.listImages({ all: false, filters });
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
    removed.images.push(...before.map((i) => i.Id));
  }
  if (what.cache) {
    const records = runCacheRecords(cacheRecords(await diskUsage(docker)), scope.runId);
    if (records.length) {
      const pruned = await pruneCacheRecords(
        docker,
        records.map((r) => r.id),
      );
      removed.buildCache.push(...pruned.ids);
      removed.bytes += pruned.bytes;
    }
  }
  return removed;
}
