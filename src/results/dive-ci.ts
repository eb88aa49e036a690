// dive's CI rules file (`.dive-ci`), read as dive reads it, so a team can keep its file and
// move to shrinkbench's numbers:
//
//   rules:
//     lowestEfficiency: 0.95          # a fraction, 0-1
//     highestWastedBytes: 20MB        # go-humanize sizes: 20MB = 20e6, 20MiB = 20 × 2^20, "20M" = 20e6
//     highestUserWastedPercent: 0.20  # a fraction, 0-1, of the bytes above the bottom layer
//
// "disabled" turns a rule off; a rule the file does not name takes dive's default
// (lowestEfficiency 0.9, highestWastedBytes disabled, highestUserWastedPercent 0.1), as in
// dive. Only this small subset of YAML is read (a `rules:` block of `key: value` lines,
// comments, quotes); anything else is refused with its line.

import { readFile } from "node:fs/promises";
import { at, InputError } from "../errors.js";
import type { WasteLimits } from "./waste-gates.js";

export const DIVE_CI_FILE = ".dive-ci";

export const DIVE_DEFAULTS = {
  lowestEfficiency: "0.9",
  highestWastedBytes: "disabled",
  highestUserWastedPercent: "0.1",
} as const;

type DiveKey = keyof typeof DIVE_DEFAULTS;

const HINT =
  "a .dive-ci file holds `rules:` and, indented below it, lowestEfficiency: 0.95, " +
  "highestWastedBytes: 20MB, highestUserWastedPercent: 0.2 (or `disabled`)";

/** One rule of the file, as given (for messages). */
export interface DiveRule {
  key: DiveKey;
  value: string;
  /** Where it came from: "FILE:LINE", or "dive's default". */
  origin: string;
}

export interface DiveCiRules {
  limits: WasteLimits;
  rules: DiveRule[];
}

/** Parses a .dive-ci file's text. */
export function parseDiveCi(text: string, file: string): DiveCiRules {
  const given = new Map<DiveKey, { value: string; line: number }>();
  let inRules = false;
  let sawRules = false;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const content = stripComment(raw);
    if (content.trim() === "") return;
    const indented = /^\s/.test(content);
    const m = /^\s*([A-Za-z0-9_.-]+)\s*:\s*(.*?)\s*$/.exec(content);
    if (!m) {
      throw new InputError(`${at(file, line)}: cannot read ${JSON.stringify(raw.trim())}`, HINT);
    }
    const [, key, rawValue] = m as unknown as [string, string, string];
    if (!indented) {
      inRules = key === "rules";
      if (inRules) sawRules = true;
      if (inRules && rawValue !== "") {
        throw new InputError(`${at(file, line)}: rules: takes an indented block of rules`, HINT);
      }
      return;
    }
    if (!inRules) return; // another section: not ours
    if (!(key in DIVE_DEFAULTS)) {
      throw new InputError(
        `${at(file, line)}: unknown rule ${key}`,
        `dive's rules are ${Object.keys(DIVE_DEFAULTS).join(", ")}`,
      );
    }
    given.set(key as DiveKey, { value: unquote(rawValue), line });
  });
  if (!sawRules && text.trim() !== "") {
    throw new InputError(`${file}: no rules: block`, HINT);
  }

  const limits: WasteLimits = {};
  const rules: DiveRule[] = [];
  for (const key of Object.keys(DIVE_DEFAULTS) as DiveKey[]) {
    const g = given.get(key);
    const value = g?.value ?? DIVE_DEFAULTS[key];
    const origin = g ? at(file, g.line) : "dive's default";
    rules.push({ key, value, origin });
    if (value.toLowerCase() === "disabled") continue;
    const what = `${origin === "dive's default" ? file : origin}: ${key}`;
    if (key === "highestWastedBytes") limits.maxWastedBytes = parseHumanizeBytes(value, what);
    else {
      const f = parseDiveFraction(value, what);
      if (key === "lowestEfficiency") limits.minEfficiency = f;
      else limits.maxWastedRatio = f;
    }
  }
  return { limits, rules };
}

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === "#" && (i === 0 || /\s/.test(line[i - 1] as string))) {
      return line.slice(0, i);
    }
  }
  return line;
}

function unquote(v: string): string {
  const m = /^(["'])(.*)\1$/.exec(v);
  return m ? (m[2] as string) : v;
}

/** strconv.ParseFloat, then dive's range check (0-1). */
function parseDiveFraction(value: string, what: string): number {
  const v = value.trim();
  const n = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 1) {
    throw new InputError(
      `${what}: ${JSON.stringify(value)} is not a fraction between 0 and 1`,
      "dive writes these as ratios: 0.95 for 95%",
    );
  }
  return n;
}

const HUMANIZE_UNITS: Record<string, number> = (() => {
  const table: Record<string, number> = { "": 1, b: 1 };
  ["k", "m", "g", "t", "p", "e"].forEach((p, i) => {
    const dec = 1000 ** (i + 1);
    const bin = 1024 ** (i + 1);
    table[p] = dec;
    table[`${p}b`] = dec;
    table[`${p}i`] = bin;
    table[`${p}ib`] = bin;
  });
  return table;
})();

/**
 * go-humanize's ParseBytes, which dive uses: a number (commas ignored, decimals allowed),
 * then a unit, case-insensitive; "M" and "MB" are decimal, "Mi" and "MiB" binary; the
 * result truncated to whole bytes.
 */
export function parseHumanizeBytes(value: string, what: string): number {
  const m = /^([\d.,]*)(.*)$/.exec(value.trim()) as RegExpExecArray;
  const num = Number((m[1] as string).replace(/,/g, ""));
  const unit = (m[2] as string).trim().toLowerCase();
  const multiplier = HUMANIZE_UNITS[unit];
  if (m[1] === "" || !Number.isFinite(num) || multiplier === undefined) {
    throw new InputError(
      `${what}: ${JSON.stringify(value)} is not a size`,
      "dive's sizes: 20MB (= 20,000,000 bytes), 20MiB (= 20 × 1,048,576), 500kB, 1GB",
    );
  }
  const bytes = Math.floor(num * multiplier);
  if (!Number.isSafeInteger(bytes)) {
    throw new InputError(`${what}: ${JSON.stringify(value)} is too large`, "write a smaller size");
  }
  return bytes;
}

/** Reads and parses a rules file; a missing or unreadable file is bad input. */
export async function loadDiveCi(file: string): Promise<DiveCiRules> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new InputError(
      `${file}: cannot read the CI rules file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      "check the path given to --ci-config (dive's .dive-ci format)",
    );
  }
  return parseDiveCi(text, file);
}
