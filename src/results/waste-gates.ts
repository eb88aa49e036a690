// Waste gates: limits on an image's wasted bytes and efficiency, as small rule objects (a key,
// a validation of the value when the rule is made, an evaluation on the measured facts), in
// the manner of dive's CI rules. Used by `check` (per rung, from run records) and by
// `inspect --ci` (any image). Pure: no I/O.
//
// Every rule is judged with shrinkbench's numbers (docs/inspect.md), and also with dive's
// formula for the same quantity, so that a report can say where dive would have reached
// another verdict:
//   wasted        ours: Σ (cumulative − smallest copy) per path; dive: Σ cumulative over the
//                 paths seen more than once (it counts the one copy that is needed too)
//   user wasted   wasted / Σ sizes of the layers above the bottom one (dive's denominator)
//   efficiency    Σ smallest / Σ cumulative in both, but dive counts a deleted directory
//                 as one observation of the bytes under it, shrinkbench one per file

import { InputError } from "../errors.js";
import type { RungInspection } from "../types.js";
import { formatBytes, formatPercent, parsePercent, parseSize, SIZE_UNITS_HINT } from "../units.js";

/** What the gates are judged on: an inspection's waste numbers. */
export interface WasteFacts {
  wastedBytes: number;
  efficiency: number;
  /** Σ layer sizes above the bottom layer; absent in records made before it was kept. */
  userSizeBytes?: number;
  /** dive's wasted bytes; absent in records made before it was kept. */
  diveWastedBytes?: number;
  /** dive's efficiency (a deleted directory is one observation); absent in older records. */
  diveEfficiency?: number;
  /** The paths that waste the most, most first. */
  topWastedPaths: { path: string; wastedBytes: number }[];
}

export type GateKey = "maxWasted" | "maxWastedPercent" | "minEfficiency";

/** One verdict: ours, and dive's where its formula can be applied. */
export interface GateResult {
  key: GateKey;
  /** The limit, for people: "wasted ≤ 20MB". */
  rule: string;
  passed: boolean;
  /** The measured value, for people. */
  actual: string;
  /** One line: why it failed, or that it passed. */
  message: string;
  /** dive's formula on the same image; absent when the facts lack what it needs. */
  dive?: { passed: boolean; actual: string };
}

export interface WasteGate {
  key: GateKey;
  /** The limit, for people: "wasted ≤ 20MB". */
  describe(): string;
  evaluate(facts: WasteFacts): GateResult;
}

/** The limits of one image (or rung); a missing field is no limit. */
export interface WasteLimits {
  maxWastedBytes?: number;
  maxWastedRatio?: number;
  minEfficiency?: number;
}

export const WASTE_HINTS = {
  maxWasted: `write a size such as 20MB; ${SIZE_UNITS_HINT}`,
  maxWastedPercent:
    "write a percentage of the bytes the layers above the bottom one add (5%), or a fraction (0.05)",
  minEfficiency: "write a fraction between 0 and 1 (0.95) or a percentage (95%)",
} as const;

/** "20MB" → bytes. */
export function parseWastedBytes(text: string, what: string): number {
  return parseSize(text, what);
}

/** "5%" or "0.05" → 0.05. A bare number above 1 is refused (is "5" 5% or 500%?). */
export function parseWastedRatio(text: string, what: string): number {
  return parseFraction(text, what, WASTE_HINTS.maxWastedPercent);
}

/** "0.95" or "95%" → 0.95, between 0 and 1. */
export function parseEfficiency(text: string, what: string): number {
  return parseFraction(text, what, WASTE_HINTS.minEfficiency);
}

function parseFraction(text: string, what: string, hint: string): number {
  const t = text.trim();
  const value = t.endsWith("%") ? parsePercent(t, what) : Number(t);
  if (t === "" || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new InputError(`${what}: ${JSON.stringify(text)} is not between 0 and 1 (0%-100%)`, hint);
  }
  return value;
}

const percent = (r: number): string => (Number.isFinite(r) ? formatPercent(r) : "∞%");
const fraction = (r: number): string => `${Number(r.toFixed(4))}`;
const exactBytes = (n: number): string => `${formatBytes(n)} (${n} bytes)`;

function worst(facts: WasteFacts, n = 3): string {
  const paths = facts.topWastedPaths.slice(0, n);
  if (paths.length === 0) return "";
  return `; most wasted: ${paths.map((p) => `/${p.path} ${formatBytes(p.wastedBytes)}`).join(", ")}`;
}

function ratioOf(part: number, whole: number): number {
  if (whole > 0) return part / whole;
  return part > 0 ? Infinity : 0;
}

/** At most `limit` wasted bytes. */
export function maxWastedGate(limit: number): WasteGate {
  const rule = `wasted ≤ ${formatBytes(limit)}`;
  return {
    key: "maxWasted",
    describe: () => rule,
    evaluate(facts) {
      const passed = facts.wastedBytes <= limit;
      const actual = formatBytes(facts.wastedBytes);
      return {
        key: "maxWasted",
        rule,
        passed,
        actual,
        message: passed
          ? `wasted ${actual}, within ${formatBytes(limit)}`
          : `wastes ${exactBytes(facts.wastedBytes)}, over its ${exactBytes(limit)} limit${worst(facts)}`,
        ...(facts.diveWastedBytes !== undefined
          ? {
              dive: {
                passed: facts.diveWastedBytes <= limit,
                actual: formatBytes(facts.diveWastedBytes),
              },
            }
          : {}),
      };
    },
  };
}

/** At most `limit` (a fraction) of the user's bytes wasted. */
export function maxWastedRatioGate(limit: number): WasteGate {
  const rule = `wasted ≤ ${percent(limit)} of the bytes above the bottom layer`;
  return {
    key: "maxWastedPercent",
    describe: () => rule,
    evaluate(facts) {
      const user = facts.userSizeBytes;
      if (user === undefined) {
        return {
          key: "maxWastedPercent",
          rule,
          passed: true,
          actual: "unknown",
          message: "not checked: the record keeps no layer sizes (made by an older shrinkbench)",
        };
      }
      const ratio = ratioOf(facts.wastedBytes, user);
      const passed = ratio <= limit;
      const actual = `${percent(ratio)} (${formatBytes(facts.wastedBytes)} of ${formatBytes(user)})`;
      return {
        key: "maxWastedPercent",
        rule,
        passed,
        actual,
        message: passed
          ? `wasted ${actual}, within ${percent(limit)}`
          : `wastes ${actual} of the bytes above its bottom layer, over its ${percent(limit)} limit${worst(facts)}`,
        ...(facts.diveWastedBytes !== undefined
          ? {
              dive: {
                passed: ratioOf(facts.diveWastedBytes, user) <= limit,
                actual: percent(ratioOf(facts.diveWastedBytes, user)),
              },
            }
          : {}),
      };
    },
  };
}

/** An efficiency of at least `min`. */
export function minEfficiencyGate(min: number): WasteGate {
  const rule = `efficiency ≥ ${fraction(min)}`;
  return {
    key: "minEfficiency",
    describe: () => rule,
    evaluate(facts) {
      const passed = facts.efficiency >= min;
      const actual = `${fraction(facts.efficiency)} (${percent(facts.efficiency)})`;
      return {
        key: "minEfficiency",
        rule,
        passed,
        actual,
        message: passed
          ? `efficiency ${actual}, at least ${fraction(min)}`
          : `has an efficiency of ${actual}, under its ${fraction(min)} floor${worst(facts)}`,
        ...(facts.diveEfficiency !== undefined
          ? {
              dive: {
                passed: facts.diveEfficiency >= min,
                actual: fraction(facts.diveEfficiency),
              },
            }
          : {}),
      };
    },
  };
}

/** The gates that given limits make, in a fixed order. */
export function wasteGates(limits: WasteLimits): WasteGate[] {
  const gates: WasteGate[] = [];
  if (limits.maxWastedBytes !== undefined) gates.push(maxWastedGate(limits.maxWastedBytes));
  if (limits.maxWastedRatio !== undefined) gates.push(maxWastedRatioGate(limits.maxWastedRatio));
  if (limits.minEfficiency !== undefined) gates.push(minEfficiencyGate(limits.minEfficiency));
  return gates;
}

export function hasWasteLimits(limits: WasteLimits): boolean {
  return wasteGates(limits).length > 0;
}

/** Judges `facts` against every gate of `limits`. */
export function evaluateWaste(limits: WasteLimits, facts: WasteFacts): GateResult[] {
  return wasteGates(limits).map((g) => g.evaluate(facts));
}

/** Where dive's formula reaches another verdict than ours, in words. */
export function diveDisagreement(result: GateResult): string | undefined {
  if (!result.dive || result.dive.passed === result.passed) return undefined;
  return (
    `${result.rule}: dive's formula would ${result.dive.passed ? "pass" : "fail"} it ` +
    `(dive: ${result.dive.actual}; shrinkbench: ${result.actual})`
  );
}

/** The facts a run record keeps for a rung. */
export function factsFromInspection(i: RungInspection): WasteFacts {
  return {
    wastedBytes: i.wastedBytes,
    efficiency: i.efficiency,
    ...(i.userSizeBytes !== undefined ? { userSizeBytes: i.userSizeBytes } : {}),
    ...(i.diveWastedBytes !== undefined ? { diveWastedBytes: i.diveWastedBytes } : {}),
    ...(i.diveEfficiency !== undefined ? { diveEfficiency: i.diveEfficiency } : {}),
    topWastedPaths: i.topWastedPaths ?? [],
  };
}
