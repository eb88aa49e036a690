// Size budgets for `shrinkbench check`: from flags and from the project config file, resolved
// to one Budget per rung.
//
// Flags (each may be repeated, and each takes either VALUE for every rung or RUNG=VALUE):
//   --max-growth 5%            growth over the baseline, relative ("5%") or absolute ("20MB")
//   --max-growth-above-base 5% growth of the bytes the rung adds above its base image, so that
//                              a moved base tag alone does not fail the check
//   --max-size slim=300MB      absolute size of the image (units: see units.ts)
//   --max-layers 30            number of layers of the image
//   --max-wasted 20MB          wasted bytes (docs/inspect.md; needs the rung's inspection)
//   --max-wasted-percent 5%    wasted bytes / bytes of the layers above the bottom one
//   --min-efficiency 0.95      Σ smallest copy / Σ cumulative, as dive computes it
//
// Config (shrinkbench.config.json):
//   "budgets": { "*": { "maxGrowth": "5%", "maxGrowthAboveBase": "5%", "maxSize": "2GB", "maxLayers": 30,
//                       "maxWasted": "20MB", "maxWastedPercent": "5%", "minEfficiency": 0.95 },
//                "slim": { "maxSize": "300MB" } }
//
// Resolution, field by field, first match wins: a flag for the rung, a flag for every rung, the
// config block of the rung, the config block "*". Within one level the last value given wins.

import { InputError } from "../errors.js";
import { formatBytes, parsePercent, parseSize, SIZE_UNITS_HINT } from "../units.js";
import { describeValue, fieldError, isJsonObject } from "../validation.js";
import {
  parseEfficiency,
  parseWastedBytes,
  parseWastedRatio,
  wasteGates,
  WASTE_HINTS,
  type WasteLimits,
} from "./waste-gates.js";

/** How much a rung may grow over its baseline size. */
export type GrowthLimit =
  /** A fraction of the baseline size: 0.05 for "5%". */
  | { kind: "ratio"; ratio: number }
  /** A number of bytes: 20e6 for "20MB". */
  | { kind: "bytes"; bytes: number };

/** The limits that apply to one rung. A missing field is no limit. */
export interface Budget extends WasteLimits {
  maxGrowth?: GrowthLimit;
  /** Growth of the bytes above the base image (a ratio is of the baseline's bytes above it). */
  maxGrowthAboveBase?: GrowthLimit;
  maxSizeBytes?: number;
  maxLayers?: number;
}

/** One budget as given: by a flag or by a config block, for one rung or for every rung ("*"). */
export interface BudgetEntry {
  /** A rung id, or "*" for every rung. */
  rung: string;
  from: "flag" | "config";
  /** Where it was given, for messages: `--max-size slim=300MB`, `shrinkbench.config.json budgets.slim`. */
  origin: string;
  budget: Budget;
}

/** Every budget given, flags and config together, in the order given. */
export type Budgets = BudgetEntry[];

/** A flag's value as a CLI parser hands it over: absent, once, or repeated. */
export type FlagValue = string | number | readonly (string | number)[] | undefined;

export interface BudgetFlags {
  maxGrowth?: FlagValue;
  maxGrowthAboveBase?: FlagValue;
  maxSize?: FlagValue;
  maxLayers?: FlagValue;
  maxWasted?: FlagValue;
  maxWastedPercent?: FlagValue;
  minEfficiency?: FlagValue;
}

const ALL = "*";

const FLAG_HINTS = {
  "--max-growth":
    "write a percentage of the baseline size (--max-growth 5%) or a size (--max-growth 20MB), " +
    "optionally for one rung (--max-growth slim=5%)",
  "--max-growth-above-base":
    "write a percentage of the bytes the rung added above its base in the baseline " +
    "(--max-growth-above-base 5%) or a size (20MB), optionally for one rung (slim=5%)",
  "--max-size": `write a size, optionally for one rung (--max-size slim=300MB); ${SIZE_UNITS_HINT}`,
  "--max-layers": "write a whole number, optionally for one rung (--max-layers slim=12)",
  "--max-wasted": `${WASTE_HINTS.maxWasted}, optionally for one rung (--max-wasted slim=20MB)`,
  "--max-wasted-percent": `${WASTE_HINTS.maxWastedPercent}, optionally for one rung`,
  "--min-efficiency": `${WASTE_HINTS.minEfficiency}, optionally for one rung`,
} as const;

type FlagName = keyof typeof FLAG_HINTS;

/** Parses a growth limit: "5%" → ratio 0.05, "20MB" → 20e6 bytes. A bare number is refused. */
export function parseGrowth(text: string, what: string): GrowthLimit {
  const trimmed = text.trim();
  if (trimmed.endsWith("%")) return { kind: "ratio", ratio: parsePercent(trimmed, what) };
  if (/^[+]?[\d.]+$/.test(trimmed)) {
    throw new InputError(
      `${what}: ${JSON.stringify(text)} needs a unit`,
      `write ${trimmed.replace(/^\+/, "")}% for growth relative to the baseline, ` +
        "or a size such as 20MB for absolute growth",
    );
  }
  try {
    return { kind: "bytes", bytes: parseSize(trimmed.replace(/^\+/, ""), what) };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    throw new InputError(
      err.message,
      `write a percentage of the baseline size (5%) or a size (20MB); ${SIZE_UNITS_HINT}`,
    );
  }
}

function parseLayers(text: string, what: string, hint: string): number {
  if (!/^\s*\d+\s*$/.test(text)) {
    throw new InputError(`${what}: ${JSON.stringify(text)} is not a whole number of layers`, hint);
  }
  return Number(text);
}

function flagValues(value: FlagValue): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => String(v));
}

/** Budgets from the --max-growth, --max-size and --max-layers flags. */
export function budgetsFromFlags(flags: BudgetFlags): Budgets {
  const entries: Budgets = [];
  const add = (flag: FlagName, raw: string, set: (text: string, what: string) => Budget): void => {
    const eq = raw.indexOf("=");
    const rung = eq < 0 ? ALL : raw.slice(0, eq).trim();
    const text = eq < 0 ? raw : raw.slice(eq + 1);
    const origin = `${flag} ${raw}`;
    if (rung === "") {
      throw new InputError(
        `${flag}: ${JSON.stringify(raw)} has no rung id before "="`,
        FLAG_HINTS[flag],
      );
    }
    if (text.trim() === "") {
      throw new InputError(`${flag}: ${JSON.stringify(raw)} has no value`, FLAG_HINTS[flag]);
    }
    entries.push({ rung, from: "flag", origin, budget: set(text, flag) });
  };
  for (const raw of flagValues(flags.maxGrowth)) {
    add("--max-growth", raw, (text, what) => ({ maxGrowth: parseGrowth(text, what) }));
  }
  for (const raw of flagValues(flags.maxGrowthAboveBase)) {
    add("--max-growth-above-base", raw, (text, what) => ({
      maxGrowthAboveBase: parseGrowth(text, what),
    }));
  }
  for (const raw of flagValues(flags.maxSize)) {
    add("--max-size", raw, (text, what) => ({ maxSizeBytes: parseSize(text, what) }));
  }
  for (const raw of flagValues(flags.maxLayers)) {
    add("--max-layers", raw, (text, what) => ({
      maxLayers: parseLayers(text, what, FLAG_HINTS["--max-layers"]),
    }));
  }
  for (const raw of flagValues(flags.maxWasted)) {
    add("--max-wasted", raw, (text, what) => ({ maxWastedBytes: parseWastedBytes(text, what) }));
  }
  for (const raw of flagValues(flags.maxWastedPercent)) {
    add("--max-wasted-percent", raw, (text, what) => ({
      maxWastedRatio: parseWastedRatio(text, what),
    }));
  }
  for (const raw of flagValues(flags.minEfficiency)) {
    add("--min-efficiency", raw, (text, what) => ({
      minEfficiency: parseEfficiency(text, what),
    }));
  }
  return entries;
}

/** Waste limits for every rung from a file of rules (dive's .dive-ci), below the flags. */
export function budgetsFromRulesFile(limits: WasteLimits, origin: string): Budgets {
  return [{ rung: ALL, from: "flag", origin, budget: { ...limits } }];
}

const CONFIG_KEYS = [
  "maxGrowth",
  "maxGrowthAboveBase",
  "maxSize",
  "maxLayers",
  "maxWasted",
  "maxWastedPercent",
  "minEfficiency",
] as const;
const CONFIG_HINT =
  'budgets maps a rung id or "*" to { "maxGrowth": "5%" | "20MB", "maxGrowthAboveBase": "5%", ' +
  '"maxSize": "300MB", ' +
  '"maxLayers": 30, "maxWasted": "20MB", "maxWastedPercent": "5%", "minEfficiency": 0.95 }';

/**
 * Budgets from the `budgets` value of a config file (`file` names it in errors). `undefined`
 * (no budgets key) is no budgets.
 */
export function budgetsFromConfig(value: unknown, file: string): Budgets {
  if (value === undefined) return [];
  const fail = (path: string, message: string, hint = CONFIG_HINT): never => {
    throw fieldError(file, path, message, hint);
  };
  if (!isJsonObject(value)) return fail("budgets", "expected an object");

  const entries: Budgets = [];
  for (const [rung, block] of Object.entries(value)) {
    const path = `budgets.${rung}`;
    if (rung.trim() === "") fail("budgets", "a rung id is empty");
    if (!isJsonObject(block)) return fail(path, "expected an object");
    const budget: Budget = {};
    for (const [key, v] of Object.entries(block)) {
      const what = `${file}: ${path}.${key}`;
      if (key === "maxGrowth" || key === "maxGrowthAboveBase") {
        if (typeof v !== "string") {
          return fail(
            `${path}.${key}`,
            `expected a string such as "5%" or "20MB", got ${describeValue(v)}`,
          );
        }
        budget[key] = parseGrowth(v, what);
      } else if (key === "maxSize") {
        if (typeof v === "number") {
          if (!Number.isSafeInteger(v) || v < 0) {
            fail(
              `${path}.${key}`,
              `expected a size such as "300MB" or a whole number of bytes, got ${v}`,
            );
          }
          budget.maxSizeBytes = v;
        } else if (typeof v === "string") {
          budget.maxSizeBytes = parseSize(v, what);
        } else {
          fail(
            `${path}.${key}`,
            `expected a size such as "300MB", got ${describeValue(v)}`,
            SIZE_UNITS_HINT,
          );
        }
      } else if (key === "maxLayers") {
        if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
          fail(`${path}.${key}`, `expected a whole number of layers, got ${describeValue(v)}`);
        }
        budget.maxLayers = v as number;
      } else if (key === "maxWasted" || key === "maxWastedPercent" || key === "minEfficiency") {
        if (typeof v !== "string" && typeof v !== "number") {
          return fail(`${path}.${key}`, `expected a string or a number, got ${describeValue(v)}`);
        }
        const text = String(v);
        if (key === "maxWasted") budget.maxWastedBytes = parseWastedBytes(text, what);
        else if (key === "maxWastedPercent") budget.maxWastedRatio = parseWastedRatio(text, what);
        else budget.minEfficiency = parseEfficiency(text, what);
      } else {
        fail(`${path}.${key}`, `unknown budget; expected one of ${CONFIG_KEYS.join(", ")}`);
      }
    }
    entries.push({ rung, from: "config", origin: `${file} ${path}`, budget });
  }
  return entries;
}

/** The budget of one rung: flags before config, a rung's own entry before "*". */
export function budgetForRung(budgets: Budgets, rung: string): Budget {
  const levels: ((e: BudgetEntry) => boolean)[] = [
    (e) => e.from === "flag" && e.rung === rung,
    (e) => e.from === "flag" && e.rung === ALL,
    (e) => e.from === "config" && e.rung === rung,
    (e) => e.from === "config" && e.rung === ALL,
  ];
  const result: Budget = {};
  for (const key of [
    "maxGrowth",
    "maxGrowthAboveBase",
    "maxSizeBytes",
    "maxLayers",
    "maxWastedBytes",
    "maxWastedRatio",
    "minEfficiency",
  ] as const) {
    for (const level of levels) {
      const found = budgets
        .filter(level)
        .reverse()
        .find((e) => e.budget[key] !== undefined);
      if (found) {
        // Each key keeps its own type; the assertion only spares a switch over the keys.
        (result as Record<string, unknown>)[key] = found.budget[key];
        break;
      }
    }
  }
  return result;
}

/** Budget entries for a rung id that is in neither run: most likely a typo. */
export function unmatchedBudgets(budgets: Budgets, rungIds: Iterable<string>): BudgetEntry[] {
  const ids = new Set(rungIds);
  return budgets.filter((e) => e.rung !== ALL && !ids.has(e.rung));
}

/** A growth limit for people: "+5%", "+20MB". */
export function formatGrowthLimit(limit: GrowthLimit): string {
  return limit.kind === "ratio"
    ? `+${Number((limit.ratio * 100).toFixed(2))}%`
    : `+${formatBytes(limit.bytes)}`;
}

/** A budget for a table cell: "+5%, ≤ 300MB, ≤ 30 layers"; "none" when there is none. */
export function describeBudget(budget: Budget): string {
  const parts: string[] = [];
  if (budget.maxGrowth) parts.push(formatGrowthLimit(budget.maxGrowth));
  if (budget.maxGrowthAboveBase) {
    parts.push(`${formatGrowthLimit(budget.maxGrowthAboveBase)} above base`);
  }
  if (budget.maxSizeBytes !== undefined) parts.push(`≤ ${formatBytes(budget.maxSizeBytes)}`);
  if (budget.maxLayers !== undefined) parts.push(`≤ ${budget.maxLayers} layers`);
  for (const gate of wasteGates(budget)) parts.push(gate.describe());
  return parts.length ? parts.join(", ") : "none";
}
