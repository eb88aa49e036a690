// Sizes and durations, printed the way `docker images` prints them and parsed from flags.
//
// Printing: decimal units (1 MB = 10^6 bytes), three significant digits, no space:
// "489MB", "1.69GB", "32.5kB", "0B" — go-units HumanSizeWithPrecision(size, 3), which the
// docker CLI uses, except that a value that rounds up to 1000 moves to the next unit ("1GB",
// where go-units would print "1e+03MB").
//
// Parsing (`parseSize`): a number, optionally followed by a unit. Units are case-insensitive.
//   B                      bytes (also a bare number)
//   kB, MB, GB, TB         decimal: 10^3, 10^6, 10^9, 10^12 bytes, as docker prints them
//   KiB, MiB, GiB, TiB     binary:  2^10, 2^20, 2^30, 2^40 bytes
// A unit without "B" ("300M", "2g") is refused: docker itself reads "m" as MiB in some flags and
// as MB in others, so the user must say which one they mean.

import { InputError } from "./errors.js";

const DECIMAL_UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"] as const;

/** `docker images` style: "489MB", "1.69GB", "32.5kB", "0B". Negative sizes keep their sign. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`formatBytes: not a finite number: ${n}`);
  const sign = n < 0 ? "-" : "";
  let size = Math.abs(n);
  let unit = 0;
  const last = DECIMAL_UNITS.length - 1;
  while (size >= 1000 && unit < last) {
    size /= 1000;
    unit++;
  }
  let rounded = Number(size.toPrecision(3));
  if (rounded >= 1000 && unit < last) {
    // 999.9 MB rounds to 1000 MB at three digits: print it as 1 GB instead.
    size /= 1000;
    unit++;
    rounded = Number(size.toPrecision(3));
  }
  if (rounded === 0) return "0B";
  return `${sign}${rounded}${DECIMAL_UNITS[unit]}`;
}

/** A size change: "+12.3MB", "-4.5MB", "0B". */
export function formatSignedBytes(n: number): string {
  const text = formatBytes(n);
  return n > 0 && text !== "0B" ? `+${text}` : text;
}

/**
 * A ratio as a percentage: 0.052 → "5.2%", 1.5 → "150%" (one decimal below 100%, none from
 * 100% on). With `signed`, positive values get a "+": "+5.2%". Non-finite ratios (a change
 * from zero) print as "n/a".
 */
export function formatPercent(ratio: number, opts: { signed?: boolean } = {}): string {
  if (!Number.isFinite(ratio)) return "n/a";
  const pct = ratio * 100;
  const digits = Math.abs(pct) >= 99.95 ? 0 : 1;
  let text = Math.abs(pct).toFixed(digits);
  if (Number(text) === 0) return (0).toFixed(digits) + "%";
  text += "%";
  if (pct < 0) return `-${text}`;
  return opts.signed ? `+${text}` : text;
}

/** A duration: "0.4s", "36.2s", "4m05s", "1h02m". */
export function formatSeconds(seconds: number, opts: { whole?: boolean } = {}): string {
  if (!Number.isFinite(seconds)) return "n/a";
  if (seconds < 0) return `-${formatSeconds(-seconds, opts)}`;
  // Whole seconds for clocks that tick (progress, estimates); tenths for measured build times.
  const shown = opts.whole ? Math.round(seconds) : Math.round(seconds * 10) / 10;
  if (shown < 60) return opts.whole ? `${shown}s` : `${shown.toFixed(1)}s`;
  const whole = Math.round(seconds);
  if (whole < 3600) {
    return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
  }
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** A short duration with more precision, for import times: "0.07s", "1.23s"; from 10 s on as formatSeconds. */
export function formatShortSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return "n/a";
  if (Math.abs(seconds) < 9.995) return `${seconds.toFixed(2)}s`;
  return formatSeconds(seconds);
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** What parseSize accepts, for hints. */
export const SIZE_UNITS_HINT =
  "write a number and a unit: B, kB, MB, GB, TB (decimal, as `docker images` prints them: " +
  "1 MB = 1000000 bytes) or KiB, MiB, GiB, TiB (binary: 1 MiB = 1048576 bytes), e.g. 300MB, " +
  "1.5GB, 512MiB; a bare number is bytes";

/**
 * Parses a size into bytes: "300MB", "1.5GB", "512MiB", "2GiB", "100kB", "123" (bytes).
 * `what` names the flag or field in the error, e.g. "--max-size".
 */
export function parseSize(text: string, what = "size"): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z]*)\s*$/.exec(text);
  const fail = (why: string, hint = SIZE_UNITS_HINT): never => {
    throw new InputError(`${what}: ${JSON.stringify(text)} ${why}`, hint);
  };
  if (!m) return fail("is not a size");
  const value = Number(m[1]);
  const unit = (m[2] ?? "").toLowerCase();
  const multiplier = unit === "" ? 1 : SIZE_UNITS[unit];
  if (multiplier === undefined) {
    if (["k", "m", "g", "t", "ki", "mi", "gi", "ti"].includes(unit)) {
      const up = unit[0]!.toUpperCase();
      const dec = up === "K" ? "kB" : `${up}B`;
      return fail(
        `has an ambiguous unit "${m[2]}"`,
        `write ${m[1]}${dec} (decimal, as docker prints: 1 ${dec} = ${SIZE_UNITS[dec.toLowerCase()]} ` +
          `bytes) or ${m[1]}${up}iB (binary: 1 ${up}iB = ${SIZE_UNITS[`${up.toLowerCase()}ib`]} bytes)`,
      );
    }
    return fail(`has an unknown unit "${m[2]}"`);
  }
  const bytes = value * multiplier;
  if (multiplier === 1 && !Number.isInteger(value)) return fail("is not a whole number of bytes");
  if (!Number.isSafeInteger(Math.round(bytes))) return fail("is too large");
  return Math.round(bytes);
}

/**
 * Parses a percentage: "5%", "0.5%", "+5%". The "%" is required, so that a ratio is never
 * mistaken for a size. Returns the ratio: "5%" → 0.05.
 */
export function parsePercent(text: string, what = "percentage"): number {
  const m = /^\s*\+?(\d+(?:\.\d+)?|\.\d+)\s*%\s*$/.exec(text);
  if (!m) {
    throw new InputError(
      `${what}: ${JSON.stringify(text)} is not a percentage`,
      "write a number and a percent sign, e.g. 5% or 0.5%",
    );
  }
  return Number(m[1]) / 100;
}
