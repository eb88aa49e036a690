// One self-contained HTML file for a run: the ladder chart, the results table, and what went
// wrong. No scripts, no external resources: it opens the same from a CI artifact, an email or
// a laptop with no network.

import { escapeXml, renderLadderSvg } from "./chart.js";
import { buildVersusCell, sizeVersusCell } from "./versus.js";
import { versus, yoursOf } from "../results/versus.js";
import { YOURS } from "../ladder/yours.js";
import { renderTradeoffSvg } from "./tradeoff-chart.js";
import type { RunRecord, RungResult } from "../types.js";
import { formatBytes, formatPercent, formatSeconds, formatSignedBytes } from "../units.js";

export interface HtmlReportOptions {
  /**
   * Where a rung's full log is, as shown (and linked) in the failures section; undefined for
   * none. Default `logs/<rung>.log`: relative to a report written in the run's own directory
   * (`results/<run>/report.html` beside `results/<run>/logs/`).
   */
  logPath?: (rung: RungResult) => string | undefined;
}

const e = escapeXml;

/** The numbers of the table, one row per rung; pure, so the table and its tests agree. */
export interface ReportRow {
  rung: RungResult;
  /** Size change against the previous PASS rung with a size. */
  changeBytes?: number;
  changeRatio?: number;
  /** Size as a share of the first PASS rung with a size. */
  ofFirst?: number;
}

export function reportRows(record: RunRecord): ReportRow[] {
  let first: number | undefined;
  let previous: number | undefined;
  return record.rungs.map((r) => {
    const row: ReportRow = { rung: r };
    const size = r.image?.sizeBytes;
    if (r.status !== "PASS" || size === undefined) return row;
    if (previous !== undefined) {
      row.changeBytes = size - previous;
      row.changeRatio = previous > 0 ? size / previous - 1 : Number.NaN;
    }
    if (first !== undefined) row.ofFirst = first > 0 ? size / first : Number.NaN;
    else {
      first = size;
      row.ofFirst = 1;
    }
    previous = size;
    return row;
  });
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f8fa; color: #1f2328;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; }
main { max-width: 1160px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
.meta { color: #59636e; margin: 0 0 12px; font-size: 13px; }
.meta code { font-size: 12px; }
.banner { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.headline { font-size: 15px; margin: 8px 0 14px; }
figure { margin: 0; background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 8px; overflow-x: auto; }
figure svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
code.id, td.smoke { white-space: nowrap; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f4; font-weight: 600; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .title { color: #59636e; font-size: 12px; }
tr.FAILED td { background: #fdecea; }
tr.SKIPPED td { background: #f1f3f5; color: #59636e; }
.status { font-weight: 700; }
.status.PASS { color: #1a7f37; } .status.FAILED { color: #c62828; } .status.SKIPPED { color: #6e7781; }
.smaller { color: #1a7f37; } .larger { color: #c62828; }
.failure { background: #fff; border: 1px solid #d0d7de; border-left: 4px solid #c62828; border-radius: 6px; padding: 8px 12px; margin: 10px 0; }
.failure.SKIPPED { border-left-color: #8c959f; }
.failure h3 { font-size: 14px; margin: 0 0 4px; }
.failure h3 .title { font-weight: 400; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 4px; padding: 6px 8px; overflow-x: auto; font-size: 12px; margin: 6px 0 0; }
footer { color: #59636e; font-size: 12px; margin-top: 28px; }
`;

function statusCell(r: RungResult): string {
  return `<span class="status ${e(r.status)}">${e(r.status)}</span>`;
}

function rowHtml(row: ReportRow, index: number, yours?: RungResult): string {
  const r = row.rung;
  const img = r.image;
  const cells: string[] = [];
  cells.push(`<td class="num">${index + 1}</td>`);
  const title = r.title && r.title !== r.rung ? `<div class="title">${e(r.title)}</div>` : "";
  cells.push(`<td><code class="id">${e(r.rung)}</code>${title}</td>`);
  cells.push(`<td>${statusCell(r)}</td>`);
  cells.push(
    `<td>${e(r.base)} · <code>${e(r.baseImage)}</code>` +
      (img ? ` <span class="title">${e(formatBytes(img.baseSizeBytes))}</span>` : "") +
      `</td>`,
  );
  cells.push(`<td class="num">${img ? e(formatBytes(img.sizeBytes)) : "—"}</td>`);
  if (row.changeBytes !== undefined) {
    const cls = row.changeBytes < 0 ? "smaller" : row.changeBytes > 0 ? "larger" : "";
    const ratio =
      row.changeRatio !== undefined && Number.isFinite(row.changeRatio)
        ? ` (${formatPercent(row.changeRatio, { signed: true })})`
        : "";
    cells.push(`<td class="num ${cls}">${e(formatSignedBytes(row.changeBytes))}${e(ratio)}</td>`);
  } else cells.push(`<td class="num">—</td>`);
  cells.push(
    `<td class="num">${row.ofFirst !== undefined ? e(formatPercent(row.ofFirst)) : "—"}</td>`,
  );
  cells.push(
    `<td class="num">${img ? `${img.layers} <span class="title">(${img.baseLayers} base)</span>` : "—"}</td>`,
  );
  const build =
    r.buildSeconds === undefined
      ? "—"
      : e(formatSeconds(r.buildSeconds)) +
        (r.postSeconds
          ? ` <span class="title">+ ${e(formatSeconds(r.postSeconds))} post</span>`
          : "");
  cells.push(`<td class="num">${build}</td>`);
  if (yours) {
    // With your own Dockerfile in the run: size and build times against it.
    const v = r === yours ? undefined : versus(r, yours);
    const text = v?.bytes === undefined ? "—" : `${sizeVersusCell(v)}; ${buildVersusCell(v)}`;
    cells.push(`<td class="num">${e(text)}</td>`);
  }
  const smoke = r.smoke
    ? `<span class="status ${r.smoke.passed ? "PASS" : "FAILED"}" title="${e(r.smoke.description)}">` +
      `${r.smoke.passed ? "PASS" : "FAILED"}</span> <span class="title">${e(formatSeconds(r.smoke.seconds))}</span>`
    : "—";
  cells.push(`<td class="smoke">${smoke}</td>`);
  return `<tr class="${e(r.status)}" data-rung="${e(r.rung)}">${cells.join("")}</tr>`;
}

function failureHtml(r: RungResult, logPath: string | undefined): string {
  const parts = [
    `<div class="failure ${e(r.status)}" data-rung="${e(r.rung)}">`,
    `<h3><code>${e(r.rung)}</code> ${statusCell(r)} <span class="title">${e(r.title)}</span></h3>`,
    `<div class="reason">${e(r.reason ?? "no reason recorded")}</div>`,
  ];
  if (r.status === "FAILED" && logPath !== undefined)
    parts.push(
      `<div class="log">full log: <a href="${e(encodeURI(logPath))}"><code>${e(logPath)}</code></a></div>`,
    );
  if (r.smoke && !r.smoke.passed && r.smoke.outputTail.length > 0)
    parts.push(
      `<div>smoke test output (last lines):</div><pre>${e(r.smoke.outputTail.join("\n"))}</pre>`,
    );
  if (r.logTail && r.logTail.length > 0)
    parts.push(`<div>build log (last lines):</div><pre>${e(r.logTail.join("\n"))}</pre>`);
  parts.push(`</div>`);
  return parts.join("\n");
}

function headline(rows: ReportRow[]): string | undefined {
  const measured = rows.filter((row) => row.rung.status === "PASS" && row.rung.image);
  if (measured.length < 2) return undefined;
  const first = measured[0]!.rung;
  const best = measured.reduce((a, b) =>
    b.rung.image!.sizeBytes < a.rung.image!.sizeBytes ? b : a,
  ).rung;
  const from = first.image!.sizeBytes;
  const to = best.image!.sizeBytes;
  const time =
    best.buildSeconds !== undefined ? `, built in ${formatSeconds(best.buildSeconds)}` : "";
  return (
    `From <strong>${e(formatBytes(from))}</strong> (<code>${e(first.rung)}</code>) to ` +
    `<strong>${e(formatBytes(to))}</strong> (<code>${e(best.rung)}</code>${e(time)}): ` +
    `${e(formatPercent(from > 0 ? to / from : Number.NaN))} of the first passing rung.`
  );
}

/** "2020-11-11 09:00 → 16:06 UTC", or the raw strings when they are not ISO dates. */
function when(startedAt: string, finishedAt: string): string {
  const iso = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(?::\d\d(?:\.\d+)?)?Z$/;
  const a = iso.exec(startedAt);
  const b = iso.exec(finishedAt);
  if (!a || !b) return `${startedAt} → ${finishedAt}`;
  const end = a[1] === b[1] ? b[2] : `${b[1]} ${b[2]}`;
  return `${a[1]} ${a[2]} → ${end} UTC`;
}

export function renderHtmlReport(record: RunRecord, opts: HtmlReportOptions = {}): string {
  const logPath = opts.logPath ?? ((r: RungResult) => `logs/${r.rung}.log`);
  const rows = reportRows(record);
  const yours = yoursOf(record.rungs);
  const title = `shrinkbench: ${record.ladder.name} — ${record.requirements.file}`;
  const failures = record.rungs.filter((r) => r.status !== "PASS");
  const head = headline(rows);
  const counts = (["PASS", "FAILED", "SKIPPED"] as const)
    .map((s) => `${record.rungs.filter((r) => r.status === s).length} ${s}`)
    .join(", ");

  const html = [
    `<!doctype html>`,
    `<html lang="en">`,
    `<head>`,
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="generator" content="${e(`shrinkbench ${record.tool.version}`)}">`,
    `<title>${e(title)}</title>`,
    `<style>${CSS}</style>`,
    `</head>`,
    `<body>`,
    `<main>`,
    `<h1>shrinkbench report · ${e(record.ladder.name)}</h1>`,
    `<p class="meta">ladder <code>${e(record.ladder.file)}</code> · requirements ` +
      `<code>${e(record.requirements.file)}</code> (${e(record.requirements.names.join(", "))}) · ` +
      `run <code>${e(record.runId)}</code> · ${e(when(record.startedAt, record.finishedAt))} · ` +
      `Docker ${e(record.engine.version)} (${e(record.engine.os)}/${e(record.engine.arch)}) · ` +
      `${e(counts)}</p>`,
    record.interrupted
      ? `<p class="banner">This run was interrupted: rungs that did not run are missing or SKIPPED.</p>`
      : "",
    head ? `<p class="headline">${head}</p>` : "",
    `<figure>`,
    renderLadderSvg(record),
    `</figure>`,
    // The talk's closing question: what each rung costs in time for its size.
    `<figure>`,
    renderTradeoffSvg(record),
    `</figure>`,
    `<h2>Results</h2>`,
    `<table class="results">`,
    `<thead><tr><th>#</th><th>rung</th><th>status</th><th>base</th><th>size</th>` +
      `<th>change vs previous</th><th>% of first</th><th>layers</th><th>build time</th>` +
      (yours ? `<th>vs ${YOURS}: size; build</th>` : "") +
      `<th>smoke</th></tr></thead>`,
    `<tbody>`,
    ...rows.map((row, i) => rowHtml(row, i, yours)),
    `</tbody>`,
    `</table>`,
    `<p class="meta">Sizes are <code>docker image inspect</code> .Size, uncompressed, in decimal ` +
      `units as <code>docker images</code> prints them (1 MB = 10⁶ bytes). Change and share are ` +
      `against passing rungs only: a rung counts only if its smoke test passed. Build time is the ` +
      `wall clock of a cold build with the base image present; post steps (squash) apart.</p>`,
    failures.length > 0 ? `<h2>FAILED and SKIPPED</h2>` : "",
    ...failures.map((r) => failureHtml(r, r.status === "FAILED" ? logPath(r) : undefined)),
    `<footer>Generated by shrinkbench ${e(record.tool.version)} from run record ` +
      `<code>${e(record.runId)}</code>.</footer>`,
    `</main>`,
    `</body>`,
    `</html>`,
    ``,
  ];
  return html.filter((line) => line !== "").join("\n");
}
