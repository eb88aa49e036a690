// Prints an ImageDiff (or one per rung, for two run records): a terminal table, markdown for
// a pull request, or JSON. Sizes in decimal units, as `docker images` prints them. Pure.

import type { Change, FileChange, ImageDiff } from "../image/diff.js";
import { formatBytes, formatSignedBytes } from "../units.js";
import { markdownTable, mdCell, textTable, type TextTable } from "./table.js";

export type DiffFormat = "table" | "markdown" | "json";

export const DIFF_SCHEMA = "shrinkbench/diff";

export interface RungDiff {
  rung: string;
  diff: ImageDiff;
}

const bytesOr = (n: number | undefined): string => (n === undefined ? "-" : formatBytes(n));

export function renderDiff(diff: ImageDiff, format: DiffFormat, top = 10): string {
  if (format === "json") {
    return `${JSON.stringify({ schema: DIFF_SCHEMA, schemaVersion: 1, ...diff }, null, 2)}\n`;
  }
  return diffLines(diff, format === "markdown", top, 2).join("\n") + "\n";
}

export function renderRecordDiff(
  a: string,
  b: string,
  rungs: RungDiff[],
  notes: string[],
  format: DiffFormat,
  top = 10,
): string {
  if (format === "json") {
    return `${JSON.stringify({ schema: DIFF_SCHEMA, schemaVersion: 1, a, b, rungs, notes }, null, 2)}\n`;
  }
  const md = format === "markdown";
  const out: string[] = [md ? `## Diff of \`${a}\` → \`${b}\`` : `Diff of ${a} → ${b}`, ""];
  const summary: TextTable = {
    head: ["RUNG", "BEFORE", "AFTER", "CHANGE", "WASTED CHANGE"],
    align: ["l", "r", "r", "r", "r"],
    rows: rungs.map(({ rung, diff }) => [
      rung,
      formatBytes(diff.size.a),
      formatBytes(diff.size.b),
      formatSignedBytes(diff.size.delta),
      diff.wasted ? formatSignedBytes(diff.wasted.delta) : "-",
    ]),
  };
  out.push(...table(summary, md), "");
  for (const n of notes) out.push(md ? `- ${mdCell(n)}` : `  ${n}`);
  for (const { rung, diff } of rungs) {
    if (diff.size.delta === 0 && diff.distributions.length === 0 && diff.categories.length === 0) {
      continue;
    }
    out.push(...diffLines(diff, md, top, 3, rung), "");
  }
  return out.join("\n") + "\n";
}

function table(t: TextTable, md: boolean): string[] {
  if (!md) return textTable(t);
  const head = t.head.map((h) => h.toLowerCase().replace(/^./, (c) => c.toUpperCase()));
  return markdownTable({ ...t, head, rows: t.rows.map((r) => r.map(mdCell)) }, { escape: false });
}

function diffLines(
  diff: ImageDiff,
  md: boolean,
  top: number,
  level: number,
  title?: string,
): string[] {
  const out: string[] = [];
  const h = "#".repeat(level);
  const heading = (text: string) => out.push("", md ? `${h}# ${text}` : text.toUpperCase());
  out.push(
    md
      ? `${h} ${title ? `\`${title}\`: ` : "Diff of "}\`${diff.a}\` → \`${diff.b}\``
      : `${title ? `${title}: ` : "Diff of "}${diff.a} → ${diff.b}`,
    "",
  );
  const line =
    `Size ${formatBytes(diff.size.a)} → ${formatBytes(diff.size.b)} (${formatSignedBytes(diff.size.delta)})` +
    (diff.wasted
      ? `; wasted ${formatBytes(diff.wasted.a)} → ${formatBytes(diff.wasted.b)} (${formatSignedBytes(diff.wasted.delta)})`
      : "") +
    `; duplicates cost ${formatBytes(diff.duplicates.savings.a)} → ${formatBytes(diff.duplicates.savings.b)}.`;
  out.push(md ? line : `  ${line}`);

  if (diff.layers.length) {
    heading("Layers");
    out.push(
      ...table(
        {
          head: ["#", "BEFORE", "AFTER", "CHANGE"],
          align: ["r", "r", "r", "r"],
          rows: diff.layers.map((l) => [
            String(l.index + 1),
            bytesOr(l.a),
            bytesOr(l.b),
            formatSignedBytes(l.delta),
          ]),
        },
        md,
      ),
    );
  }
  const changeTable = (title: string, rows: Change[]) => {
    if (!rows.length) return;
    heading(title);
    out.push(
      ...table(
        {
          head: ["NAME", "BEFORE", "AFTER", "CHANGE"],
          align: ["l", "r", "r", "r"],
          rows: rows
            .slice(0, top)
            .map((c) => [c.label, formatBytes(c.a), formatBytes(c.b), formatSignedBytes(c.delta)]),
        },
        md,
      ),
    );
  };
  changeTable("Python distributions", diff.distributions);
  changeTable("Categories", diff.categories);

  if (diff.files) {
    const fileTable = (title: string, rows: FileChange[], count: number) => {
      if (!rows.length) return;
      heading(`${title} (${count}${count > rows.length ? `, top ${rows.length}` : ""})`);
      out.push(
        ...table(
          {
            head: ["PATH", "BEFORE", "AFTER", "CHANGE"],
            align: ["l", "r", "r", "r"],
            rows: rows.map((f) => [
              `/${f.path}`,
              bytesOr(f.a),
              bytesOr(f.b),
              formatSignedBytes(f.delta),
            ]),
          },
          md,
        ),
      );
    };
    fileTable("Files added", diff.files.added, diff.files.counts.added);
    fileTable("Files removed", diff.files.removed, diff.files.counts.removed);
    fileTable("Files grown", diff.files.grown, diff.files.counts.grown);
  }
  const dupTable = (title: string, rows: ImageDiff["duplicates"]["gained"]) => {
    if (!rows?.length) return;
    heading(title);
    out.push(
      ...table(
        {
          head: ["COPIES", "SIZE", "CHANGE", "PATHS"],
          align: ["r", "r", "r", "l"],
          rows: rows.map((d) => [
            `${d.a} → ${d.b}`,
            formatBytes(d.size),
            formatSignedBytes(d.deltaBytes),
            d.paths.slice(0, 3).join(", ") + (d.paths.length > 3 ? ", …" : ""),
          ]),
        },
        md,
      ),
    );
  };
  dupTable("Duplicates gained", diff.duplicates.gained);
  dupTable("Duplicates lost", diff.duplicates.lost);
  if (diff.notes.length) {
    out.push("");
    for (const n of diff.notes) out.push(md ? `- ${mdCell(n)}` : `  note: ${n}`);
  }
  return out;
}
