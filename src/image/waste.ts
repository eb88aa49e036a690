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
  return {
    wastedBytes: cumulativeBytes - minimumBytes,
    efficiency: cumulativeBytes === 0 ? 1 : minimumBytes / cumulativeBytes,
    cumulativeBytes,
    minimumBytes,
    hiddenBytes,
    topPaths: wasteful.slice(0, top),
  };
}
