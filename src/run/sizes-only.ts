// --sizes-only (`run` and `check`): a CI size job, not a benchmark. The images are the cold
// run's, byte for byte (same Dockerfiles, contexts and build arguments), but the run takes every
// shortcut that only costs timing fidelity: the build cache on (rungs share the layers they have
// in common), several builds at once, the smoke test as pass/fail without import timing, no
// warm rebuilds, one round. No time is recorded, so nothing can compare or gate on one.
import { InputError } from "../errors.js";
import type { RunRecord, RungResult } from "../types.js";

/** Builds at once per engine when the user did not ask for more: this machine has 2 CPUs. */
export const SIZES_ONLY_CONCURRENCY = 2;

export interface SizesOnlyRequest {
  concurrency: number;
  repeat?: number;
  rebuild?: boolean;
}

/** What a sizes-only run runs with, or bad input when a flag asks for times it cannot give. */
export function sizesOnlyPlan(req: SizesOnlyRequest): { concurrency: number } {
  if ((req.repeat ?? 1) > 1)
    throw new InputError(
      `--sizes-only with --repeat ${req.repeat}: a sizes-only run measures no time to repeat`,
      "drop --repeat (sizes are exact in one round), or drop --sizes-only to time the builds",
    );
  if (req.rebuild)
    throw new InputError(
      "--sizes-only with --rebuild: a sizes-only run times no rebuild",
      "drop --rebuild, or drop --sizes-only to time warm rebuilds",
    );
  return { concurrency: Math.max(req.concurrency, SIZES_ONLY_CONCURRENCY) };
}

/** Every time a rung result can hold about the rung itself. */
const TIMES = [
  "buildSeconds",
  "postSeconds",
  "buildSamples",
  "postSamples",
  "buildRatio",
  "buildRatioSamples",
  "buildLoad",
  "busy",
  "rebuildSeconds",
  "rebuildRequirementsSeconds",
] as const satisfies readonly (keyof RungResult)[];

/**
 * A rung's result as a sizes-only run records it: the times it did take (cached, concurrent
 * builds, an untimed smoke test) say nothing about the rung and are dropped. Where the run's
 * own wall clock went (phaseSeconds) stays: that is the cost of the size job itself.
 */
export function withoutTimes(r: RungResult): RungResult {
  const out: RungResult = { ...r };
  for (const key of TIMES) delete out[key];
  if (out.smoke) {
    const smoke = { ...out.smoke };
    delete smoke.importSeconds;
    delete smoke.importSamples;
    out.smoke = smoke;
  }
  return out;
}

/** Whether a record's times were measured (a sizes-only record's were not). */
export function timesMeasured(record: Pick<RunRecord, "sizesOnly">): boolean {
  return record.sizesOnly !== true;
}
