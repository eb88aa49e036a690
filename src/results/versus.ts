// Every rung against your own Dockerfile (the rung `yours`): what switching to it changes in
// bytes, cold build time and warm rebuild times. Pure. Times are medians (one sample without
// --repeat); a change within the noise of repeated samples is still printed, the recommendation
// says how many samples stand behind it.
import { YOURS } from "../ladder/yours.js";
import type { RungResult } from "../types.js";
import { coldBuildSpread } from "./times.js";

/** A rung minus yours: negative is smaller or faster. Absent where either was not measured. */
export interface Versus {
  rung: string;
  bytes?: number;
  /** The rung's size over yours. */
  ratio?: number;
  /** Cold build (build call + post steps). */
  coldSeconds?: number;
  /** Warm rebuild after an application change (--rebuild). */
  warmSeconds?: number;
  /** Warm rebuild after a requirements change (--rebuild). */
  warmRequirementsSeconds?: number;
}

/** Your Dockerfile's result, when the run built it (it is compared with only when it has an image). */
export function yoursOf(rungs: readonly RungResult[]): RungResult | undefined {
  const yours = rungs.find((r) => r.rung === YOURS);
  return yours?.image ? yours : undefined;
}

function minus(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a - b;
}

/** A rung that did not pass is no alternative to yours: it is compared on nothing. */
export function versus(r: RungResult, yours: RungResult): Versus {
  if (r.status !== "PASS") return { rung: r.rung };
  const size = r.image?.sizeBytes;
  const base = yours.image?.sizeBytes;
  const out: Versus = { rung: r.rung };
  const bytes = minus(size, base);
  if (bytes !== undefined) {
    out.bytes = bytes;
    if (base) out.ratio = size! / base;
  }
  const cold = minus(coldBuildSpread(r)?.median, coldBuildSpread(yours)?.median);
  if (cold !== undefined) out.coldSeconds = cold;
  const warm = minus(r.rebuildSeconds, yours.rebuildSeconds);
  if (warm !== undefined) out.warmSeconds = warm;
  const req = minus(r.rebuildRequirementsSeconds, yours.rebuildRequirementsSeconds);
  if (req !== undefined) out.warmRequirementsSeconds = req;
  return out;
}

/** Each rung of `ids` (default: every rung but yours) against yours; empty without yours. */
export function versusYours(rungs: readonly RungResult[], ids?: readonly string[]): Versus[] {
  const yours = yoursOf(rungs);
  if (!yours) return [];
  const wanted = ids ?? rungs.filter((r) => r.rung !== YOURS).map((r) => r.rung);
  return wanted.flatMap((id) => {
    const r = rungs.find((x) => x.rung === id);
    return r && r.rung !== YOURS ? [versus(r, yours)] : [];
  });
}
