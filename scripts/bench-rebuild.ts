// npm run bench:rebuild — what a developer waits for after an edit, with and without a BuildKit
// cache mount of pip's cache.
//
// One `shrinkbench run --rebuild` (BuildKit) of slim-single-layer (pip install --no-cache-dir)
// and slim-cache-mount (RUN --mount=type=cache,target=/root/.cache/pip) on a one-file app:
// each rung's cold build (cache off), its warm rebuild after an application change, and its
// warm rebuild after a requirements change (one requirement added). Writes
// results/bench-rebuild.{json,md}.
//
// Environment: BENCH_REQUIREMENTS (examples/talk/requirements.txt), BENCH_RUNGS
// (slim-single-layer,slim-cache-mount), BENCH_WAIT (seconds to wait for a quiet engine; 120).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import {
  benchRecord,
  benchStart,
  conditionsSentence,
  log,
  mb,
  round2,
  writeResults,
} from "./bench-common.js";
import { shrinkbenchRun } from "./bench-run.js";

const REQ = process.env.BENCH_REQUIREMENTS ?? "examples/talk/requirements.txt";
const RUNGS = (process.env.BENCH_RUNGS ?? "slim-single-layer,slim-cache-mount").split(",");

async function main(): Promise<void> {
  const start = await benchStart(120);
  const app = mkdtempSync(join(tmpdir(), "shrinkbench-bench-rebuild-app-"));
  writeFileSync(join(app, "main.py"), 'print("hello")\n');
  const startedAt = start.startedAt;
  try {
    const { record, wallSeconds } = await shrinkbenchRun(
      [REQ, ...RUNGS.flatMap((r) => ["-r", r]), "--builder", "buildkit", "--app", app, "--rebuild"],
      "rebuild",
    );
    const rows = record.rungs.map((r) => ({
      rung: r.rung,
      builder: r.builder,
      sizeBytes: r.image!.sizeBytes,
      coldSeconds: round2(r.buildSeconds!),
      warmAfterAppChangeSeconds: r.rebuildSeconds === undefined ? null : round2(r.rebuildSeconds),
      warmAfterRequirementsChangeSeconds:
        r.rebuildRequirementsSeconds === undefined ? null : round2(r.rebuildRequirementsSeconds),
    }));
    for (const r of rows) log(JSON.stringify(r));
    const result = await benchRecord("rebuild", start, {
      requirements: REQ,
      wallSeconds: round2(wallSeconds),
      engine: record.engine,
      rows,
    });
    const s = (x: number | null) => (x === null ? "-" : `${x.toFixed(1)} s`);
    const md = [
      "# Warm rebuilds with and without a cache mount of pip's cache",
      "",
      `\`npm run bench:rebuild\` on \`${REQ}\` with a one-file app, ${startedAt.slice(0, 16)}Z, BuildKit on dockerd ${record.engine.version}, one run (${cpus().length} CPUs). ${conditionsSentence(start, "single runs, noisy times")}`,
      "",
      "Cold: cache off. Warm after an application change: cache on, one app file changed. Warm after a requirements change: cache on, one requirement added (the install runs again; with the cache mount, pip takes the files it downloaded before from its cache: the run fills the mount with one untimed build first, because a cold build's cache mount starts empty and is thrown away).",
      "",
      "| rung | size | cold | warm after app change | warm after requirements change |",
      "|---|---:|---:|---:|---:|",
      ...rows.map(
        (r) =>
          `| ${r.rung} | ${mb(r.sizeBytes)} MB | ${s(r.coldSeconds)} | ${s(r.warmAfterAppChangeSeconds)} | ${s(r.warmAfterRequirementsChangeSeconds)} |`,
      ),
      "",
    ].join("\n");
    writeResults("bench-rebuild", result, md);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
