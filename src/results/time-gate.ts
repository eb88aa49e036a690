// The build-time gate of `check`, off unless asked (--max-build-ratio-growth). Seconds do not
// travel between machines or days (issue 18: the same rung built in 53 s, then 23 s), so the gate
// never compares them: it compares each rung's cold build time as a ratio to the reference rung
// timed in the same round, baseline against current, and fails a rung only when its ratio grew
// past the limit AND beyond the noise of both sides. Pure: records in, verdicts out.
//
// Beyond the noise, as in stats.ts: the current ratios' range lies wholly above the baseline's.
// A side with several samples (--repeat) has its measured range (min–max); a side with one sample
// has no measured spread, so it gets the stated margin on either side of its value
// (DEFAULT_SINGLE_SAMPLE_MARGIN, or --build-ratio-margin).

import { InputError } from "../errors.js";
import type { RunRecord, RungResult } from "../types.js";
import type { RungCheck } from "./compare.js";
import { formatPercent, parsePercent } from "../units.js";
import { summarize, type Spread } from "./stats.js";
import { DEFAULT_REFERENCE_RUNG, withBuildRatios } from "./times.js";

/**
 * The margin assumed around a ratio measured once: ±50%. On a busy 2-CPU machine the ratios'
 * coefficient of variation was 51% (median over 14 rungs, 6 samples each) and the median ratio
 * of a rung moved by 65% from one run to the next (results/bench-times.md); a smaller margin on
 * one sample would fail builds on noise. A quiet CI runner does better: measure it (--repeat).
 */
export const DEFAULT_SINGLE_SAMPLE_MARGIN = 0.5;

/** How much one rung's (or, with rung "*", every rung's) build-time ratio may grow. */
export interface RatioGrowthLimit {
  rung: string;
  /** 0.2 for "20%". */
  growth: number;
  /** As given, for messages: `--max-build-ratio-growth slim-strip=30%`. */
  origin: string;
}

export interface TimeGate {
  limits: RatioGrowthLimit[];
  /** Margin around a side with one sample; DEFAULT_SINGLE_SAMPLE_MARGIN when absent. */
  singleSampleMargin?: number;
}

/** One side's ratios: the samples' statistics and the band taken as its noise. */
export interface RatioSide {
  n: number;
  median: number;
  low: number;
  high: number;
  /** True when low–high is the samples' range; false when it is the default margin. */
  measured: boolean;
}

export type TimeVerdict =
  /** Grew over the limit, beyond the noise: fails the check. */
  | "grew"
  /** Grew over the limit, but within the noise: a note. */
  | "within-noise"
  /** Within the limit. */
  | "ok"
  /** No ratio on one side (the reference rung missing or failed): a note. */
  | "no-ratio";

export interface TimeCheck {
  rung: string;
  reference: string;
  verdict: TimeVerdict;
  limit: RatioGrowthLimit;
  baseline?: RatioSide;
  current?: RatioSide;
  /** current median / baseline median − 1. */
  growth?: number;
  message: string;
}

const FLAG = "--max-build-ratio-growth";
const HINT =
  `write a percentage, optionally for one rung: ${FLAG} 20% or ${FLAG} slim-strip=30%; ` +
  "it is the growth of the rung's build time as a ratio to the reference rung's";

/** Parses the repeated --max-build-ratio-growth flag ("20%", "slim-strip=30%"). */
export function parseRatioGrowthLimits(values: readonly string[]): RatioGrowthLimit[] {
  return values.map((raw) => {
    const eq = raw.indexOf("=");
    const rung = eq < 0 ? "*" : raw.slice(0, eq).trim();
    const text = eq < 0 ? raw : raw.slice(eq + 1);
    if (rung === "") throw new InputError(`${FLAG}: ${JSON.stringify(raw)} has no rung id`, HINT);
    let growth: number;
    try {
      growth = parsePercent(text, `${FLAG} ${raw}`);
    } catch (err) {
      if (err instanceof InputError) throw new InputError(err.message, HINT);
      throw err;
    }
    return { rung, growth, origin: `${FLAG} ${raw}` };
  });
}

/** Parses --build-ratio-margin ("25%"). */
export function parseSingleSampleMargin(text: string): number {
  try {
    return parsePercent(text, `--build-ratio-margin ${text}`);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    throw new InputError(
      err.message,
      "write a percentage, e.g. --build-ratio-margin 25%: the noise assumed around a ratio " +
        "measured once (without --repeat)",
    );
  }
}

/** The flags of the gate, as the CLI hands them over. */
export interface TimeGateFlags {
  maxBuildRatioGrowth?: string | readonly string[];
  buildRatioMargin?: string;
}

/** The gate the flags ask for, or undefined (no --max-build-ratio-growth: time is not gated). */
export function timeGateFromFlags(flags: TimeGateFlags): TimeGate | undefined {
  const raw = flags.maxBuildRatioGrowth;
  const values = raw === undefined ? [] : typeof raw === "string" ? [raw] : [...raw];
  const margin =
    flags.buildRatioMargin === undefined
      ? undefined
      : parseSingleSampleMargin(flags.buildRatioMargin);
  if (values.length === 0) {
    if (margin !== undefined) {
      throw new InputError(
        "--build-ratio-margin without --max-build-ratio-growth: build time is not checked",
        "add --max-build-ratio-growth 20% (or a rung's own: slim-strip=30%)",
      );
    }
    return undefined;
  }
  return {
    limits: parseRatioGrowthLimits(values),
    ...(margin !== undefined ? { singleSampleMargin: margin } : {}),
  };
}

/** The limit for `rung`: its own, else the one for every rung; the last given wins. */
function limitFor(limits: readonly RatioGrowthLimit[], rung: string): RatioGrowthLimit | undefined {
  const last = (id: string) => limits.filter((l) => l.rung === id).at(-1);
  return last(rung) ?? last("*");
}

function sideOf(r: RungResult | undefined, margin: number): RatioSide | undefined {
  const s: Spread | undefined = summarize(r?.buildRatioSamples ?? []);
  if (!s) return undefined;
  if (s.n >= 2) return { n: s.n, median: s.median, low: s.min, high: s.max, measured: true };
  return {
    n: 1,
    median: s.median,
    low: s.median / (1 + margin),
    high: s.median * (1 + margin),
    measured: false,
  };
}

const x = (v: number) => `${v.toFixed(2)}×`;

function band(s: RatioSide): string {
  return s.measured
    ? `${x(s.low)}–${x(s.high)} over ${s.n} samples`
    : `one sample, ±${formatPercent(s.high / s.median - 1)} assumed`;
}

/** The reference both sides are measured against: the current run's, else the default. */
export function gateReference(current: RunRecord): string {
  return current.referenceRung ?? DEFAULT_REFERENCE_RUNG;
}

/**
 * Judges every rung that passed in both records and has a limit. Ratios are computed afresh from
 * each record's build samples against the same reference (records from before ratios existed
 * hold the seconds to compute them from).
 */
export function checkBuildTimes(
  baseline: RunRecord,
  current: RunRecord,
  gate: TimeGate,
): TimeCheck[] {
  if (gate.limits.length === 0) return [];
  const reference = gateReference(current);
  const margin = gate.singleSampleMargin ?? DEFAULT_SINGLE_SAMPLE_MARGIN;
  const base = new Map(withBuildRatios(baseline.rungs, reference).rungs.map((r) => [r.rung, r]));
  const checks: TimeCheck[] = [];
  for (const cur of withBuildRatios(current.rungs, reference).rungs) {
    const limit = limitFor(gate.limits, cur.rung);
    const was = base.get(cur.rung);
    if (!limit || cur.rung === reference || cur.status !== "PASS" || was?.status !== "PASS") {
      continue;
    }
    const b = sideOf(was, margin);
    const c = sideOf(cur, margin);
    const head = { rung: cur.rung, reference, limit };
    if (!b || !c) {
      const where = !b && !c ? "either run" : !b ? "the baseline" : "the current run";
      checks.push({
        ...head,
        verdict: "no-ratio",
        ...(b ? { baseline: b } : {}),
        ...(c ? { current: c } : {}),
        message:
          `build time not checked: no ratio to ${reference} in ${where} ` +
          `(${reference} did not pass there, or its rounds differ)`,
      });
      continue;
    }
    const growth = c.median / b.median - 1;
    const change =
      `build time ${x(b.median)} → ${x(c.median)} ${reference}'s ` +
      `(${formatPercent(growth, { signed: true })}`;
    let verdict: TimeVerdict;
    let message: string;
    if (growth <= limit.growth) {
      verdict = "ok";
      message = `${change}, within its ${formatPercent(limit.growth)} budget)`;
    } else if (c.low > b.high) {
      verdict = "grew";
      message =
        `${change}, over its ${formatPercent(limit.growth)} budget, beyond the noise: ` +
        `baseline ${band(b)}, current ${band(c)})`;
    } else {
      verdict = "within-noise";
      message =
        `${change}, over its ${formatPercent(limit.growth)} budget but within the noise: ` +
        `baseline ${band(b)}, current ${band(c)}; not failed)`;
    }
    checks.push({ ...head, verdict, baseline: b, current: c, growth, message });
  }
  return checks;
}

/** Budgets naming a rung that is in neither run: a likely typo, reported as a note. */
export function unmatchedRatioLimits(
  gate: TimeGate,
  ids: readonly string[],
): RatioGrowthLimit[] {
  return gate.limits.filter((l) => l.rung !== "*" && !ids.includes(l.rung));
}

/**
 * Folds the time checks into the check's rungs: a ratio grown beyond the noise is a problem
 * (the rung fails), every other verdict a note. Returns the notes about the gate as a whole.
 */
export function applyTimeChecks(
  rungs: RungCheck[],
  checks: readonly TimeCheck[],
  gate: TimeGate,
): string[] {
  for (const t of checks) {
    const rung = rungs.find((r) => r.rung === t.rung);
    if (!rung) continue;
    rung.buildTime = t;
    if (t.verdict === "grew") {
      rung.problems.push({ kind: "build-time-grew", message: t.message });
      rung.failed = true;
      rung.status = rung.problems[0]!.kind;
    } else {
      rung.notes.push(t.message);
    }
  }
  return unmatchedRatioLimits(
    gate,
    rungs.map((r) => r.rung),
  ).map((l) => `${l.origin} names rung "${l.rung}", which is in neither run`);
}
