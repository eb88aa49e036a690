// The cache record of a build's unpacked context. Pure: the engine's list in, records out.
//
// BuildKit copies the context tar it fetched into a record of its own (the dockerfile
// frontend's "copy /context /"): no parent, described "fileop target" like every copy, so no
// mark can name it. Its size is the bytes of the context's regular files, exactly. A run that
// served the context (context-url.ts) knows those bytes and when the build ran: a record with
// no parent that backs no image, no mark names, made during one of its builds, of exactly that
// size, is the run's. (An uploaded context is streamed, never counted: its record stays.)
import { runCacheRecords } from "../ladder/run-marks.js";
import type { DatedRecord } from "./image-records.js";

/** One build of a served context: when it ran (epoch ms) and its regular files' bytes. */
export interface ContextBuild {
  from: number;
  until: number;
  fileBytes: number;
}

/** The engine's clock and ours, and record creation against the request: some slack. */
const SLACK_MS = 2000;

export function unpackedContextRecords<T extends DatedRecord>(
  records: readonly T[],
  builds: readonly ContextBuild[],
): T[] {
  if (builds.length === 0) return [];
  const named = new Set(runCacheRecords(records).map((r) => r.id));
  return records.filter(
    (r) =>
      !r.parent &&
      !r.shared &&
      r.description === "fileop target" &&
      !named.has(r.id) &&
      builds.some(
        (b) =>
          r.bytes === b.fileBytes &&
          r.createdAt >= b.from - SLACK_MS &&
          r.createdAt <= b.until + SLACK_MS,
      ),
  );
}
