// Where a run's wall clock goes: each rung's phases (build, post steps, smoke test, inspection,
// clean-up, ...), and the run's cost against the cold builds it exists to time. The clock is a
// thin stopwatch; everything else is pure and tested on plain data.
import type { RungPhaseSeconds, RungResult } from "../types.js";

export type RungPhaseName = keyof RungPhaseSeconds;

/** In the order a rung goes through them. */
export const RUNG_PHASES: readonly RungPhaseName[] = [
  "build",
  "rebuild",
  "post",
  "measure",
  "smoke",
  "inspect",
  "cleanup",
];

/** Times the phases of one rung; a phase run twice (or in two rounds) adds up. */
export class PhaseClock {
  private readonly seconds: RungPhaseSeconds = {};

  constructor(private readonly now: () => number = () => performance.now()) {}

  async time<T>(phase: RungPhaseName, step: () => Promise<T>): Promise<T> {
    const t0 = this.now();
    try {
      return await step();
    } finally {
      this.add(phase, (this.now() - t0) / 1000);
    }
  }

  add(phase: RungPhaseName, seconds: number): void {
    this.seconds[phase] = (this.seconds[phase] ?? 0) + seconds;
  }

  /** The phases timed so far, rounded to milliseconds. */
  result(): RungPhaseSeconds {
    return roundPhases(this.seconds);
  }
}

function roundPhases(p: RungPhaseSeconds): RungPhaseSeconds {
  const out: RungPhaseSeconds = {};
  for (const name of RUNG_PHASES) {
    const s = p[name];
    if (s !== undefined) out[name] = Math.round(s * 1000) / 1000;
  }
  return out;
}

/** Two rounds' phases as one: what the rung cost in all. */
export function addPhases(
  a: RungPhaseSeconds | undefined,
  b: RungPhaseSeconds | undefined,
): RungPhaseSeconds | undefined {
  if (!a || !b) return a ?? b;
  const sum: RungPhaseSeconds = { ...a };
  for (const name of RUNG_PHASES) {
    if (b[name] !== undefined) sum[name] = (sum[name] ?? 0) + b[name];
  }
  return roundPhases(sum);
}

/** A run's cost against its cold builds: what issue 16 asks to bring to at most 1.15×. */
export interface RunCost {
  wallSeconds: number;
  /** Σ build calls (every round) of the rungs that built. */
  buildSeconds: number;
  /** Σ post steps (squash), every round. */
  postSeconds: number;
  /** Each phase summed over the rungs. */
  phases: RungPhaseSeconds;
  /** Wall clock not inside any rung's phases: setup, pre-build resolve, the final clean-up. */
  outsideSeconds: number;
  /** wallSeconds / (buildSeconds + postSeconds); undefined when nothing was built. */
  ratio?: number;
}

/** Every timed build call of a rung (one per round). */
function buildCalls(r: RungResult): number[] {
  if (r.buildSamples?.length) return r.buildSamples;
  return r.buildSeconds === undefined ? [] : [r.buildSeconds];
}

function postCalls(r: RungResult): number[] {
  if (r.postSamples?.length) return r.postSamples;
  return r.postSeconds === undefined ? [] : [r.postSeconds];
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** The cost of a run of `wallSeconds` whose rungs are `rungs`. */
export function runCost(rungs: readonly RungResult[], wallSeconds: number): RunCost {
  const buildSeconds = sum(rungs.flatMap(buildCalls));
  const postSeconds = sum(rungs.flatMap(postCalls));
  let phases: RungPhaseSeconds = {};
  for (const r of rungs) phases = addPhases(phases, r.phaseSeconds) ?? phases;
  const inside = sum(RUNG_PHASES.map((p) => phases[p] ?? 0));
  const timed = buildSeconds + postSeconds;
  return {
    wallSeconds,
    buildSeconds,
    postSeconds,
    phases,
    outsideSeconds: Math.max(0, wallSeconds - inside),
    ...(timed > 0 ? { ratio: wallSeconds / timed } : {}),
  };
}

/** "build 12.3 s, smoke 3.1 s, inspect 2.0 s": for the rung's log (and --verbose). */
export function formatPhases(p: RungPhaseSeconds): string {
  return RUNG_PHASES.filter((name) => p[name] !== undefined)
    .map((name) => `${name} ${p[name]!.toFixed(1)} s`)
    .join(", ");
}
