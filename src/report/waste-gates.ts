// Prints the verdicts of the waste gates of `inspect --ci`: one row per rule (ours, and
// dive's verdict where its formula differs), the paths that waste the most, and the verdict
// line. Text for terminals, markdown for pull requests, JSON for machines. Pure: no I/O.

import type { GateResult, WasteFacts } from "../results/waste-gates.js";
import { diveDisagreement } from "../results/waste-gates.js";
import { formatBytes } from "../units.js";
import { markdownTable, mdCell, textTable } from "./table.js";

export const WASTE_GATES_SCHEMA = "shrinkbench/waste-gates";

export interface WasteGateReport {
  image: string;
  results: GateResult[];
  facts: WasteFacts;
  /** Where each rule came from: flags, a rules file, dive's defaults. */
  origins: string[];
  passed: boolean;
}

export function gateReport(
  image: string,
  results: GateResult[],
  facts: WasteFacts,
  origins: string[],
): WasteGateReport {
  return { image, results, facts, origins, passed: results.every((r) => r.passed) };
}

export function renderWasteGates(
  report: WasteGateReport,
  format: "table" | "markdown" | "json",
): string {
  if (format === "json") {
    return `${JSON.stringify({ schema: WASTE_GATES_SCHEMA, schemaVersion: 1, ...report }, null, 2)}\n`;
  }
  const md = format === "markdown";
  const out: string[] = [];
  const verdict = report.passed
    ? `✅ waste gates passed for ${report.image}`
    : `❌ waste gates failed for ${report.image}: ${report.results
        .filter((r) => !r.passed)
        .map((r) => r.message)
        .join("; ")}`;
  out.push(md ? `## Waste gates: \`${report.image}\`` : `Waste gates: ${report.image}`, "");
  const head = ["RULE", "MEASURED", "VERDICT", "DIVE'S FORMULA"];
  const rows = report.results.map((r) => [
    r.rule,
    r.actual,
    r.passed ? "PASS" : "FAIL",
    r.dive ? `${r.dive.actual}: ${r.dive.passed ? "PASS" : "FAIL"}` : "-",
  ]);
  if (md) {
    out.push(
      ...markdownTable({
        head: ["Rule", "Measured", "Verdict", "dive's formula"],
        align: ["l", "r", "l", "r"],
        rows,
      }),
    );
  } else {
    out.push(...textTable({ head, align: ["l", "r", "l", "r"], rows }));
  }
  const disagreements = report.results.map(diveDisagreement).filter((d): d is string => !!d);
  if (disagreements.length) {
    out.push("", md ? "Where dive would judge otherwise:" : "WHERE DIVE WOULD JUDGE OTHERWISE");
    for (const d of disagreements) out.push(md ? `- ${mdCell(d)}` : `  ${d}`);
  }
  const paths = report.facts.topWastedPaths;
  if (paths.length) {
    out.push("", md ? "Most wasted paths:" : "MOST WASTED PATHS");
    for (const p of paths) {
      out.push(
        md
          ? `- \`/${p.path}\`: ${formatBytes(p.wastedBytes)}`
          : `  ${formatBytes(p.wastedBytes).padStart(9)}  /${p.path}`,
      );
    }
  }
  out.push(
    "",
    md ? `Rules from: ${report.origins.join("; ")}` : `rules from: ${report.origins.join("; ")}`,
  );
  out.push("", verdict, "");
  return out.join("\n");
}
