// Prints an InspectReport as a plain-text table (terminal), markdown (PR comments, step
// summaries) or JSON. Sizes print the way `docker images` prints them: decimal units,
// 1 MB = 10^6 bytes. Layers are numbered from 1, bottom first.

import { formatBytes, formatPercent } from "../units.js";
import type { InspectReport } from "../image/types.js";
import { markdownTable, mdCell, textTable, type TextTable } from "./table.js";

export type InspectFormat = "table" | "markdown" | "json";

export interface RenderOptions {
  /** Rows per list (distributions, duplicates, wasteful paths). Default 10. */
  top?: number;
}

/** Markdown heads read as words ("Size"), the terminal's as `docker images` prints them ("SIZE"). */
function capitalised(t: TextTable): TextTable {
  return { ...t, head: t.head.map((h) => h.toLowerCase().replace(/^./, (c) => c.toUpperCase())) };
}

export function renderInspect(
  report: InspectReport,
  format: InspectFormat,
  opts: RenderOptions = {},
): string {
  if (format === "json") return `${JSON.stringify(report, null, 2)}\n`;
  const md = format === "markdown";
  const top = opts.top ?? 10;
  const out: string[] = [];
  const heading = (text: string) => out.push("", md ? `### ${text}` : text.toUpperCase());
  const para = (text: string) => out.push(md ? text : `  ${text}`);
  const table = (t: TextTable) =>
    out.push(...(md ? markdownTable(capitalised(t), { escape: false }) : textTable(t)), "");

  const img = report.image;
  const name = img.repoTags[0] ?? img.ref;
  const platform = img.os && img.architecture ? `, ${img.os}/${img.architecture}` : "";
  out.push(md ? `## Inspect of \`${name}\`` : `Inspect of ${name}`);
  out.push("");
  const t = report.totals;
  const size = img.engineSizeBytes !== undefined ? img.engineSizeBytes : t.sizeBytes;
  const lines = [
    `Image ${shortId(img.id)}${platform}: ${formatBytes(size)} in ${t.layers} layer${t.layers === 1 ? "" : "s"}` +
      (t.gzipBytes !== undefined ? `, ${formatBytes(t.gzipBytes)} compressed` : "") +
      `; ${t.files} files visible (${formatBytes(t.visibleBytes)}).`,
    "Sizes in decimal units (1 MB = 10^6 bytes); SIZE is what the engine counts (file bytes), " +
      "GZIP the gzip -6 size of the layer tar, as a registry push sends it.",
  ];
  for (const l of lines) para(l);

  heading("Layers");
  table({
    head: ["#", "SIZE", "GZIP", "ADDED", "CHANGED", "REMOVED", "INSTRUCTION"],
    align: ["r", "r", "r", "r", "r", "r", "l"],
    rows: report.layers.map((l) => [
      String(l.index + 1),
      formatBytes(l.sizeBytes),
      l.gzipBytes !== undefined ? formatBytes(l.gzipBytes) : "-",
      String(l.added),
      String(l.changed),
      String(l.removed),
      cell(l.instruction || "-", md),
    ]),
  });

  heading("Wasted bytes");
  const w = report.waste;
  para(
    `wasted ${formatBytes(w.wastedBytes)}, efficiency ${formatPercent(w.efficiency)}; ` +
      `hidden ${formatBytes(w.hiddenBytes)} (stored in layers but not visible: what a squash reclaims).`,
  );
  para(
    "wasted = Σ over paths (cumulative − smallest copy); efficiency = Σ smallest / Σ cumulative " +
      "(dive's formula); a deletion counts the size it deleted. See docs/inspect.md.",
  );
  if (w.topPaths.length > 0) {
    out.push("");
    table({
      head: ["WASTED", "VERSIONS", "PATH"],
      align: ["r", "r", "l"],
      rows: w.topPaths
        .slice(0, top)
        .map((p) => [formatBytes(p.wastedBytes), String(p.count), cell(`/${p.path}`, md)]),
    });
  } else out.push("");

  heading("Findings");
  if (report.findings.length === 0) para("none above the reporting threshold");
  for (const f of report.findings) {
    const rule = f.hadolint ? ` [${f.hadolint}]` : "";
    out.push(`${md ? "-" : "  -"} ${cell(f.message, md)} — ${cell(f.advice, md)}${rule}`);
  }

  heading("Python distributions");
  const dists = report.python.distributions;
  if (dists.length === 0) para("no site-packages or dist-packages found");
  else {
    table({
      head: ["SIZE", "FILES", "DISTRIBUTION", "VERSION", "FROM", "SITE"],
      align: ["r", "r", "l", "l", "l", "l"],
      rows: dists
        .slice(0, top)
        .map((d) => [
          formatBytes(d.bytes),
          String(d.files),
          cell(d.name, md),
          cell(d.version ?? "-", md),
          d.source,
          cell(d.site, md),
        ]),
    });
    if (dists.length > top) para(`… and ${dists.length - top} more`);
  }

  heading("Categories");
  table({
    head: ["SIZE", "FILES", "CATEGORY"],
    align: ["r", "r", "l"],
    rows: report.python.categories.map((c) => [
      formatBytes(c.bytes),
      String(c.files),
      cell(c.title, md),
    ]),
  });
  para("A file can count in more than one category.");

  heading("Duplicate files");
  const d = report.duplicates;
  if (d.totalGroups === 0) para("no byte-identical files");
  else {
    para(
      `${d.duplicateFiles} extra copies in ${d.totalGroups} groups: ${formatBytes(d.savingsBytes)} could be saved (shared libraries first).`,
    );
    out.push("");
    table({
      head: ["SAVES", "SIZE", "COPIES", "PATHS"],
      align: ["r", "r", "r", "l"],
      rows: d.groups
        .slice(0, top)
        .map((g) => [
          formatBytes(g.savingsBytes),
          formatBytes(g.size),
          String(g.paths.length),
          md ? g.paths.map(mdCell).join("<br>") : g.paths.join(", "),
        ]),
    });
  }
  while (out[out.length - 1] === "") out.pop();
  return `${out.join("\n")}\n`;
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}

/** Markdown cells must not break the table. */
function cell(text: string, md: boolean): string {
  return md ? mdCell(text) : text;
}
