// The comparison table of a run, as rows of strings, then as a terminal table or markdown.
import { renderRecommendationMarkdown } from "./recommendation.js";
import type { RunRecord, RungResult } from "../types.js";
import { formatBytes, formatPercent, formatSeconds, formatSignedBytes } from "../units.js";
import { formatBuildCall, formatImport, formatRatio } from "./times.js";
import { buildVersusCell, sizeVersusCell } from "./versus.js";
import { versus, yoursOf } from "../results/versus.js";
import { YOURS } from "../ladder/yours.js";
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

export type Row = Record<(typeof COLUMNS)[number], string> & {
  /** Cold build time over the reference rung's (records with a referenceRung only). */
  ratio?: string;
  /** Size and build times against your own Dockerfile (records with the rung `yours` only). */
  sizeVsYours?: string;
  buildVsYours?: string;
};

type Column = { key: keyof Row; head: string };

/** The columns of a record's table: with a reference rung, its ratio column after build time. */
export function columnsOf(record: RunRecord): Column[] {
  const yours = yoursOf(record.rungs) !== undefined;
  return COLUMNS.flatMap((c): Column[] => {
    const column = { key: c, head: c };
    if (c === "vs previous" && yours)
      return [column, { key: "sizeVsYours" as const, head: `vs ${YOURS}` }];
    if (c !== "build time") return [column];
    return [
      column,
      ...(record.referenceRung
        ? [{ key: "ratio" as const, head: `vs ${record.referenceRung}` }]
        : []),
      ...(yours ? [{ key: "buildVsYours" as const, head: `build vs ${YOURS}` }] : []),
    ];
  });
}

/**
 * The cold build; with --rebuild, the warm rebuilds follow in brackets: after an application
 * change, then after a requirements change ("+req": one requirement added).
 */
function buildTimeCell(r: RungResult): string {
  if (r.buildSeconds === undefined) return "-";
  const busy = r.busy ? " busy" : "";
  const warm = [
    ...(r.rebuildSeconds === undefined ? [] : [`warm ${formatSeconds(r.rebuildSeconds)}`]),
    ...(r.rebuildRequirementsSeconds === undefined
      ? []
      : [`+req ${formatSeconds(r.rebuildRequirementsSeconds)}`]),
  ];
  return formatBuildCall(r)! + (warm.length ? ` (${warm.join(", ")})` : "") + busy;
}

function smokeCell(r: RungResult): string {
  if (r.status === "SKIPPED") return `SKIPPED: ${r.reason ?? ""}`;
  if (r.status === "FAILED") return `FAILED: ${r.reason ?? ""}`;
  return r.smoke ? `PASS (${formatSeconds(r.smoke.seconds)})` : "PASS";
}

/** One row per rung. Size changes compare with the previous rung that produced an image. */
export function tableRows(record: RunRecord): Row[] {
  const first = record.rungs.find((r) => r.image)?.image;
  const yours = yoursOf(record.rungs);
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
      // With --rebuild, the warm rebuilds follow the cold build (see buildTimeCell).
      // The median and ± half the IQR with --repeat; a build timed on a busy machine says so.
      "build time": buildTimeCell(r),
      // Median wall time of fresh interpreters importing every requirement (or the --test run).
      import: formatImport(r) ?? "-",
      "smoke test": smokeCell(r),
    };
    if (record.referenceRung) row.ratio = formatRatio(r) ?? "-";
    if (yours) {
      const v = r.rung === YOURS ? undefined : versus(r, yours);
      row.sizeVsYours = sizeVersusCell(v);
      row.buildVsYours = buildVersusCell(v);
    }
    if (size !== undefined) previous = size;
    return row;
  });
}

/** Every column holds a number except these, which read as words. */
const WORDS: ReadonlySet<string> = new Set(["rung", "base", "smoke test"]);

function asTextTable(record: RunRecord, cell: (column: string, text: string) => string): TextTable {
  const columns = columnsOf(record);
  return {
    head: columns.map((c) => c.head),
    align: columns.map((c) => (WORDS.has(c.key) ? "l" : "r")),
    rows: tableRows(record).map((row) => columns.map((c) => cell(c.key, row[c.key] ?? "-"))),
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
    ...timesNote(record),
    ...markdownTable(
      asTextTable(record, (_c, text) => mdCell(text)),
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

/** How to read the times: rounds, spread, ratios, and which were taken on a busy machine. */
export function timesNote(record: RunRecord): string[] {
  const lines: string[] = [];
  const parts: string[] = [];
  if ((record.repeat ?? 1) > 1)
    parts.push(
      `times are the median of ${record.repeat} interleaved rounds, ± half the interquartile range`,
    );
  if (record.referenceRung)
    parts.push(
      `"vs ${record.referenceRung}" is the cold build time over ${record.referenceRung}'s in the same round`,
    );
  if (parts.length) lines.push(`> ${mdCell(parts.join("; "))}.`, "");
  for (const r of record.rungs.filter((x) => x.busy)) {
    lines.push(`> busy: ${mdCell(r.rung)}: ${mdCell(r.busy!)}`, "");
  }
  return lines;
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
