// Every rung against your own Dockerfile (src/results/versus.ts decides), as people read it: the
// table's cells, the chart's label, and one recommendation line per frontier rung.
import type { Versus } from "../results/versus.js";
import { formatPercent, formatSeconds, formatSignedBytes } from "../units.js";

function signedSeconds(s: number): string {
  return s > 0 ? `+${formatSeconds(s)}` : formatSeconds(s);
}

/** "-863MB (-85.5%)": the size column against yours. */
export function sizeVersusCell(v: Versus | undefined): string {
  if (v?.bytes === undefined) return "-";
  const pct = v.ratio === undefined ? "" : ` (${formatPercent(v.ratio - 1, { signed: true })})`;
  return formatSignedBytes(v.bytes) + pct;
}

/** "-1.0s (warm -16.0s, +req +4.8s)": the build-time column against yours. */
export function buildVersusCell(v: Versus | undefined): string {
  if (v?.coldSeconds === undefined) return "-";
  const warm = [
    ...(v.warmSeconds === undefined ? [] : [`warm ${signedSeconds(v.warmSeconds)}`]),
    ...(v.warmRequirementsSeconds === undefined
      ? []
      : [`+req ${signedSeconds(v.warmRequirementsSeconds)}`]),
  ];
  return signedSeconds(v.coldSeconds) + (warm.length ? ` (${warm.join(", ")})` : "");
}

function change(seconds: number, what: string): string {
  const abs = formatSeconds(Math.abs(seconds));
  if (Math.abs(seconds) < 0.05) return `${what} the same`;
  return `${what} ${abs} ${seconds < 0 ? "faster" : "slower"}`;
}

/**
 * What switching from your Dockerfile to a rung buys, in one line: "863MB smaller (-85.5%), cold
 * build 1.0s faster, warm rebuild after an app change 16.0s faster, after a requirements change
 * 4.8s slower".
 */
export function switchLine(v: Versus): string {
  const parts: string[] = [];
  if (v.bytes !== undefined) {
    const size = formatSignedBytes(Math.abs(v.bytes)).replace(/^\+/, "");
    const pct = v.ratio === undefined ? "" : ` (${formatPercent(v.ratio - 1, { signed: true })})`;
    parts.push(
      v.bytes === 0 ? "the same size" : `${size} ${v.bytes < 0 ? "smaller" : "larger"}${pct}`,
    );
  }
  if (v.coldSeconds !== undefined) parts.push(change(v.coldSeconds, "cold build"));
  if (v.warmSeconds !== undefined)
    parts.push(change(v.warmSeconds, "warm rebuild after an app change"));
  if (v.warmRequirementsSeconds !== undefined)
    parts.push(change(v.warmRequirementsSeconds, "after a requirements change"));
  return parts.join(", ");
}
