// `shrinkbench report`: re-render a saved run record (table, markdown or JSON; HTML and SVG files).
import { renderLadderSvg } from "../report/chart.js";
import { renderHtmlReport } from "../report/html.js";
import { renderMarkdown, renderTable } from "../report/run.js";
import { readRunRecord, writeFileAtomic } from "../results/record.js";
import { renderRecommendationText } from "../report/recommendation.js";
import type { Output } from "./io.js";

export interface ReportOptions {
  file: string;
  format: "table" | "markdown" | "json";
  /** Also write a self-contained HTML report here. */
  html?: string;
  /** Also write the ladder chart as SVG here. */
  svg?: string;
  /** Colour in the table. */
  color?: boolean;
}

export async function reportCommand(opts: ReportOptions, io: Output): Promise<void> {
  const record = await readRunRecord(opts.file);
  if (opts.html) {
    await writeFileAtomic(opts.html, renderHtmlReport(record, { logPath: (r) => r.logFile }));
    io.stderr(`wrote ${opts.html}\n`);
  }
  if (opts.svg) {
    await writeFileAtomic(opts.svg, renderLadderSvg(record));
    io.stderr(`wrote ${opts.svg}\n`);
  }
  if (opts.format === "json") io.stdout(JSON.stringify(record, null, 2) + "\n");
  else if (opts.format === "markdown") io.stdout(renderMarkdown(record));
  else {
    io.stdout(renderTable(record, { color: opts.color ?? false }) + "\n");
    if (record.recommendation) {
      io.stdout("\n" + renderRecommendationText(record.recommendation, record.rungs));
    }
  }
}
