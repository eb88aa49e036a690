// npm run bench:scale — a ladder on one engine, on two engines, and on one engine with two
// builds at once: wall time, speedup, and what concurrency does to the build times it reports.
//
// The second engine is a dockerd of the benchmark's own on this machine (own data root, exec
// root, pidfile and socket, no bridge), given the base images by `docker save | docker load`,
// and stopped at the end. Both engines share this machine's CPUs: the speedup shown is what a
// second engine on the same machine buys, a lower bound for a second machine.
// Writes results/bench-scale.{json,md}.
//
// Environment: BENCH_ROUNDS (2), BENCH_RUNGS (slim, slim-rm-layers, slim-single-layer,
// slim-squash, slim-multistage, slim-wheel), BENCH_REQUIREMENTS (the small fixture).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config.js";
import { resolveEndpoint } from "../src/docker/endpoint.js";
import { RUN_LABEL } from "../src/ladder/plan.js";
import type { RunRecord } from "../src/types.js";
import { startOwnEngine } from "../test/engine/helpers/dockerd.js";
import {
  dockerdCpuSeconds,
  log,
  mb,
  median,
  otherActivity,
  round2,
  sh,
  timed,
  waitForIdle,
  writeResults,
} from "./bench-common.js";

const REQ = process.env.BENCH_REQUIREMENTS ?? "test/fixtures/small/requirements.txt";
const RUNGS = (
  process.env.BENCH_RUNGS ??
  "slim,slim-rm-layers,slim-single-layer,slim-squash,slim-multistage,slim-wheel"
).split(",");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

interface Outcome {
  wallSeconds: number;
  buildSecondsSum: number;
  passed: number;
  rungs: number;
  engines: Record<string, number>;
  peakRssBytes: number;
}

async function main(): Promise<void> {
  const quiet = await waitForIdle(Number(process.env.BENCH_WAIT ?? 900));
  const cpu0 = dockerdCpuSeconds();
  const t0 = performance.now();
  const before = otherActivity();
  if (before.runningContainers > 0 || before.processes.length > 0) {
    log(`warning: the machine is not idle (${JSON.stringify(before)}); timings will be noisy`);
  }
  const work = mkdtempSync(join(tmpdir(), "shrinkbench-bench-scale-"));
  const mainHost = resolveEndpoint(undefined).host;
  const config = await loadConfig();
  log("starting a second engine");
  const own = await startOwnEngine();
  try {
    for (const image of [config.bases.slim, config.bases.full]) {
      log(`loading ${image} into it`);
      sh("sh", ["-c", `docker -H ${mainHost} save ${image} | docker -H ${own.host} load`]);
    }
    const configs: Record<string, string[]> = {
      "1 engine": ["--docker-host", mainHost],
      "2 engines": ["--docker-host", mainHost, "--docker-host", own.host],
      "1 engine, concurrency 2": ["--docker-host", mainHost, "--concurrency", "2"],
    };
    const names = Object.keys(configs);
    const results: Record<string, Outcome[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const name of order) {
        log(`round ${round + 1}/${ROUNDS}: ${name}`);
        const out = join(work, `${round}-${name.replace(/\W+/g, "-")}`);
        const t = await timed("node", [
          "dist/bin.js",
          "run",
          REQ,
          ...RUNGS.flatMap((r) => ["-r", r]),
          ...configs[name]!,
          "--no-inspect",
          "--out",
          out,
          "--name",
          "run",
          "-q",
        ]);
        const record = JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as RunRecord;
        for (const host of [mainHost, own.host]) cleanup(host, record.runId);
        const engines: Record<string, number> = {};
        for (const r of record.rungs) {
          const key =
            r.engine === mainHost ? "main" : r.engine === own.host ? "second" : String(r.engine);
          engines[key] = (engines[key] ?? 0) + 1;
        }
        const outcome: Outcome = {
          wallSeconds: t.seconds,
          buildSecondsSum: record.rungs.reduce((a, r) => a + (r.buildSeconds ?? 0), 0),
          passed: record.rungs.filter((r) => r.status === "PASS").length,
          rungs: record.rungs.length,
          engines,
          peakRssBytes: t.peakRssBytes,
        };
        log(
          `  ${outcome.wallSeconds.toFixed(1)} s, ${outcome.passed}/${outcome.rungs} PASS, ${JSON.stringify(engines)}`,
        );
        results[name]!.push(outcome);
      }
    }
    const after = otherActivity();
    const cpu1 = dockerdCpuSeconds();
    // dockerd's average CPU use over the whole benchmark: the engine works for the builds too,
    // so this is context for comparing runs, not noise by itself.
    const dockerdAveragePercent =
      cpu0 === undefined || cpu1 === undefined
        ? undefined
        : round2(((cpu1 - cpu0) / ((performance.now() - t0) / 1000)) * 100);
    const base = median(results["1 engine"]!.map((o) => o.wallSeconds));
    const summary = Object.fromEntries(
      names.map((n) => {
        const wall = median(results[n]!.map((o) => o.wallSeconds));
        return [
          n,
          {
            wallSecondsMedian: round2(wall),
            speedup: round2(base / wall),
            buildSecondsSumMedian: round2(median(results[n]!.map((o) => o.buildSecondsSum))),
            allPassed: results[n]!.every((o) => o.passed === o.rungs),
            peakRssMB: mb(Math.max(...results[n]!.map((o) => o.peakRssBytes))),
          },
        ];
      }),
    );
    const result = {
      benchmark: "scale",
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        engine: sh("docker", ["version", "--format", "{{.Server.Version}}"]).trim(),
      },
      requirements: REQ,
      rungs: RUNGS,
      rounds: ROUNDS,
      results,
      summary,
      otherActivity: { before, after, quietAtStart: quiet, dockerdAveragePercent },
    };
    const md = [
      "# bench:scale — one engine, two engines, two builds at once",
      "",
      `${result.date} · ${result.machine.cpus} CPUs · engine ${result.machine.engine} · \`${REQ}\` · ${RUNGS.length} rungs (${RUNGS.join(", ")}) · ${ROUNDS} rounds, alternating order, cache off.`,
      "",
      "The second engine is a dockerd of the benchmark's own on the same machine: both share its CPUs, so the speedup is what a second engine here buys — a lower bound for a second machine.",
      "",
      "| setup | wall (median) | speedup | sum of reported build times | all PASS | peak RSS |",
      "|---|---:|---:|---:|---|---:|",
      ...names.map((n) => {
        const s = summary[n]!;
        return `| ${n} | ${s.wallSecondsMedian.toFixed(1)} s | ${s.speedup.toFixed(2)}× | ${s.buildSecondsSumMedian.toFixed(1)} s | ${s.allPassed} | ${s.peakRssMB} MB |`;
      }),
      "",
      "The sum of reported build times grows when builds share a machine: that is why `--concurrency` defaults to 1.",
      "",
      before.runningContainers > 0 || before.processes.length > 0 || after.processes.length > 0
        ? `Other activity on the machine during the run (timings are noisier for it): before ${JSON.stringify(before)}, after ${JSON.stringify(after)}.`
        : "The machine was otherwise idle.",
      "",
    ].join("\n");
    writeResults("bench-scale", result, md);
    console.log(md);
  } finally {
    await own.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Removes containers and images labelled with a run id on one engine (nothing else). */
function cleanup(host: string, runId: string): void {
  const filter = `label=${RUN_LABEL}=${runId}`;
  try {
    const ids = (args: string[]) =>
      sh("docker", ["-H", host, ...args])
        .split("\n")
        .filter(Boolean);
    const containers = ids(["ps", "-aq", "--filter", filter]);
    if (containers.length) sh("docker", ["-H", host, "rm", "-f", ...containers]);
    const images = ids(["images", "-q", "--filter", filter]);
    if (images.length) sh("docker", ["-H", host, "rmi", "-f", ...new Set(images)]);
  } catch (e) {
    log(`cleanup of ${runId} on ${host}: ${(e as Error).message.split("\n")[0]}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
