// `shrinkbench merge a.json b.json …`: one record from the shards of a ladder run over CI runners
// (`run --shard K/N`): one table, one chart, one recommendation, written as `run` writes its
// record (JSON, markdown, SVG, HTML, the rungs' logs beside it), accepted by `report` and `check`.
// Records that do not belong together are refused (src/results/merge-checks.ts).
import { existsSync } from "node:fs";
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { loadLadder } from "../ladder/assets.js";
import { EXIT, InputError } from "../errors.js";
import { mergeRecords } from "../results/merge.js";
import { readRunRecord, recordFileName } from "../results/record.js";
import { recordFiles, writeRecordFiles, type RecordFiles } from "../results/recorder.js";
import type { RunRecord } from "../types.js";
import { parseSize } from "../units.js";
import { newRunId, printRecord, type OutputFormat } from "./run.js";

export interface MergeCommandOptions {
  files: string[];
  out: string;
  /** Base name of the merged record's files (default: <timestamp>-<ladder>-merged). */
  name?: string;
  format: OutputFormat;
  /** Merge although shards are missing; the absent rungs are named in the record. */
  allowPartial: boolean;
  /** --size-budget for the merged recommendation (default: the shards' own). */
  sizeBudget?: string;
  color?: boolean;
}

export interface MergeIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdoutIsTTY?: boolean;
  env: NodeJS.ProcessEnv;
}

export interface MergeOutcome {
  exitCode: number;
  record: RunRecord;
  files: RecordFiles;
}

/** Caveats of a ladder that whole-run records (not shards) do not carry: from the ladder, if found. */
async function ladderCaveats(record: RunRecord): Promise<Record<string, string>> {
  if (record.shard) return {};
  for (const source of [record.ladder.file, record.ladder.name]) {
    try {
      const ladder = await loadLadder(source);
      if (ladder.name === record.ladder.name)
        return Object.fromEntries(
          ladder.rungs.flatMap((r) => (r.caveat ? [[r.id, r.caveat]] : [])),
        );
    } catch {
      // Not on this machine: the recommendation goes without caveats.
    }
  }
  return {};
}

/**
 * Copies each rung's log from beside its shard's record to beside the merged one, so that the
 * merged HTML report's links work; a log that was not kept (an artifact of the JSON only) is
 * dropped from the rung rather than linked to nothing.
 */
async function carryLogs(
  record: RunRecord,
  sources: Map<string, string>,
  out: string,
  name: string,
): Promise<void> {
  for (const rung of record.rungs) {
    if (!rung.logFile) continue;
    const from = join(dirname(sources.get(rung.rung)!), rung.logFile);
    const logFile = join(name, "logs", `${rung.rung}.log`);
    const to = join(out, logFile);
    if (!existsSync(from)) {
      delete rung.logFile;
      continue;
    }
    if (resolve(from) !== resolve(to)) {
      await mkdir(dirname(to), { recursive: true });
      await copyFile(from, to);
    }
    rung.logFile = logFile;
  }
}

export async function mergeCommand(opts: MergeCommandOptions, io: MergeIO): Promise<MergeOutcome> {
  if (opts.files.length === 0)
    throw new InputError(
      "merge: name the run records to merge",
      "e.g. shrinkbench merge shards/*.json --out results --name current",
    );
  const budgetBytes =
    opts.sizeBudget === undefined ? undefined : parseSize(opts.sizeBudget, "--size-budget");
  const inputs = [];
  for (const file of opts.files) inputs.push({ file, record: await readRunRecord(file) });
  const { record, warnings } = mergeRecords(inputs, {
    runId: newRunId(),
    allowPartial: opts.allowPartial,
    budgetBytes,
    caveats: await ladderCaveats(inputs[0]!.record),
  });
  const name = opts.name ?? recordFileName(record).replace(/\.json$/, "-merged");
  const files = recordFiles(opts.out, name);
  const clobbered = opts.files.find((f) => resolve(f) === resolve(files.json));
  if (clobbered)
    throw new InputError(
      `merge: the merged record would overwrite its input ${clobbered}`,
      "choose another --name or --out",
    );
  const sources = new Map(inputs.flatMap((x) => x.record.rungs.map((r) => [r.rung, x.file])));
  await carryLogs(record, sources, opts.out, name);
  await writeRecordFiles(files, record);
  for (const w of warnings) io.stderr(`shrinkbench: warning: ${w}\n`);
  printRecord(record, files, opts, io);
  // Like `run`: 1 when a rung FAILED. An interrupted shard is in the record (and its notes), but
  // the merge itself was not interrupted.
  const failed = record.rungs.some((r) => r.status === "FAILED");
  return { exitCode: failed ? EXIT.failed : EXIT.ok, record, files };
}
