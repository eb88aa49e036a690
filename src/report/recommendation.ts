// The recommendation (src/results/recommend.ts decides it) in words: label/value lines, then
// plain text for under the terminal table and a markdown section for the run's record.
import type { Recommendation, RungResult } from "../types.js";
import { formatBytes, formatSeconds, formatShortSeconds } from "../units.js";
import { mdCell } from "./table.js";

function describeRung(r: RungResult | undefined): string {
  if (!r?.image) return "";
  const parts = [formatBytes(r.image.sizeBytes)];
  if (r.buildSeconds !== undefined)
    parts.push(`build ${formatSeconds(r.buildSeconds + (r.postSeconds ?? 0))}`);
  if (r.smoke?.importSeconds !== undefined)
    parts.push(`import ${formatShortSeconds(r.smoke.importSeconds)}`);
  return ` (${parts.join(", ")})`;
}

/** The recommendation as lines of text: `[label, value]` pairs, rendered by the callers. */
export function recommendationLines(
  rec: Recommendation,
  rungs: readonly RungResult[],
): [string, string][] {
  const byId = new Map(rungs.map((r) => [r.rung, r]));
  const show = (id: string | undefined) => (id ? `${id}${describeRung(byId.get(id))}` : "none");
  const lines: [string, string][] = [];
  if (rec.frontier.length === 0) {
    lines.push(["recommendation", "none: no rung passed its smoke test"]);
    return lines;
  }
  lines.push(["Pareto frontier", rec.frontier.join(", ")]);
  lines.push(["smallest", show(rec.smallest)]);
  lines.push(["fastest to build", show(rec.fastestBuild)]);
  if (rec.fastestImport) lines.push(["fastest import", show(rec.fastestImport)]);
  if (rec.budget) {
    lines.push([
      `best within ${formatBytes(rec.budget.bytes)}`,
      rec.budget.best ? show(rec.budget.best) : "none: no passing rung fits the budget",
    ]);
  }
  for (const note of rec.notes) lines.push(["warning", note]);
  return lines;
}

/** Plain text for under the terminal table. */
export function renderRecommendationText(
  rec: Recommendation,
  rungs: readonly RungResult[],
): string {
  const lines = recommendationLines(rec, rungs);
  const width = Math.max(...lines.map(([label]) => label.length));
  return (
    "Recommendation (PASS rungs; frontier over size, cold build time and import time):\n" +
    lines.map(([label, value]) => `  ${(label + ":").padEnd(width + 1)} ${value}`).join("\n") +
    "\n"
  );
}

/** A markdown section for the run's .md record. */
export function renderRecommendationMarkdown(
  rec: Recommendation,
  rungs: readonly RungResult[],
): string[] {
  return [
    "## Recommendation",
    "",
    "Among the rungs that passed their smoke test, over size, cold build time and import time:",
    "",
    ...recommendationLines(rec, rungs).map(([label, value]) =>
      label === "warning" ? `- **warning**: ${mdCell(value)}` : `- ${label}: ${mdCell(value)}`,
    ),
  ];
}
