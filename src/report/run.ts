// The comparison table of a run, as rows of strings, then as a terminal table or markdown.
import { renderRecommendationMarkdown } from "./recommendation.js";
import type { RunRecord, RungResult } from "../types.js";
import {
  formatBytes,
  formatPercent,
  formatSeconds,
  formatShortSeconds,
  formatSignedBytes,
} from "../units.js";
import {
  markdownTable,
  mdCell as escapeCell,
  oneLine,
  textTable,
  type TextTable,
} from "./table.js";

export const COLUMNS = [
  "rung",
  "base",
  "size",
  "vs previous",
  "% of first",
  "layers",
  "build time",
  "import",
  "smoke test",
] as const;

export type Row = Record<(typeof COLUMNS)[number], string>;

function smokeCell(r: RungResult): string {
  if (r.status === "SKIPPED") return `SKIPPED: ${r.reason ?? ""}`;
  if (r.status === "FAILED") return `FAILED: ${r.reason ?? ""}`;
  return r.smoke ? `PASS (${formatSeconds(r.smoke.seconds)})` : "PASS";
}

/** One row per rung. Size changes compare with the previous rung that produced an image. */
export function tableRows(record: RunRecord): Row[] {
  const first = record.rungs.find((r) => r.image)?.image;
  let previous: number | undefined;
  return record.rungs.map((r) => {
    const size = r.image?.sizeBytes;
    const row: Row = {
      rung: r.rung,
      base: r.base,
      size: size === undefined ? "-" : formatBytes(size),
      "vs previous":
        size === undefined || previous === undefined ? "-" : formatSignedBytes(size - previous),
      "% of first": size === undefined || !first ? "-" : formatPercent(size / first.sizeBytes),
      layers: r.image ? String(r.image.layers) : "-",
      // With --rebuild, the warm rebuild after an application change follows the cold build.
      "build time":
        r.buildSeconds === undefined
          ? "-"
          : formatSeconds(r.buildSeconds) +
            (r.rebuildSeconds === undefined ? "" : ` (warm ${formatSeconds(r.rebuildSeconds)})`),
      // Median wall time of fresh interpreters importing every requirement (or the --test run).
      import:
        r.smoke?.importSeconds === undefined ? "-" : formatShortSeconds(r.smoke.importSeconds),
      "smoke test": smokeCell(r),
    };
    if (size !== undefined) previous = size;
    return row;
  });
}

const NUMERIC: ReadonlySet<string> = new Set([
  "size",
  "vs previous",
  "% of first",
  "layers",
  "build time",
  "import",
]);

function asTextTable(record: RunRecord, cell: (column: string, text: string) => string): TextTable {
  return {
    head: [...COLUMNS],
    align: COLUMNS.map((c) => (NUMERIC.has(c) ? "r" : "l")),
    rows: tableRows(record).map((row) => COLUMNS.map((c) => cell(c, row[c]))),
  };
}

/** Aligned columns, as `docker images` prints them; the head in cyan when `color`. */
export function renderTable(record: RunRecord, opts: { color?: boolean } = {}): string {
  const table = asTextTable(record, (c, text) =>
    c === "smoke test" ? oneLine(text, 60) : oneLine(text, 200),
  );
  const paintHead = opts.color ? (line: string) => `\x1b[36m${line}\x1b[39m` : undefined;
  return textTable(table, { indent: "", paintHead }).join("\n");
}

function mdCell(s: string): string {
  return escapeCell(oneLine(s, 200));
}

export function renderMarkdown(record: RunRecord, opts: { chart?: string } = {}): string {
  const lines = [
    `# shrinkbench: ${mdCell(record.ladder.name)} ladder for \`${mdCell(record.requirements.file)}\``,
    "",
    `Run \`${record.runId}\`, ${record.startedAt} · ` +
      (record.engines && record.engines.length > 1
        ? `engines ${record.engines.map((e) => `${e.version} at ${mdCell(e.host)}`).join(", ")}`
        : `engine ${record.engine.version} at ${mdCell(record.engine.host)}`) +
      ` · sizes as \`docker images\` prints them (1 MB = 10^6 bytes)` +
      (record.interrupted ? " · **interrupted: not every rung ran**" : ""),
    "",
    ...(record.notes ?? []).flatMap((n) => [`> note: ${mdCell(n)}`, ""]),
    ...markdownTable(
      { ...asTextTable(record, (_c, text) => mdCell(text)), head: [...COLUMNS] },
      {
        escape: false,
      },
    ),
  ];
  if (opts.chart) lines.push("", `![size of each rung](${encodeURI(opts.chart)})`);
  lines.push(...inspectionMarkdown(record));
  if (record.recommendation) {
    lines.push("", ...renderRecommendationMarkdown(record.recommendation, record.rungs));
  }
  const failed = record.rungs.filter((r) => r.status === "FAILED");
  if (failed.length) {
    lines.push("", "## Failed rungs", "");
    for (const r of failed) {
      lines.push(`### ${mdCell(r.rung)}`, "", mdCell(r.reason ?? ""), "");
      if (r.logFile) lines.push(`Full log: \`${mdCell(r.logFile)}\``, "");
      if (r.logTail?.length)
        lines.push("```", ...r.logTail.map((l) => l.replace(/```/g, "'''")), "```", "");
    }
  }
  lines.push(
    "",
    `Bases: ${Object.entries(record.bases)
      .map(([k, v]) => `${k} = \`${mdCell(v)}\``)
      .join(", ")}.`,
  );
  return lines.join("\n") + "\n";
}

function categoryBytes(r: RungResult, id: string): string {
  const c = r.inspection?.categories.find((x) => x.id === id);
  return c ? formatBytes(c.bytes) : "0B";
}

/** "Where the bytes are": the inspect summary of every rung that has one. */
export function inspectionMarkdown(record: RunRecord): string[] {
  const rungs = record.rungs.filter((r) => r.inspection);
  if (rungs.length === 0) return [];
  const lines = [
    "",
    "## Where the bytes are",
    "",
    "Wasted = Σ(cumulative − smallest copy) per path across layers; hidden = stored in layers but not visible (what a squash reclaims); see docs/inspect.md.",
    "",
    "| rung | wasted | hidden | efficiency | duplicates | `__pycache__`/.pyc | tests | largest packages | top finding |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
  ];
  for (const r of rungs) {
    const i = r.inspection!;
    const packages = i.topDistributions
      .slice(0, 3)
      .map((d) => `${d.name} ${formatBytes(d.bytes)}`)
      .join(", ");
    const finding = i.findings[0];
    lines.push(
      `| ${[
        r.rung,
        formatBytes(i.wastedBytes),
        formatBytes(i.hiddenBytes),
        formatPercent(i.efficiency),
        formatBytes(i.duplicateSavingsBytes),
        categoryBytes(r, "pycache"),
        categoryBytes(r, "tests"),
        packages || "-",
        finding ? `${finding.message} — ${finding.advice}` : "-",
      ]
        .map(mdCell)
        .join(" | ")} |`,
    );
  }
  return lines;
}

/** The smallest rung that passed its smoke test, if any. */
export function smallestPassing(record: RunRecord): RungResult | undefined {
  return record.rungs
    .filter((r) => r.status === "PASS" && r.image)
    .sort((a, b) => a.image!.sizeBytes - b.image!.sizeBytes)[0];
}
