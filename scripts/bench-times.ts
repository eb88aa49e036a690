// npm run bench:times — do build times as a ratio to a reference rung travel better than seconds?
//
// Two runs of `shrinkbench run --ladder modern --repeat 3` on the same requirements, one after
// the other (issue 18, item 2). For every passing rung: the coefficient of variation (sample sd /
// mean) of its cold build seconds and of its ratio to the reference rung (timed in the same
// round), within each run (3 samples) and over both runs (6 samples), and the relative change
// of the per-run medians between the runs. The ratio "travels" if its CV is lower than the
// seconds' for most rungs: then the chart and the recommendation should judge on it. Writes
// results/bench-times.{json,md}.
//
// Environment: BENCH_REQUIREMENTS (test/fixtures/small/requirements.txt), BENCH_LADDER (modern),
// BENCH_REPEAT (3), BENCH_RUNS (2), BENCH_REFERENCE (slim), BENCH_RUNGS (all; comma-separated),
// BENCH_WAIT (seconds to wait for a quiet engine first; 60).
import { cpus, loadavg } from "node:os";
import type { RunRecord } from "../src/types.js";
import { summarize } from "../src/results/stats.js";
import { coldBuildSamples } from "../src/results/times.js";
import { log, otherActivity, round2, waitForIdle, writeResults } from "./bench-common.js";
import { shrinkbenchRun } from "./bench-run.js";

const REQ = process.env.BENCH_REQUIREMENTS ?? "test/fixtures/small/requirements.txt";
const LADDER = process.env.BENCH_LADDER ?? "modern";
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const REFERENCE = process.env.BENCH_REFERENCE ?? "slim";
const RUNGS = process.env.BENCH_RUNGS?.split(",").filter(Boolean) ?? [];

interface Variation {
  /** CV of each run's samples, in run order. */
  perRun: number[];
  /** CV of every sample of every run together. */
  pooled: number;
  /** |median of the last run − median of the first| / median of the first. */
  runToRun: number;
  medians: number[];
}

interface Row {
  rung: string;
  seconds: Variation;
  ratio?: Variation;
  /** Whether the ratio's pooled CV is lower than the seconds'. */
  ratioSteadier?: boolean;
  busyRounds: number;
  /** The image's size in each run: the same requirements and bases must give the same bytes. */
  sizeBytes: number[];
}

function variation(perRun: number[][]): Variation | undefined {
  const all = perRun.flat();
  const pooled = summarize(all);
  const spreads = perRun.map((xs) => summarize(xs));
  if (!pooled || spreads.some((s) => !s)) return undefined;
  const medians = spreads.map((s) => s!.median);
  return {
    perRun: spreads.map((s) => round4(s!.cv)),
    pooled: round4(pooled.cv),
    runToRun: round4(Math.abs(medians.at(-1)! - medians[0]!) / medians[0]!),
    medians: medians.map(round4),
  };
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
const pct = (x: number | undefined) => (x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);

async function main(): Promise<void> {
  const quiet = await waitForIdle(Number(process.env.BENCH_WAIT ?? 60));
  const before = { ...otherActivity(), load: loadavg() };
  const startedAt = new Date().toISOString();
  const records: RunRecord[] = [];
  const wall: number[] = [];
  for (let i = 1; i <= RUNS; i++) {
    const { record, wallSeconds } = await shrinkbenchRun(
      [
        REQ,
        "--ladder",
        LADDER,
        "--repeat",
        String(REPEAT),
        "--reference-rung",
        REFERENCE,
        ...RUNGS.flatMap((r) => ["-r", r]),
      ],
      `run ${i} of ${RUNS}`,
    );
    records.push(record);
    wall.push(round2(wallSeconds));
    log(`run ${i}: ${wallSeconds.toFixed(0)} s, load ${loadavg()[0]?.toFixed(1)}`);
  }
  const after = { ...otherActivity(), load: loadavg() };

  const rows: Row[] = [];
  for (const first of records[0]!.rungs) {
    const sides = records.map((rec) => rec.rungs.find((r) => r.rung === first.rung));
    if (sides.some((r) => r?.status !== "PASS")) continue;
    const seconds = variation(sides.map((r) => coldBuildSamples(r!)));
    if (!seconds) continue;
    const ratio =
      first.rung === REFERENCE
        ? undefined
        : sides.every((r) => r!.buildRatioSamples?.length)
          ? variation(sides.map((r) => r!.buildRatioSamples!))
          : undefined;
    rows.push({
      rung: first.rung,
      seconds,
      ...(ratio ? { ratio, ratioSteadier: ratio.pooled < seconds.pooled } : {}),
      sizeBytes: sides.map((r) => r!.image?.sizeBytes ?? -1),
      busyRounds: sides.reduce(
        (n, r) =>
          n +
          (r!.buildLoad ?? []).filter((l) => l.loadBefore > l.cpus || l.concurrentBuilds).length,
        0,
      ),
    });
  }
  const withRatio = rows.filter((r) => r.ratio);
  const sizesDiffer = rows.filter((r) => new Set(r.sizeBytes).size > 1);
  const medianOf = (xs: number[]) => summarize(xs)?.median;
  const summary = {
    rungs: rows.length,
    rungsWithRatio: withRatio.length,
    ratioSteadierIn: withRatio.filter((r) => r.ratioSteadier).length,
    medianPooledCv: {
      seconds: medianOf(withRatio.map((r) => r.seconds.pooled)),
      ratio: medianOf(withRatio.map((r) => r.ratio!.pooled)),
    },
    medianRunToRun: {
      seconds: medianOf(withRatio.map((r) => r.seconds.runToRun)),
      ratio: medianOf(withRatio.map((r) => r.ratio!.runToRun)),
    },
  };
  const ratiosTravel =
    summary.medianPooledCv.ratio !== undefined &&
    summary.medianPooledCv.seconds !== undefined &&
    summary.medianPooledCv.ratio < summary.medianPooledCv.seconds &&
    summary.ratioSteadierIn * 2 > summary.rungsWithRatio;
  const loads = records.flatMap((rec) =>
    rec.rungs.flatMap((r) => (r.buildLoad ?? []).map((l) => l.loadBefore)),
  );
  const loadSpread = summarize(loads);
  const result = {
    benchmark: "times",
    requirements: REQ,
    ladder: LADDER,
    repeat: REPEAT,
    runs: RUNS,
    reference: REFERENCE,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length },
    quietAtStart: quiet,
    loadBeforeBuilds: loadSpread
      ? { min: loadSpread.min, median: loadSpread.median, max: loadSpread.max }
      : undefined,
    otherActivity: { before, after },
    runIds: records.map((r) => r.runId),
    wallSeconds: wall,
    summary,
    ratiosTravel,
    sizesIdentical: sizesDiffer.length === 0,
    rows,
  };
  const busy = !quiet.idle || (loadSpread?.median ?? 0) > cpus().length;
  const md = [
    "# Build times: seconds or ratios to a reference rung?",
    "",
    `\`npm run bench:times\`: ${RUNS} runs of \`shrinkbench run ${REQ} --ladder ${LADDER} --repeat ${REPEAT}\`, one after the other, ${startedAt.slice(0, 16)}Z, ${cpus().length} CPUs. ` +
      "CV = sample standard deviation / mean. *Within a run*: CV of its " +
      `${REPEAT} samples; *pooled*: of all ${REPEAT * RUNS}; *run to run*: change of the median between the runs. ` +
      `Ratios are to \`${REFERENCE}\` timed in the same round.` +
      (busy
        ? ` **The machine was busy** (1-minute load before the builds: median ${loadSpread?.median.toFixed(1)}, ${loadSpread?.min.toFixed(1)}–${loadSpread?.max.toFixed(1)} on ${cpus().length} CPUs; other sessions' builds and tests): the absolute numbers are high, the comparison of the two measures is what counts.`
        : ""),
    "",
    "| rung | seconds: median per run | seconds CV within runs | seconds CV pooled | seconds run to run | ratio: median per run | ratio CV within runs | ratio CV pooled | ratio run to run |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.rung} | ${r.seconds.medians.map((m) => m.toFixed(1)).join(" / ")} | ${r.seconds.perRun.map(pct).join(" / ")} | ${pct(r.seconds.pooled)} | ${pct(r.seconds.runToRun)} | ` +
        (r.ratio
          ? `${r.ratio.medians.map((m) => m.toFixed(2)).join(" / ")} | ${r.ratio.perRun.map(pct).join(" / ")} | ${pct(r.ratio.pooled)} | ${pct(r.ratio.runToRun)} |`
          : "— | — | — | — |"),
    ),
    "",
    `Median over the ${summary.rungsWithRatio} rungs with a ratio: pooled CV ${pct(summary.medianPooledCv.seconds)} (seconds) vs ${pct(summary.medianPooledCv.ratio)} (ratio); run to run ${pct(summary.medianRunToRun.seconds)} vs ${pct(summary.medianRunToRun.ratio)}. The ratio varied less in ${summary.ratioSteadierIn} of ${summary.rungsWithRatio} rungs.`,
    "",
    ratiosTravel
      ? "**Ratios travel better than seconds** on this evidence."
      : "**Ratios did not vary less than seconds** on this evidence.",
    "",
    sizesDiffer.length === 0
      ? `Sizes: every rung's image had the same size to the byte in all ${RUNS} runs.`
      : `Sizes differed between runs: ${sizesDiffer.map((r) => `${r.rung} ${r.sizeBytes.join(" / ")} bytes`).join("; ")}.`,
    "",
  ].join("\n");
  writeResults("bench-times", result, md);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
