// Which BuildKit cache records hold the layers of a run's image, when no mark names them.
// Pure: the engine's lists in, record ids out.
//
// A stage with no RUN leaves records nothing names: the final stage of a multi-stage rung
// (COPY --from on the base) and above all a FROM scratch stage, whose COPY record has no parent
// and is described "fileop target" whatever it copies (BuildKit 0.8 in dockerd 20.10: every
// file operation's record is). That record holds the image's layer: removing the image frees
// nothing while it stays (`clean` printed "freed 0B" after removing a 35 MB `minimal` image).
// While the image exists the engine lists the record as shared (its snapshot backs an image).
// A record is taken as the image's when
//   - it is shared, and no run's mark (run-marks.ts) reaches it,
//   - it was made while the image was built (between the image's first BuildKit step and the
//     image itself, a few seconds of slack for the engine's clock granularity),
//   - its size is exactly the size of one of the layers that build added (a record's size is
//     its own diff, as the image history's layer size is),
// and then the records built on it (the WORKDIR and COPY steps after it: their cache keys
// include it). They are taken while the image exists and pruned once it is gone. Pruning never
// touches an image: when another image holds the same layer (the scratch rungs' layers are
// byte-reproducible, so two runs' minimal images share theirs), the layer stays with it and the
// engine still lists the record as shared. Another build's record would need a layer of exactly
// that size made in the same seconds to be taken.
import { runCacheRecords } from "../ladder/run-marks.js";
import type { CacheRecord } from "./engine.js";

/** A cache record with the time the engine made it. */
export interface DatedRecord extends CacheRecord {
  /** Epoch milliseconds. */
  createdAt: number;
}

/** One entry of an image's history (GET /images/{id}/history). */
export interface HistoryEntry {
  /** Epoch seconds, as the engine gives them. */
  created: number;
  /** The layer's bytes (0 for a metadata step). */
  size: number;
  /** "buildkit.dockerfile.v0" for a step BuildKit built. */
  comment: string;
}

/** The engine's clock is read to the second in image histories. */
const SLACK_MS = 3000;

/**
 * The records that hold the layers of an image BuildKit built and that no mark names (see the
 * file comment). `imageCreated` is the image's Created, epoch milliseconds.
 */
export function imageRecords<T extends DatedRecord>(
  records: readonly T[],
  history: readonly HistoryEntry[],
  imageCreated: number,
): T[] {
  const built = history.filter((h) => h.comment === "buildkit.dockerfile.v0");
  if (built.length === 0) return [];
  const from = Math.min(...built.map((h) => h.created * 1000)) - SLACK_MS;
  const until = imageCreated + SLACK_MS;
  const sizes = new Set(built.filter((h) => h.size > 0).map((h) => h.size));
  const named = new Set(runCacheRecords(records).map((r) => r.id));
  const seeds = records.filter(
    (r) =>
      r.shared &&
      !named.has(r.id) &&
      r.bytes > 0 &&
      sizes.has(r.bytes) &&
      r.createdAt >= from &&
      r.createdAt <= until &&
      !/^(from local|pulled from)\b/.test(r.description),
  );
  const children = new Map<string, T[]>();
  for (const r of records) {
    if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  }
  const taken = new Set<string>();
  const down = [...seeds];
  while (down.length) {
    const r = down.pop()!;
    if (taken.has(r.id) || named.has(r.id)) continue;
    taken.add(r.id);
    down.push(...(children.get(r.id) ?? []));
  }
  return records.filter((r) => taken.has(r.id));
}

/**
 * The bytes that removing a run's images left in the build cache: of the run's records (`ours`:
 * marked, or holding its images' layers), those that backed an image before and back none now,
 * still there (kept with --keep-cache). Other records are left out: other users remove their
 * images at the same time.
 */
export function heldByCache(
  before: readonly CacheRecord[],
  after: readonly CacheRecord[],
  ours: ReadonlySet<string>,
): { records: number; bytes: number } {
  const wasShared = new Set(before.filter((r) => r.shared && ours.has(r.id)).map((r) => r.id));
  const held = after.filter((r) => wasShared.has(r.id) && !r.shared);
  return { records: held.length, bytes: held.reduce((n, r) => n + Math.max(0, r.bytes), 0) };
}
