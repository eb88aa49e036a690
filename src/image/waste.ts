// Wasted bytes and efficiency. Definitions (docs/inspect.md has them in full):
//
// For every path, each version a layer writes (a non-directory entry) is one observation of
// its size, and each deletion of the path (a whiteout of it or of a directory above it, an
// opaque directory above it, or its parent replaced by a non-directory) is one observation
// of the size it deleted. Per path: cumulative = Σ observations, minimum = the smallest.
//
//   wasted     = Σ over paths of (cumulative − minimum)
//   efficiency = Σ minimum / Σ cumulative           (dive's formula; 1 when there are no files)
//
// dive reports Σ cumulative of the paths seen more than once as "wasted", which counts the
// copy that is needed too (its issue #684); `wasted` here does not. Also reported:
//
// dive's own numbers are computed too (`dive`), from dive's own observations (layers.ts:
// a deleted directory is one observation of the bytes under it), so that a gate can say
// where dive's formula would have reached another verdict. dive's "user wasted percent"
// divides its wasted bytes by the bytes of every layer above the first (`userSizeBytes`).
//
//   hidden     = bytes stored in layers that the final image does not show (deleted or
//                overwritten later): exactly what squashing the image would reclaim.

import type { StackWalk } from "./layers.js";
import type { WastePath, WasteSummary } from "./types.js";

export function wasteSummary(walk: StackWalk, top = 20): WasteSummary {
  let cumulativeBytes = 0;
  let minimumBytes = 0;
  const wasteful: WastePath[] = [];
  for (const [path, stat] of walk.paths) {
    cumulativeBytes += stat.cumulative;
    minimumBytes += stat.minimum;
    if (stat.count > 1 && stat.cumulative > stat.minimum) {
      wasteful.push({
        path,
        count: stat.count,
        cumulativeBytes: stat.cumulative,
        minimumBytes: stat.minimum,
        wastedBytes: stat.cumulative - stat.minimum,
      });
    }
  }
  let hiddenBytes = 0;
  for (const h of walk.deleted.values()) hiddenBytes += h.total;
  for (const h of walk.overwritten.values()) hiddenBytes += h.total;
  wasteful.sort((a, b) => b.wastedBytes - a.wastedBytes || (a.path < b.path ? -1 : 1));
  const userSizeBytes = walk.layers.slice(1).reduce((s, l) => s + l.sizeBytes, 0);
  const wastedBytes = cumulativeBytes - minimumBytes;
  const efficiency = cumulativeBytes === 0 ? 1 : minimumBytes / cumulativeBytes;
  let diveWastedBytes = 0;
  let diveCumulative = 0;
  let diveMinimum = 0;
  for (const stat of walk.divePaths.values()) {
    diveCumulative += stat.cumulative;
    diveMinimum += stat.minimum;
    if (stat.count > 1) diveWastedBytes += stat.cumulative;
  }
  return {
    wastedBytes,
    efficiency,
    cumulativeBytes,
    minimumBytes,
    hiddenBytes,
    topPaths: wasteful.slice(0, top),
    userSizeBytes,
    userWastedRatio: ratioOf(wastedBytes, userSizeBytes),
    dive: {
      wastedBytes: diveWastedBytes,
      userWastedRatio: ratioOf(diveWastedBytes, userSizeBytes),
      efficiency: diveCumulative === 0 ? 1 : diveMinimum / diveCumulative,
    },
  };
}

/** part / whole; 0 for nothing of nothing, Infinity for something of nothing. */
export function ratioOf(part: number, whole: number): number {
  if (whole > 0) return part / whole;
  return part > 0 ? Infinity : 0;
}
