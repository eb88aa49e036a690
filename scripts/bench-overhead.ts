// npm run bench:overhead — what shrinkbench costs over plain `docker build`.
//
// The same rung Dockerfiles (written by `shrinkbench render`) are built by `docker build`
// (DOCKER_BUILDKIT=0, --network host, --no-cache, the same build args and the same loopback
// package server) in a shell loop that also does what shrinkbench does around each build
// (inspect, the same smoke test in a container without network, removing builder stages and
// the image), and by `shrinkbench run` (--no-inspect: the byte accounting is extra work a shell
// loop does not do; `npm run bench:inspect` measures it). Same engine, cache off, alternating
// order, in one run. Writes results/bench-overhead.{json,md}.
//
// Environment: BENCH_ROUNDS (3), BENCH_RUNGS (slim,slim-rm-layers,slim-single-layer,
// slim-multistage), BENCH_REQUIREMENTS (test/fixtures/small/requirements.txt).
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { cpus, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { loadLadder, loadSmokeScript } from "../src/ladder/assets.js";
import { loadConfig } from "../src/config.js";
import { startIndexServer } from "../src/packages/index-server.js";
import { selectRungs } from "../src/ladder/ladder.js";
import { mergeSources, readHostPipSources } from "../src/packages/pip-sources.js";
import { planRung, RUN_LABEL, RUNG_LABEL } from "../src/ladder/plan.js";
import { loadRequirements } from "../src/requirements/load.js";
import { importSmokeTest, smokeCommand } from "../src/ladder/smoke.js";
import type { RunRecord } from "../src/types.js";
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
  process.env.BENCH_RUNGS ?? "slim,slim-rm-layers,slim-single-layer,slim-multistage"
).split(",");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const q = (s: string) => `'${s.replace(/'/g, `'"'"'`)}'`;

interface Side {
  wallSeconds: number;
  builds: Record<string, number>;
  ok: boolean;
  peakRssBytes?: number;
  maxRssBytes?: number;
}

async function main(): Promise<void> {
  const quiet = await waitForIdle(Number(process.env.BENCH_WAIT ?? 900));
  const cpu0 = dockerdCpuSeconds();
  const t0 = performance.now();
  const before = otherActivity();
  if (before.runningContainers > 0 || before.processes.length > 0) {
    log(`warning: the engine is not idle (${JSON.stringify(before)}); timings will be noisy`);
  }
  const work = mkdtempSync(join(tmpdir(), "shrinkbench-bench-overhead-"));
  const requirements = loadRequirements(REQ, { allowEditable: false });
  const ladder = selectRungs(await loadLadder("modern"), RUNGS);
  const config = await loadConfig();
  // The sources `shrinkbench run` would use, served the same way (the same loopback server code).
  const sources = mergeSources({ host: await readHostPipSources(), file: requirements.options });
  const server = await startIndexServer(sources);
  const smoke = importSmokeTest(
    requirements.requirements.map((r) => r.name),
    await loadSmokeScript(),
  );
  const { cmd, files } = smokeCommand(smoke);
  const smokeDir = join(work, "smoke-files");
  mkdirSync(smokeDir);
  for (const [path, content] of Object.entries(files))
    writeFileSync(join(smokeDir, basename(path)), content);

  // The shell loop: one `docker build` per rung, from the folder `shrinkbench render` wrote.
  const script = [
    "#!/bin/bash",
    "set -euo pipefail",
    'RUN="$1"; OUT="$2"',
    "now() { date +%s.%N; }",
  ];
  for (const rung of ladder.rungs) {
    const dir = join(work, "render", rung.id);
    sh("node", ["dist/bin.js", "render", REQ, "--rung", rung.id, "--out", dir]);
    const plan = planRung(rung, {
      runId: "bench",
      bases: { images: config.bases, unavailable: {} },
      sources: server.sources,
    });
    const args = Object.entries(plan.buildArgs)
      .map(([k, v]) => `--build-arg ${q(`${k}=${v}`)}`)
      .join(" ");
    const tag = `shrinkbench-bench/${rung.id}:"$RUN"`;
    script.push(
      `# ${rung.id}`,
      "s=$(now)",
      `DOCKER_BUILDKIT=0 docker build --network host --no-cache --rm --force-rm --pull=false ${args} ` +
        `--label ${RUN_LABEL}="$RUN" --label ${RUNG_LABEL}=${rung.id} -t ${tag} ${q(dir)} > "$OUT/${rung.id}.build.log" 2>&1`,
      `e=$(now); echo "${rung.id} $s $e" >> "$OUT/times"`,
      `docker image inspect ${tag} ${q(plan.baseImage)} > /dev/null`,
      `cid=$(docker create --network none --entrypoint '' --label ${RUN_LABEL}="$RUN" ${tag} ${cmd.map(q).join(" ")})`,
      ...Object.keys(files).map((p) => `docker cp ${q(join(smokeDir, basename(p)))} "$cid:${p}"`),
      `docker start -a "$cid" > "$OUT/${rung.id}.smoke.log" 2>&1 || echo "${rung.id} smoke-failed" >> "$OUT/failures"`,
      `docker rm -f "$cid" > /dev/null`,
      `docker rmi ${tag} > /dev/null`,
      // Builder stages of a multi-stage build stay behind as untagged images: remove them too.
      `grep -oE '^ ---> [0-9a-f]{12}$' "$OUT/${rung.id}.build.log" | cut -c7- | xargs -r docker rmi > /dev/null 2>&1 || true`,
    );
  }
  const loop = join(work, "loop.sh");
  writeFileSync(loop, script.join("\n") + "\n", { mode: 0o755 });

  const shell = async (n: number): Promise<Side> => {
    const out = join(work, `shell-${n}`);
    mkdirSync(out);
    const runId = `bench-overhead-shell-${process.pid}-${n}`;
    const t = await timed("bash", [loop, runId, out]);
    const builds: Record<string, number> = {};
    for (const line of readFileSync(join(out, "times"), "utf8").trim().split("\n")) {
      const [id, s, e] = line.split(" ");
      builds[id!] = Number(e) - Number(s);
    }
    let failures = "";
    try {
      failures = readFileSync(join(out, "failures"), "utf8");
    } catch {
      // None.
    }
    cleanup(runId);
    return { wallSeconds: t.seconds, builds, ok: t.code === 0 && failures === "" };
  };

  const shrinkbench = async (n: number): Promise<Side> => {
    const out = join(work, `sb-${n}`);
    const fd = openSync(join(work, `sb-${n}.stdout`), "w");
    const t = await timed(
      "node",
      [
        "dist/bin.js",
        "run",
        REQ,
        ...RUNGS.flatMap((r) => ["-r", r]),
        "--no-inspect",
        "--out",
        out,
        "--name",
        "run",
        "-q",
      ],
      { stdout: fd },
    );
    closeSync(fd);
    const record = JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as RunRecord;
    cleanup(record.runId);
    return {
      wallSeconds: t.seconds,
      builds: Object.fromEntries(record.rungs.map((r) => [r.rung, r.buildSeconds ?? NaN])),
      ok: t.code === 0 && record.rungs.every((r) => r.status === "PASS"),
      peakRssBytes: t.peakRssBytes,
      maxRssBytes: record.maxRssBytes,
    };
  };

  const rounds: { order: string[]; shell: Side; shrinkbench: Side }[] = [];
  try {
    for (let n = 0; n < ROUNDS; n++) {
      const order = n % 2 === 0 ? ["shell", "shrinkbench"] : ["shrinkbench", "shell"];
      const got: Partial<Record<"shell" | "shrinkbench", Side>> = {};
      for (const side of order) {
        log(`round ${n + 1}/${ROUNDS}: ${side}`);
        got[side as "shell" | "shrinkbench"] =
          side === "shell" ? await shell(n) : await shrinkbench(n);
        log(
          `  ${side}: ${got[side as "shell"]!.wallSeconds.toFixed(1)} s, ok=${got[side as "shell"]!.ok}`,
        );
      }
      rounds.push({ order, shell: got.shell!, shrinkbench: got.shrinkbench! });
    }
  } finally {
    await server.close();
  }
  const after = otherActivity();
  const cpu1 = dockerdCpuSeconds();
  // dockerd's average CPU use over the whole benchmark: the engine works for the builds too,
  // so this is context for comparing runs, not noise by itself.
  const dockerdAveragePercent =
    cpu0 === undefined || cpu1 === undefined
      ? undefined
      : round2(((cpu1 - cpu0) / ((performance.now() - t0) / 1000)) * 100);

  const sum = (b: Record<string, number>) => Object.values(b).reduce((a, x) => a + x, 0);
  const shellWall = median(rounds.map((r) => r.shell.wallSeconds));
  const sbWall = median(rounds.map((r) => r.shrinkbench.wallSeconds));
  const shellBuild = median(rounds.map((r) => sum(r.shell.builds)));
  const sbBuild = median(rounds.map((r) => sum(r.shrinkbench.builds)));
  const pairedWall = median(rounds.map((r) => r.shrinkbench.wallSeconds / r.shell.wallSeconds - 1));
  const summary = {
    wallSecondsMedian: { shell: round2(shellWall), shrinkbench: round2(sbWall) },
    buildSecondsMedian: { shell: round2(shellBuild), shrinkbench: round2(sbBuild) },
    /** (shrinkbench / shell - 1) of the medians, in %: positive = shrinkbench slower. */
    wallOverheadPercent: round2((sbWall / shellWall - 1) * 100),
    buildOverheadPercent: round2((sbBuild / shellBuild - 1) * 100),
    /** The median of each round's own ratio (the two sides of a round ran back to back). */
    pairedWallOverheadPercent: round2(pairedWall * 100),
    targetPercent: 5,
    allPassed: rounds.every((r) => r.shell.ok && r.shrinkbench.ok),
    shrinkbenchPeakRssMB: mb(Math.max(...rounds.map((r) => r.shrinkbench.peakRssBytes ?? 0))),
  };
  const result = {
    benchmark: "overhead",
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      engine: sh("docker", ["version", "--format", "{{.Server.Version}}"]).trim(),
    },
    requirements: REQ,
    rungs: RUNGS,
    rounds,
    summary,
    otherActivity: { before, after, quietAtStart: quiet, dockerdAveragePercent },
  };
  const perRung = RUNGS.map((id) => {
    const s = median(rounds.map((r) => r.shell.builds[id] ?? NaN));
    const b = median(rounds.map((r) => r.shrinkbench.builds[id] ?? NaN));
    return `| ${id} | ${s.toFixed(2)} s | ${b.toFixed(2)} s | ${((b / s - 1) * 100).toFixed(1)}% |`;
  });
  const md = [
    "# bench:overhead — shrinkbench vs a `docker build` shell loop",
    "",
    `${result.date} · ${result.machine.cpus} CPUs · engine ${result.machine.engine} · \`${REQ}\` · rungs ${RUNGS.join(", ")} · ${ROUNDS} rounds, alternating order, cache off.`,
    "",
    "The shell loop builds each rung's Dockerfile from `shrinkbench render` with `docker build` (classic builder, `--network host`, `--no-cache`, the same build args and loopback package server), inspects it, runs the same smoke test in a container without network and removes the image and builder stages; `shrinkbench run --no-inspect` does the same work through the Engine API.",
    "",
    "| | shell loop | shrinkbench | shrinkbench slower by |",
    "|---|---:|---:|---:|",
    `| whole ladder, wall (median) | ${shellWall.toFixed(1)} s | ${sbWall.toFixed(1)} s | ${summary.wallOverheadPercent}% (paired: ${summary.pairedWallOverheadPercent}%) |`,
    `| builds only, sum (median) | ${shellBuild.toFixed(1)} s | ${sbBuild.toFixed(1)} s | ${summary.buildOverheadPercent}% |`,
    "",
    "Per rung, build time (median):",
    "",
    "| rung | docker build | shrinkbench | difference |",
    "|---|---:|---:|---:|",
    ...perRung,
    "",
    `Target: at most ${summary.targetPercent}% slower. Every build and smoke test passed: ${summary.allPassed}. Peak RSS of shrinkbench: ${summary.shrinkbenchPeakRssMB} MB.`,
    "",
    `Rounds (shell / shrinkbench wall): ${rounds.map((r) => `${r.shell.wallSeconds.toFixed(1)} / ${r.shrinkbench.wallSeconds.toFixed(1)} s (${r.order[0]} first)`).join("; ")}.`,
    "",
    before.runningContainers > 0 || before.processes.length > 0 || after.processes.length > 0
      ? `Other activity on the machine during the run (timings are noisier for it): before ${JSON.stringify(before)}, after ${JSON.stringify(after)}.`
      : "The engine was otherwise idle.",
    "",
  ].join("\n");
  writeResults("bench-overhead", result, md);
  rmSync(work, { recursive: true, force: true });
  console.log(md);
}

/** Removes containers and images labelled with a run id (and nothing else). */
function cleanup(runId: string): void {
  const filter = `label=${RUN_LABEL}=${runId}`;
  const ids = (args: string[]) => sh("docker", args).split("\n").filter(Boolean);
  try {
    const containers = ids(["ps", "-aq", "--filter", filter]);
    if (containers.length) sh("docker", ["rm", "-f", ...containers]);
    const images = ids(["images", "-q", "--filter", filter]);
    if (images.length) sh("docker", ["rmi", "-f", ...new Set(images)]);
  } catch (e) {
    log(`cleanup of ${runId}: ${(e as Error).message.split("\n")[0]}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
