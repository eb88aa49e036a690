// A rung's times as samples: cold build (build call + post steps) and import time, one per round
// of --repeat, and the build time as a ratio to a reference rung timed in the same round. Records
// written before --repeat hold one value: it is one sample. Pure.
import type { RungResult } from "../types.js";
import { median, summarize, type Spread } from "./stats.js";

/** The rung ratios are measured against unless --reference-rung says otherwise. */
export const DEFAULT_REFERENCE_RUNG = "slim";

/** Cold build time of every round: the build call plus the post steps (a squash is paid too). */
export function coldBuildSamples(r: RungResult): number[] {
  if (r.buildSamples?.length) {
    return r.buildSamples.map((b, i) => b + (r.postSamples?.[i] ?? r.postSeconds ?? 0));
  }
  return r.buildSeconds === undefined ? [] : [r.buildSeconds + (r.postSeconds ?? 0)];
}

export function importSamples(r: RungResult): number[] {
  if (r.smoke?.importSamples?.length) return r.smoke.importSamples;
  return r.smoke?.importSeconds === undefined ? [] : [r.smoke.importSeconds];
}

export function coldBuildSpread(r: RungResult): Spread | undefined {
  return summarize(coldBuildSamples(r));
}

export function importSpread(r: RungResult): Spread | undefined {
  return summarize(importSamples(r));
}

/**
 * Each rung's cold build time over the reference rung's, round by round (a round's drift hits
 * both alike). Only rungs with a sample in every round the reference has get ratios; the
 * reference's own ratio is 1. Without a reference result, the rungs come back unchanged.
 */
export function withBuildRatios(
  rungs: readonly RungResult[],
  reference: string,
): { rungs: RungResult[]; reference?: string } {
  const ref = rungs.find((r) => r.rung === reference && r.status === "PASS");
  const refSamples = ref ? coldBuildSamples(ref) : [];
  if (!ref || refSamples.length === 0 || refSamples.some((s) => s <= 0)) {
    return { rungs: [...rungs] };
  }
  return {
    reference,
    rungs: rungs.map((r) => {
      const samples = coldBuildSamples(r);
      if (r.status !== "PASS" || samples.length !== refSamples.length) return r;
      const ratios = samples.map((s, i) => s / refSamples[i]!);
      return { ...r, buildRatioSamples: ratios, buildRatio: median(ratios) };
    }),
  };
}
