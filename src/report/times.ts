// Timings as people read them: the median, and "±" half the interquartile range when there was
// more than one sample (--repeat), e.g. "53.1s ±4.0". One sample prints as before.
import { summarize, type Spread } from "../results/stats.js";
import { coldBuildSpread, importSpread } from "../results/times.js";
import type { RungResult } from "../types.js";
import { formatSeconds, formatShortSeconds } from "../units.js";

function plusMinus(seconds: number, short: boolean): string {
  if (seconds >= 60) return formatSeconds(seconds);
  return seconds.toFixed(short && seconds < 10 ? 2 : 1);
}

/** "53.1s ±4.0" (several samples) or "53.1s" (one); `short` for import times ("1.23s ±0.05"). */
export function formatSpread(s: Spread, short = false): string {
  const median = short ? formatShortSeconds(s.median) : formatSeconds(s.median);
  return s.n > 1 ? `${median} ±${plusMinus(s.halfIqr, short)}` : median;
}

/** The build call alone (no post steps), as the table's "build time" column shows it. */
export function formatBuildCall(r: RungResult): string | undefined {
  if (r.buildSeconds === undefined) return undefined;
  const s = summarize(r.buildSamples?.length ? r.buildSamples : [r.buildSeconds]);
  return s ? formatSpread(s) : undefined;
}

/** Cold build time (build call + post steps), with its spread. */
export function formatColdBuild(r: RungResult): string | undefined {
  const s = coldBuildSpread(r);
  return s ? formatSpread(s) : undefined;
}

export function formatImport(r: RungResult): string | undefined {
  const s = importSpread(r);
  return s ? formatSpread(s, true) : undefined;
}

/** The cold build time over the reference rung's: "1.23x", with "±" when repeated. */
export function formatRatio(r: RungResult): string | undefined {
  if (r.buildRatio === undefined) return undefined;
  const s = summarize(r.buildRatioSamples ?? [r.buildRatio]);
  const text = `${r.buildRatio.toFixed(2)}x`;
  return s && s.n > 1 ? `${text} ±${s.halfIqr.toFixed(2)}` : text;
}
