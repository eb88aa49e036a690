// npm run bench:shards — a ladder as 1, 2 and 4 shards run at once on this machine's engine.
//
// For N in 1, 2, 4: N processes of `shrinkbench run --shard K/N` (the built CLI) start together
// on the same engine, each writing its record; then `shrinkbench merge` joins them and the
// merged record must have every rung PASS. Records the wall time from the first start to the
// last exit, each shard's wall time (the longest is what a CI matrix of N runners would wait
// for, if each runner were as fast as this machine alone), and the sum of the rungs' build
// times (which grows when shards share the machine's CPUs). On two CPUs the speed-up of
// concurrent shards is bounded by two cores. Writes results/bench-shards.{json,md}.
//
// Environment: BENCH_RUNGS (slim,slim-rm-layers,slim-single-layer,slim-squash,slim-multistage,
// slim-wheel), BENCH_REQUIREMENTS (test/fixtures/small/requirements.txt), BENCH_WAIT (seconds
// to wait for a quiet engine first; 60).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import type { RunRecord } from "../src/types.js";
import {
  benchRecord,
  benchStart,
  conditionsSentence,
  log,
  round2,
  timed,
  writeResults,
} from "./bench-common.js";

const REQ = process.env.BENCH_REQUIREMENTS ?? "test/fixtures/small/requirements.txt";
const RUNGS = (
  process.env.BENCH_RUNGS ??
  "slim,slim-rm-layers,slim-single-layer,slim-squash,slim-multistage,slim-wheel"
).split(",");
const COUNTS = [1, 2, 4];

interface Row {
  shards: number;
  wallSeconds: number;
  /** Each shard's wall time (process start to exit), shard 1 first. */
  shardSeconds: number[];
  longestShardSeconds: number;
  /** Each shard's rungs. */
  split: string[][];
  /** Σ of the rungs' cold build times (build + post) as the records give them. */
  sumBuildSeconds: number;
  mergeSeconds: number;
  speedup: number;
}

function readRecord(file: string): RunRecord {
  return JSON.parse(readFileSync(file, "utf8")) as RunRecord;
}

async function shardsAtOnce(count: number): Promise<Omit<Row, "speedup">> {
  const out = mkdtempSync(join(tmpdir(), "shrinkbench-bench-shards-"));
  try {
    const rungArgs = RUNGS.flatMap((r) => ["-r", r]);
    log(`${count} shard(s) at once: ${RUNGS.length} rungs`);
    const t0 = performance.now();
    const runs = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        timed("node", [
          "dist/bin.js",
          "run",
          REQ,
          ...rungArgs,
          "--shard",
          `${i + 1}/${count}`,
          "--out",
          out,
          "--name",
          `shard-${i + 1}-of-${count}`,
          "--quiet",
          "--no-inspect",
        ]),
      ),
    );
    const wallSeconds = (performance.now() - t0) / 1000;
    const files = runs.map((_, i) => join(out, `shard-${i + 1}-of-${count}.json`));
    runs.forEach((r, i) => {
      if (r.code !== 0) throw new Error(`shard ${i + 1}/${count}: exit ${r.code}`);
    });
    const records = files.map(readRecord);
    const merge = await timed("node", [
      "dist/bin.js",
      "merge",
      ...files,
      "--out",
      out,
      "--name",
      "merged",
      "--format",
      "json",
    ]);
    const merged = readRecord(join(out, "merged.json"));
    const notPass = merged.rungs.filter((r) => r.status !== "PASS").map((r) => r.rung);
    if (merge.code !== 0 || merged.rungs.length !== RUNGS.length || notPass.length)
      throw new Error(
        `merge of ${count}: exit ${merge.code}, ${merged.rungs.length} rungs, not PASS: ${notPass.join(", ")}`,
      );
    const shardSeconds = runs.map((r) => round2(r.seconds));
    return {
      shards: count,
      wallSeconds: round2(wallSeconds),
      shardSeconds,
      longestShardSeconds: Math.max(...shardSeconds),
      split: records.map((r) => r.rungs.map((x) => x.rung)),
      sumBuildSeconds: round2(
        merged.rungs.reduce((s, r) => s + (r.buildSeconds ?? 0) + (r.postSeconds ?? 0), 0),
      ),
      mergeSeconds: round2(merge.seconds),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const start = await benchStart(60);
  const startedAt = start.startedAt;
  const measured = [];
  for (const n of COUNTS) measured.push(await shardsAtOnce(n));
  const one = measured[0]!.wallSeconds;
  const rows: Row[] = measured.map((m) => ({ ...m, speedup: round2(one / m.wallSeconds) }));
  const result = await benchRecord("shards", start, { requirements: REQ, rungs: RUNGS, rows });
  const md = [
    "# A ladder as 1, 2 and 4 shards on one engine",
    "",
    `\`npm run bench:shards\` on \`${REQ}\`, ${startedAt.slice(0, 16)}Z: ${RUNGS.length} rungs (${RUNGS.join(", ")}), \`shrinkbench run --shard K/N --no-inspect\` for every K at once on this machine's engine, then \`shrinkbench merge\` (every rung PASS). ${cpus().length} CPUs: concurrent shards share them, so the speed-up here is bounded by ${cpus().length} cores; on a CI matrix each shard has a runner of its own and the ladder takes about its longest shard. One run. ${conditionsSentence(start, "times are noisy")}`,
    "",
    "| shards | wall (all at once) | speed-up | longest shard | each shard | Σ rung build times | merge | split |",
    "|---:|---:|---:|---:|---|---:|---:|---|",
    ...rows.map(
      (r) =>
        `| ${r.shards} | ${r.wallSeconds.toFixed(1)} s | ${r.speedup.toFixed(2)}× | ${r.longestShardSeconds.toFixed(1)} s | ${r.shardSeconds.map((s) => s.toFixed(1)).join(" / ")} s | ${r.sumBuildSeconds.toFixed(1)} s | ${r.mergeSeconds.toFixed(1)} s | ${r.split.map((s) => s.join(", ")).join(" · ")} |`,
    ),
    "",
  ].join("\n");
  writeResults("bench-shards", result, md);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
