// The recommendation (src/results/recommend.ts decides it) in words: label/value lines, then
// plain text for under the terminal table and a markdown section for the run's record.
import type { Recommendation, RungResult } from "../types.js";
import { formatBytes } from "../units.js";
import { mdCell } from "./table.js";
import { formatColdBuild, formatImport } from "./times.js";
import { switchLine } from "./versus.js";
import { versusYours } from "../results/versus.js";
import { YOURS } from "../ladder/yours.js";

function describeRung(r: RungResult | undefined): string {
  if (!r?.image) return "";
  const parts = [formatBytes(r.image.sizeBytes)];
  const build = formatColdBuild(r);
  if (build) parts.push(`build ${build}`);
  const imp = formatImport(r);
  if (imp) parts.push(`import ${imp}`);
  return ` (${parts.join(", ")})`;
}

/** "tie: a, b (within the noise of 3 samples)", or the winner with how sure it is. */
function winner(
  show: (id: string | undefined) => string,
  id: string | undefined,
  ties: string[] | undefined,
  samples: number | undefined,
): string {
  if (ties && ties.length > 1) {
    return `tie: ${ties.join(", ")} (within the noise${samples && samples > 1 ? ` of ${samples} samples each` : ""})`;
  }
  const single = samples === 1 ? " (one sample each: no spread measured)" : "";
  return show(id) + single;
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
  if (rec.recommended) {
    lines.push(["recommended", `${show(rec.recommended)}: ${rec.reason ?? ""}`]);
  }
  lines.push(["Pareto frontier", rec.frontier.join(", ")]);
  // With your own Dockerfile in the run: what switching from it to each frontier rung buys.
  for (const v of versusYours(
    rungs,
    rec.frontier.filter((id) => id !== YOURS),
  ))
    lines.push([`${YOURS} → ${v.rung}`, switchLine(v)]);
  lines.push(["smallest", show(rec.smallest)]);
  lines.push(["fastest to build", winner(show, rec.fastestBuild, rec.ties?.build, rec.samples)]);
  if (rec.fastestImport) {
    lines.push(["fastest import", winner(show, rec.fastestImport, rec.ties?.import, rec.samples)]);
  }
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
