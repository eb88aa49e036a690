// Compare a run with a baseline run, rung by rung, against size budgets. Pure: no I/O.

import {
  aboveBase,
  baseChangeNote,
  baseRecordNotes,
  compareBase,
  type AboveBase,
  type BaseComparison,
} from "./base-change.js";
import {
  budgetForRung,
  formatGrowthLimit,
  unmatchedBudgets,
  type Budget,
  type Budgets,
  type GrowthLimit,
} from "./budget.js";
import { EXIT } from "../errors.js";
import type { RunRecord, RungInspection, RungResult, RungStatus } from "../types.js";
import {
  diveDisagreement,
  evaluateWaste,
  factsFromInspection,
  hasWasteLimits,
} from "./waste-gates.js";
import { formatBytes, formatPercent, formatSignedBytes } from "../units.js";
import { builderChangeNotes } from "./builder-change.js";
import { applyTimeChecks, checkBuildTimes, type TimeCheck, type TimeGate } from "./time-gate.js";

/** What the check found for one rung. */
export type CheckStatus =
  /** Within every budget that applies. */
  | "ok"
  /** Grew over the baseline by more than --max-growth. */
  | "grew-over-budget"
  /** The bytes above the base image grew by more than --max-growth-above-base. */
  | "grew-above-base"
  /** Larger than --max-size. */
  | "over-max-size"
  /** More layers than --max-layers. */
  | "too-many-layers"
  /** More wasted bytes than --max-wasted or --max-wasted-percent. */
  | "too-much-waste"
  /** An efficiency under --min-efficiency. */
  | "low-efficiency"
  /** PASS in the baseline, FAILED now. */
  | "newly-failing"
  /** Build time as a ratio to the reference rung grew past --max-build-ratio-growth, beyond the noise. */
  | "build-time-grew"
  /** FAILED in the baseline and now: not a regression, but not a result either. */
  | "still-failing"
  /** In the current run only. */
  | "new-rung"
  /** In the baseline only. */
  | "missing-rung"
  /** SKIPPED in the current run (e.g. base image unavailable). */
  | "skipped";

/** The statuses that fail the check (exit 1). */
export const FAILING_STATUSES: readonly CheckStatus[] = [
  "grew-over-budget",
  "grew-above-base",
  "over-max-size",
  "too-many-layers",
  "too-much-waste",
  "low-efficiency",
  "newly-failing",
  "build-time-grew",
];

/** A broken budget or a regression, in words. */
export interface CheckProblem {
  kind:
    | "grew-over-budget"
    | "grew-above-base"
    | "over-max-size"
    | "too-many-layers"
    | "too-much-waste"
    | "low-efficiency"
    | "newly-failing"
    | "build-time-grew";
  message: string;
}

/** One side (baseline or current) of a rung. */
export interface RungSide {
  status: RungStatus;
  reason?: string;
  baseImage: string;
  sizeBytes?: number;
  layers?: number;
}

export interface RungCheck {
  rung: string;
  title: string;
  status: CheckStatus;
  /** True when this rung fails the check. */
  failed: boolean;
  baseline?: RungSide;
  current?: RungSide;
  /** current - baseline size, when both passed. */
  deltaBytes?: number;
  /** deltaBytes / baseline size; absent when the baseline size is 0. */
  deltaRatio?: number;
  /** The rung's base image in both runs: whether it changed, and by how many bytes. */
  base?: BaseComparison;
  /** The bytes the rung adds above its base image, in both runs (both passed). */
  aboveBase?: AboveBase;
  /** The budget that applied to this rung. */
  budget: Budget;
  /** Every budget broken, most important first; the first one is the status. */
  problems: CheckProblem[];
  /** Remarks that do not fail the check. */
  notes: string[];
  /** The build-time gate's verdict, when it was asked for (time-gate.ts). */
  buildTime?: TimeCheck;
}

/** The run a side of the comparison came from. */
export interface RunSummary {
  file?: string;
  runId: string;
  ladder: string;
  startedAt: string;
  toolVersion: string;
  requirementsHash: string;
  interrupted: boolean;
}

export interface CheckReport {
  baseline: RunSummary;
  current: RunSummary;
  /** Current rungs in their order, with rungs missing from the current run where they were. */
  rungs: RungCheck[];
  /** Remarks about the runs as a whole (changed requirements, unknown budget rungs, ...). */
  notes: string[];
  requirementsChanged: boolean;
  /** One line: passed or failed, and why. */
  verdict: string;
  passed: boolean;
  /** 0 within budget, 1 a budget exceeded or a rung newly failing. */
  exitCode: 0 | 1;
  /** Set by `check --update-baseline`: the file the current run was written to. */
  baselineUpdated?: string;
}

export interface CompareOptions {
  baselineFile?: string;
  currentFile?: string;
  /** The build-time gate (--max-build-ratio-growth); off when absent. */
  timeGate?: TimeGate;
}

function side(r: RungResult): RungSide {
  return {
    status: r.status,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    baseImage: r.baseImage,
    ...(r.image ? { sizeBytes: r.image.sizeBytes, layers: r.image.layers } : {}),
  };
}

function summary(record: RunRecord, file: string | undefined): RunSummary {
  return {
    ...(file !== undefined ? { file } : {}),
    runId: record.runId,
    ladder: record.ladder.name,
    startedAt: record.startedAt,
    toolVersion: record.tool.version,
    requirementsHash: record.requirements.hash,
    interrupted: record.interrupted,
  };
}

const why = (s: RungSide): string => (s.reason ? `: ${s.reason}` : "");

/** Two sizes as printed, with their exact bytes when the printed forms are the same. */
function distinctSizes(a: number, b: number, fmt = formatBytes): [string, string] {
  const x = fmt(a);
  const y = fmt(b);
  return x === y ? [`${x} (${a} bytes)`, `${y} (${b} bytes)`] : [x, y];
}

/** A growth ratio printed with enough decimals to show that it exceeds `limit`: "+5.04%". */
function ratioOver(ratio: number, limit: number): string {
  let text = formatPercent(ratio, { signed: true });
  for (
    let digits = 1;
    digits <= 6 && !(Number(text.replace(/[+%]/g, "")) > limit * 100);
    digits++
  ) {
    text = `${ratio >= 0 ? "+" : ""}${(ratio * 100).toFixed(digits)}%`;
  }
  return text;
}

/**
 * The problem when `delta` bytes of growth over `from` bytes break `limit`; undefined within it.
 * `what` names the bytes: "grew" for the whole image, "grew above its base" for the rest.
 */
function growthProblem(
  what: string,
  delta: number,
  from: number,
  to: number,
  limit: GrowthLimit,
  suffix = "",
): string | undefined {
  const ratio = from > 0 ? delta / from : undefined;
  const allowed = limit.kind === "ratio" ? limit.ratio * Math.max(0, from) : limit.bytes;
  if (delta <= allowed) return undefined;
  let grew: string;
  let over: string;
  if (limit.kind === "ratio") {
    grew = formatSignedBytes(delta);
    if (ratio !== undefined) grew += ` (${ratioOver(ratio, limit.ratio)})`;
    over = formatGrowthLimit(limit);
  } else {
    [grew, over] = distinctSizes(delta, limit.bytes, formatSignedBytes);
    if (ratio !== undefined) {
      const pct = formatPercent(ratio, { signed: true });
      grew = grew.endsWith(")") ? `${grew.slice(0, -1)}, ${pct})` : `${grew} (${pct})`;
    }
  }
  return `${what} ${grew}, ${formatBytes(from)} → ${formatBytes(to)}, over its ${over}${suffix} budget`;
}

/** Checks the absolute budgets (size, layers) of a measured rung. */
function absoluteProblems(cur: RungSide, budget: Budget): CheckProblem[] {
  const problems: CheckProblem[] = [];
  if (
    budget.maxSizeBytes !== undefined &&
    cur.sizeBytes !== undefined &&
    cur.sizeBytes > budget.maxSizeBytes
  ) {
    const [size, limit] = distinctSizes(cur.sizeBytes, budget.maxSizeBytes);
    problems.push({ kind: "over-max-size", message: `is ${size}, over its ${limit} limit` });
  }
  if (budget.maxLayers !== undefined && cur.layers !== undefined && cur.layers > budget.maxLayers) {
    problems.push({
      kind: "too-many-layers",
      message: `has ${cur.layers} layers, over its limit of ${budget.maxLayers}`,
    });
  }
  return problems;
}

/** The waste gates of a measured rung: problems, and where dive would judge otherwise. */
function wasteProblems(check: RungCheck, cur: RungResult, budget: Budget): void {
  if (!hasWasteLimits(budget)) return;
  if (!cur.inspection) {
    check.notes.push(
      "waste budgets not checked: the run did not inspect this rung (run without --no-inspect)",
    );
    return;
  }
  for (const result of evaluateWaste(budget, factsFromInspection(cur.inspection))) {
    if (!result.passed) {
      check.problems.push({
        kind: result.key === "minEfficiency" ? "low-efficiency" : "too-much-waste",
        message: result.message,
      });
    } else if (result.actual === "unknown") {
      check.notes.push(`${result.rule}: ${result.message}`);
    }
    const dive = diveDisagreement(result);
    if (dive) check.notes.push(dive);
  }
}

const GREW_TOP = 3;

/** The distributions and categories that grew most, from both sides' inspections. */
export function whatGrew(
  base: RungInspection | undefined,
  cur: RungInspection | undefined,
): string[] {
  if (!base || !cur) return [];
  const grew = (
    before: { key: string; label: string; bytes: number }[],
    after: { key: string; label: string; bytes: number }[],
  ): string[] => {
    const was = new Map(before.map((x) => [x.key, x.bytes]));
    return after
      .map((x) => ({ label: x.label, delta: x.bytes - (was.get(x.key) ?? 0), new: !was.has(x.key) }))
      .filter((x) => x.delta > 0)
      .sort((a, b) => b.delta - a.delta)
      .slice(0, GREW_TOP)
      .map((x) => `${x.label} ${formatSignedBytes(x.delta)}${x.new ? " (new)" : ""}`);
  };
  const dists = grew(
    base.topDistributions.map((d) => ({ key: d.name, label: d.name, bytes: d.bytes })),
    cur.topDistributions.map((d) => ({ key: d.name, label: d.name, bytes: d.bytes })),
  );
  const cats = grew(
    base.categories.map((c) => ({ key: c.id, label: c.title, bytes: c.bytes })),
    cur.categories.map((c) => ({ key: c.id, label: c.title, bytes: c.bytes })),
  );
  const notes: string[] = [];
  if (dists.length) notes.push(`grew most (distributions): ${dists.join(", ")}`);
  if (cats.length) notes.push(`grew most (categories): ${cats.join(", ")}`);
  return notes;
}

function checkRung(
  id: string,
  base: RungResult | undefined,
  cur: RungResult | undefined,
  budget: Budget,
  records: { baseline: RunRecord; current: RunRecord },
): RungCheck {
  const title = cur?.title ?? base?.title ?? id;
  const check: RungCheck = {
    rung: id,
    title,
    status: "ok",
    failed: false,
    budget,
    problems: [],
    notes: [],
  };
  const b = base ? side(base) : undefined;
  const c = cur ? side(cur) : undefined;
  if (b) check.baseline = b;
  if (c) check.current = c;
  const baseCmp = compareBase(records.baseline, records.current, base, cur);
  if (baseCmp) check.base = baseCmp;

  if (!c) {
    check.status = "missing-rung";
    check.notes.push("in the baseline but not in the current run");
    return check;
  }
  if (c.status === "SKIPPED") {
    check.status = "skipped";
    check.notes.push(`skipped in the current run${why(c)}`);
    return check;
  }
  if (c.status === "FAILED") {
    if (b?.status === "PASS") {
      check.status = "newly-failing";
      check.problems.push({
        kind: "newly-failing",
        message: `passed in the baseline and FAILED now${why(c)}`,
      });
    } else {
      check.status = b ? "still-failing" : "new-rung";
      check.notes.push(b ? `FAILED in the baseline and now${why(c)}` : `new rung, FAILED${why(c)}`);
    }
    check.failed = check.problems.length > 0;
    return check;
  }

  // The current rung passed.
  if (c.sizeBytes === undefined) check.notes.push("passed but has no image measure");
  if (!b) {
    check.notes.push("new rung: not in the baseline");
  } else if (b.status !== "PASS" || b.sizeBytes === undefined) {
    check.notes.push(
      `${b.status} in the baseline${why(b)}: no baseline size to compare growth with`,
    );
  } else if (c.sizeBytes !== undefined) {
    const delta = c.sizeBytes - b.sizeBytes;
    check.deltaBytes = delta;
    if (b.sizeBytes > 0) check.deltaRatio = delta / b.sizeBytes;
    const limit = budget.maxGrowth;
    const message = limit && growthProblem("grew", delta, b.sizeBytes, c.sizeBytes, limit);
    if (message) check.problems.push({ kind: "grew-over-budget", message });
  }
  const above = c.sizeBytes !== undefined ? aboveBase(base, cur) : undefined;
  if (above) check.aboveBase = above;
  if (budget.maxGrowthAboveBase) {
    if (above) {
      const message = growthProblem(
        "grew above its base",
        above.deltaBytes,
        above.baselineBytes,
        above.currentBytes,
        budget.maxGrowthAboveBase,
        " above-base",
      );
      if (message) check.problems.push({ kind: "grew-above-base", message });
    } else if (b?.status === "PASS") {
      check.notes.push("above-base budget not checked: a run did not measure this rung's image");
    }
  }
  const baseNote = baseCmp && baseChangeNote(baseCmp, check.deltaBytes);
  if (baseNote) check.notes.push(baseNote);
  check.problems.push(...absoluteProblems(c, budget));
  if (cur) wasteProblems(check, cur, budget);
  const grewKinds: CheckProblem["kind"][] = ["grew-over-budget", "grew-above-base", "over-max-size"];
  if (check.problems.some((p) => grewKinds.includes(p.kind))) {
    check.notes.push(...whatGrew(base?.inspection, cur?.inspection));
  }
  check.failed = check.problems.length > 0;
  check.status = check.problems[0]?.kind ?? (b ? "ok" : "new-rung");
  return check;
}

/** Orders rung ids: the current run's order, with baseline-only rungs after their predecessor. */
function rungOrder(baseline: RunRecord, current: RunRecord): string[] {
  const order = current.rungs.map((r) => r.rung);
  const placed = new Set(order);
  let after: string | undefined;
  for (const r of baseline.rungs) {
    if (!placed.has(r.rung)) {
      const at = after === undefined ? 0 : order.indexOf(after) + 1;
      order.splice(at, 0, r.rung);
      placed.add(r.rung);
    }
    after = r.rung;
  }
  return order;
}

function shortHash(hash: string): string {
  const hex = hash.replace(/^sha256:/, "");
  return hex.slice(0, 12);
}

function requirementNotes(baseline: RunRecord, current: RunRecord): string[] {
  const before = new Set(baseline.requirements.names);
  const after = new Set(current.requirements.names);
  const added = [...after].filter((n) => !before.has(n));
  const removed = [...before].filter((n) => !after.has(n));
  let text =
    `requirements changed (hash ${shortHash(baseline.requirements.hash)} → ` +
    `${shortHash(current.requirements.hash)})`;
  const parts: string[] = [];
  if (added.length) parts.push(`added ${added.join(", ")}`);
  if (removed.length) parts.push(`removed ${removed.join(", ")}`);
  text += parts.length ? `: ${parts.join("; ")}` : ": same package names, different pins or files";
  return [text];
}

/** Compares `current` with `baseline`, rung by rung (matched by rung id), against `budgets`. */
export function compareRuns(
  baseline: RunRecord,
  current: RunRecord,
  budgets: Budgets = [],
  opts: CompareOptions = {},
): CheckReport {
  const baseById = new Map(baseline.rungs.map((r) => [r.rung, r]));
  const curById = new Map(current.rungs.map((r) => [r.rung, r]));
  const ids = rungOrder(baseline, current);
  const rungs = ids.map((id) =>
    checkRung(id, baseById.get(id), curById.get(id), budgetForRung(budgets, id), {
      baseline,
      current,
    }),
  );

  const notes: string[] = [];
  if (opts.timeGate) {
    const gate = opts.timeGate;
    notes.push(...applyTimeChecks(rungs, checkBuildTimes(baseline, current, gate), gate));
  }
  const requirementsChanged = baseline.requirements.hash !== current.requirements.hash;
  if (requirementsChanged) notes.push(...requirementNotes(baseline, current));
  notes.push(...baseRecordNotes(baseline, current));
  if (baseline.ladder.name !== current.ladder.name) {
    notes.push(`ladder changed: ${baseline.ladder.name} → ${current.ladder.name}`);
  }
  notes.push(...builderChangeNotes(baseline, current));
  if (current.interrupted) {
    notes.push("the current run was interrupted: rungs it did not reach are missing");
  }
  if (baseline.interrupted) notes.push("the baseline run was interrupted");
  for (const entry of unmatchedBudgets(budgets, ids)) {
    notes.push(`budget ${entry.origin} names rung "${entry.rung}", which is in neither run`);
  }

  const failing = rungs.filter((r) => r.failed);
  const passed = failing.length === 0;
  return {
    baseline: summary(baseline, opts.baselineFile),
    current: summary(current, opts.currentFile),
    rungs,
    notes,
    requirementsChanged,
    verdict: verdict(rungs, failing),
    passed,
    exitCode: passed ? EXIT.ok : EXIT.failed,
  };
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function verdict(rungs: RungCheck[], failing: RungCheck[]): string {
  if (failing.length > 0) {
    const reasons = failing.map((r) => `${r.rung} ${r.problems[0]!.message}`);
    return `❌ shrinkbench check failed: ${reasons.join("; ")}`;
  }
  const by = (s: CheckStatus): number => rungs.filter((r) => r.status === s).length;
  const ok = by("ok");
  const extra: string[] = [];
  if (by("new-rung")) extra.push(count(by("new-rung"), "new rung"));
  if (by("missing-rung")) extra.push(count(by("missing-rung"), "missing rung"));
  if (by("skipped")) extra.push(`${by("skipped")} skipped`);
  if (by("still-failing")) extra.push(`${by("still-failing")} still failing`);
  const grew = rungs
    .filter((r) => r.deltaBytes !== undefined && r.deltaBytes !== 0)
    .sort((x, y) => Math.abs(y.deltaBytes!) - Math.abs(x.deltaBytes!))[0];
  const change = grew
    ? `; largest change ${grew.rung} ${formatSignedBytes(grew.deltaBytes!)}` +
      (grew.deltaRatio !== undefined
        ? ` (${formatPercent(grew.deltaRatio, { signed: true })})`
        : "")
    : "";
  return (
    `✅ shrinkbench check passed: ${count(ok, "rung")} within budget` +
    (extra.length ? ` (${extra.join(", ")})` : "") +
    change
  );
}
