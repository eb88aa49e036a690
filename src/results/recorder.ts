// The record of a run while it runs: owns the RunRecord, its files (JSON, markdown, SVG chart,
// HTML) and the rungs' log files beside it. Saves run one after another, each file written
// atomically, so a slow write never lands after a newer one and an interrupted or crashed run
// keeps what it measured.
import { basename, join } from "node:path";
import { renderLadderSvg } from "../report/chart.js";
import { renderHtmlReport } from "../report/html.js";
import { renderMarkdown } from "../report/run.js";
import type { RunRecord, RungResult } from "../types.js";
import { recordFileName, writeFileAtomic, writeRunRecord } from "./record.js";

export interface RecordFiles {
  json: string;
  markdown: string;
  svg: string;
  html: string;
}

/** The files of a record named `name` (default: <timestamp>-<ladder>) in the folder `out`. */
export function recordFiles(out: string, name: string): RecordFiles {
  return {
    json: join(out, `${name}.json`),
    markdown: join(out, `${name}.md`),
    svg: join(out, `${name}.svg`),
    html: join(out, `${name}.html`),
  };
}

/** Writes a record's JSON, markdown, SVG chart and HTML report, each atomically. */
export async function writeRecordFiles(files: RecordFiles, record: RunRecord): Promise<void> {
  await writeRunRecord(files.json, record);
  await writeFileAtomic(files.markdown, renderMarkdown(record, { chart: basename(files.svg) }));
  await writeFileAtomic(files.svg, renderLadderSvg(record));
  await writeFileAtomic(files.html, renderHtmlReport(record, { logPath: (r) => r.logFile }));
}

export class RunRecorder {
  readonly files: RecordFiles;
  /** Log files are named relative to `out`: <name>/logs/<rung>.log. */
  private readonly logDir: string;
  private readonly logs = new Map<string, string[]>();
  private readonly results = new Map<string, RungResult>();
  private queue: Promise<void> = Promise.resolve();

  /**
   * @param record the record, without rungs yet; the recorder fills `rungs` and `finishedAt`
   * @param order rung ids in ladder order: the record lists results in this order
   */
  constructor(
    readonly record: RunRecord,
    private readonly out: string,
    private readonly order: readonly string[],
    name = recordFileName(record).replace(/\.json$/, ""),
  ) {
    this.files = recordFiles(out, name);
    this.logDir = join(name, "logs");
  }

  /** One line of a rung's build (or warm rebuild) output, kept for its log file. */
  log(rung: string, line: string): void {
    (this.logs.get(rung) ?? this.logs.set(rung, []).get(rung)!).push(line);
  }

  /** Adds a rung's result, writes its log file and saves the record. */
  add(result: RungResult): void {
    const logFile = result.status === "SKIPPED" ? undefined : join(this.logDir, `${result.rung}.log`);
    if (logFile) {
      const text = [
        ...(this.logs.get(result.rung) ?? []),
        ...(result.smoke
          ? ["", `--- smoke test: ${result.smoke.description}`, ...result.smoke.outputTail]
          : []),
      ].join("\n");
      // A log that cannot be written costs the log, never the run.
      this.enqueue(() => writeFileAtomic(join(this.out, logFile), text + "\n").catch(() => {}));
    }
    this.results.set(result.rung, { ...result, logFile });
    this.collect();
    void this.save().catch(() => undefined);
  }

  /** The results so far, in ladder order. */
  collect(): RungResult[] {
    this.record.rungs = this.order.flatMap((id) => this.results.get(id) ?? []);
    return this.record.rungs;
  }

  /** Saves the record now (after any save in progress); resolves when it is on disk. */
  save(): Promise<void> {
    return this.enqueue(async () => {
      this.record.finishedAt = new Date().toISOString();
      await writeRecordFiles(this.files, this.record);
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    // A failed save does not stop later ones; the caller of that save sees its error.
    const next = this.queue.then(step);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
