// Render a CheckReport: markdown for pull-request comments and $GITHUB_STEP_SUMMARY, JSON for
// machines. Pure: no I/O.

import { describeBudget } from "../results/budget.js";
import type { CheckReport, CheckStatus, RungCheck, RunSummary } from "../results/compare.js";
import { formatBytes, formatPercent, formatSignedBytes } from "../units.js";
import { mdCell, mdCode } from "./table.js";

export const CHECK_REPORT_SCHEMA = "shrinkbench/check-report";
export const CHECK_REPORT_VERSION = 1;

const STATUS_LABEL: Record<CheckStatus, string> = {
  ok: "✅ ok",
  "grew-over-budget": "❌ grew over budget",
  "grew-above-base": "❌ grew over budget above its base",
  "over-max-size": "❌ over max size",
  "too-many-layers": "❌ too many layers",
  "too-much-waste": "❌ too much waste",
  "low-efficiency": "❌ low efficiency",
  "newly-failing": "❌ newly failing",
  "build-time-grew": "❌ build time grew",
  "still-failing": "⚠️ failing (also in baseline)",
  "new-rung": "🆕 new rung",
  "missing-rung": "⚠️ missing",
  skipped: "⏭️ skipped",
};

function sideCell(r: RungCheck, which: "baseline" | "current"): string {
  const s = r[which];
  if (!s) return "—";
  if (s.status !== "PASS") return s.status;
  return s.sizeBytes === undefined ? "PASS" : formatBytes(s.sizeBytes);
}

function changeCell(r: RungCheck): string {
  if (r.deltaBytes === undefined) return "—";
  const pct =
    r.deltaRatio === undefined ? "" : ` (${formatPercent(r.deltaRatio, { signed: true })})`;
  // A moved base: how much of the change is the base's, so the row reads right on its own
  // (nothing when that is 0 bytes: same size, or a rung FROM scratch).
  const base =
    r.base?.changed && r.base.deltaBytes ? `, base ${formatSignedBytes(r.base.deltaBytes)}` : "";
  return `${formatSignedBytes(r.deltaBytes)}${pct}${base}`;
}

function runLine(label: string, s: RunSummary): string {
  const parts = [`run ${mdCode(s.runId)}`, `ladder ${mdCode(s.ladder)}`, s.startedAt];
  if (s.file) parts.push(mdCode(s.file));
  if (s.interrupted) parts.push("interrupted");
  return `${label}: ${parts.join(", ")}`;
}

/**
 * The report as markdown: the one-line verdict first, then a table with a row per rung
 * (baseline, current, change in bytes and %, budget, status), then details and notes.
 */
export function renderCheckMarkdown(report: CheckReport): string {
  const lines: string[] = [];
  lines.push(`**${mdCell(report.verdict)}**`, "");
  lines.push("| Rung | Baseline | Current | Change | Budget | Status |");
  lines.push("| :--- | ---: | ---: | ---: | :--- | :--- |");
  for (const r of report.rungs) {
    const name =
      r.title && r.title !== r.rung ? `${mdCode(r.rung)} ${mdCell(r.title)}` : mdCode(r.rung);
    lines.push(
      `| ${name} | ${sideCell(r, "baseline")} | ${sideCell(r, "current")} | ${changeCell(r)} ` +
        `| ${mdCell(describeBudget(r.budget))} | ${STATUS_LABEL[r.status]} |`,
    );
  }

  const details: string[] = [];
  for (const r of report.rungs) {
    for (const p of r.problems) details.push(`- ❌ ${mdCode(r.rung)} ${mdCell(p.message)}`);
    for (const n of r.notes) details.push(`- ${mdCode(r.rung)}: ${mdCell(n)}`);
  }
  for (const n of report.notes) details.push(`- ${mdCell(n)}`);
  if (report.baselineUpdated) {
    details.push(
      `- baseline updated: the current run was written to ${mdCode(report.baselineUpdated)}`,
    );
  }
  if (details.length) lines.push("", ...details);

  lines.push(
    "",
    `<sub>${runLine("Baseline", report.baseline)} · ${runLine("current", report.current)} · ` +
      "sizes as `docker images` prints them (1 MB = 1,000,000 bytes)</sub>",
  );
  return lines.join("\n") + "\n";
}

/** The report as JSON, with a schema name and version; sizes in bytes, ratios as fractions. */
export function renderCheckJson(report: CheckReport): string {
  return (
    JSON.stringify(
      { schema: CHECK_REPORT_SCHEMA, schemaVersion: CHECK_REPORT_VERSION, ...report },
      null,
      2,
    ) + "\n"
  );
}
