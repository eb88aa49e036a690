// bench:cost — what a run costs beyond its cold builds (issue 16 item 2): the modern ladder on
// the small requirement set, run by the code before the change (a built checkout given as
// --before DIR) and by this checkout, alternately, in one session. For each run: the wall
// clock, Σ cold builds (build call + post steps), their ratio (the target is at most 1.15×),
// and per rung where the rest went (smoke test, inspection, clean-up) from the records'
// phaseSeconds, side by side. Also the engine's export rate (`docker save` of the full base to
// nowhere), the floor under any inspection. With --sizes-only, a third run per round with
// --sizes-only, its sizes compared with the cold run's to the byte. Writes
// results/bench-cost.{json,md}.
//
//   npm run bench:build && node .bench-build/scripts/bench-cost.js --before /tmp/before [--rounds N] [--sizes-only]
//   node .bench-build/scripts/bench-cost.js --record results/talk-modern.json   (a run already made)
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { runCost, type RunCost } from "../src/run/phases.js";
import type { RunRecord, RungInspection, RungPhaseSeconds } from "../src/types.js";
import {
  benchRecord,
  benchStart,
  conditionsSentence,
  dockerdCpuSeconds,
  log,
  round2,
  sh,
  timed,
  writeResults,
} from "./bench-common.js";

const REQUIREMENTS = "test/fixtures/small/requirements.txt";
const FULL_BASE = "shrinkbench/python:3.11-full";

type VariantName = "before" | "after" | "sizes-only";

interface Variant {
  name: VariantName;
  bin: string;
  args: string[];
}

interface Measured {
  variant: VariantName;
  round: number;
  /** The process, spawn to exit (Node start-up and the final clean-up included). */
  processSeconds: number;
  loadBefore: number;
  loadAfter: number;
  /** dockerd's CPU seconds during the run. */
  dockerdCpuSeconds?: number;
  cost: RunCost;
  /** Process wall / (Σ build calls + Σ post steps). */
  ratio?: number;
  rungs: {
    rung: string;
    status: string;
    sizeBytes?: number;
    buildSeconds?: number;
    postSeconds?: number;
    importSeconds?: number;
    inspection?: RungInspection;
    phases: RungPhaseSeconds;
  }[];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function runOnce(v: Variant, round: number): Promise<Measured> {
  const out = mkdtempSync(join(tmpdir(), "shrinkbench-bench-cost-"));
  try {
    log(`round ${round}, ${v.name}: ${v.bin} run ${REQUIREMENTS} ${v.args.join(" ")}`);
    const loadBefore = loadavg()[0]!;
    const cpu0 = dockerdCpuSeconds();
    const t = await timed("node", [
      v.bin,
      "run",
      REQUIREMENTS,
      "--ladder",
      "modern",
      ...v.args,
      "--out",
      out,
      "--name",
      "run",
      "--quiet",
    ]);
    const cpu1 = dockerdCpuSeconds();
    const record = JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as RunRecord;
    const failed = record.rungs.filter((r) => r.status !== "PASS");
    if (t.code !== 0 || failed.length)
      log(`${v.name}: exit ${t.code}; ${failed.map((r) => `${r.rung} ${r.status}`).join(", ")}`);
    const cost = runCost(record.rungs, t.seconds);
    log(
      `${v.name}: ${t.seconds.toFixed(1)} s, builds ${cost.buildSeconds.toFixed(1)} s + post ${cost.postSeconds.toFixed(1)} s` +
        (cost.ratio ? ` = ${cost.ratio.toFixed(2)}×` : ""),
    );
    return {
      variant: v.name,
      round,
      processSeconds: round2(t.seconds),
      loadBefore: round2(loadBefore),
      loadAfter: round2(loadavg()[0]!),
      ...(cpu0 !== undefined && cpu1 !== undefined
        ? { dockerdCpuSeconds: round2(cpu1 - cpu0) }
        : {}),
      cost,
      ...(cost.ratio ? { ratio: round2(cost.ratio) } : {}),
      rungs: record.rungs.map((r) => ({
        rung: r.rung,
        status: r.status,
        sizeBytes: r.image?.sizeBytes,
        buildSeconds: r.buildSeconds,
        postSeconds: r.postSeconds,
        importSeconds: r.smoke?.importSeconds,
        ...(r.inspection ? { inspection: r.inspection } : {}),
        phases: r.phaseSeconds ?? {},
      })),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** `docker save` of the full base to nowhere: the engine's export rate, the floor of any inspection. */
async function exportRate(): Promise<{
  bytes: number;
  seconds: number;
  dockerdCpuSeconds?: number;
}> {
  const bytes = Number(sh("docker", ["image", "inspect", "-f", "{{.Size}}", FULL_BASE]).trim());
  const cpu0 = dockerdCpuSeconds();
  const t = await timed("sh", ["-c", `docker save ${FULL_BASE} > /dev/null`]);
  const cpu1 = dockerdCpuSeconds();
  return {
    bytes,
    seconds: round2(t.seconds),
    ...(cpu0 !== undefined && cpu1 !== undefined ? { dockerdCpuSeconds: round2(cpu1 - cpu0) } : {}),
  };
}

const s1 = (x: number | undefined) => (x === undefined ? "–" : x.toFixed(1));
const PHASES_SHOWN = ["build", "post", "smoke", "inspect", "cleanup"] as const;

/** Per rung, each phase before → after (the first round of each). */
function sideBySide(before: Measured, after: Measured): string {
  const lines = [
    `| rung | ${PHASES_SHOWN.map((p) => `${p} before → after`).join(" | ")} | import before → after | inspection equal |`,
    `|---|${PHASES_SHOWN.map(() => "---:").join("|")}|---:|:---:|`,
  ];
  const arrow = (a?: number, b?: number) =>
    a === undefined && b === undefined ? "–" : `${s1(a)} → ${s1(b)}`;
  for (const r of after.rungs) {
    const b = before.rungs.find((x) => x.rung === r.rung);
    const same =
      b?.inspection && r.inspection
        ? JSON.stringify(b.inspection) === JSON.stringify(r.inspection)
          ? "yes"
          : "no"
        : "–";
    lines.push(
      `| ${r.rung} | ${PHASES_SHOWN.map((p) => arrow(b?.phases[p], r.phases[p])).join(" | ")} | ${b?.importSeconds?.toFixed(2) ?? "–"} → ${r.importSeconds?.toFixed(2) ?? "–"} | ${same} |`,
    );
  }
  lines.push(
    `| **Σ** | ${PHASES_SHOWN.map((p) => `**${arrow(before.cost.phases[p], after.cost.phases[p])}**`).join(" | ")} | | |`,
  );
  return lines.join("\n");
}

/**
 * `--record FILE`: the cost of a run already made (results/talk-modern.json after `npm run
 * bench:talk`), from its own clock (startedAt to finishedAt: setup and final clean-up are
 * outside it) and its rungs' phases. Prints markdown; runs nothing.
 */
function recordCost(file: string): void {
  const record = JSON.parse(readFileSync(file, "utf8")) as RunRecord;
  const wall = (Date.parse(record.finishedAt!) - Date.parse(record.startedAt)) / 1000;
  const cost = runCost(record.rungs, wall);
  const row = (name: string, p: RungPhaseSeconds, imp?: number) =>
    `| ${name} | ${PHASES_SHOWN.map((x) => s1(p[x])).join(" | ")} | ${imp?.toFixed(2) ?? "–"} |`;
  console.log(
    [
      `${file}: ${wall.toFixed(0)} s from the record's start to its end, Σ builds ${s1(cost.buildSeconds)} s + Σ post ${s1(cost.postSeconds)} s: ratio ${cost.ratio?.toFixed(2) ?? "–"}× (target ≤ 1.15×); outside the rungs' phases ${s1(cost.outsideSeconds)} s`,
      "",
      `| rung | ${PHASES_SHOWN.join(" | ")} | import |`,
      `|---|${PHASES_SHOWN.map(() => "---:").join("|")}|---:|`,
      ...record.rungs.map((r) => row(r.rung, r.phaseSeconds ?? {}, r.smoke?.importSeconds)),
      row("**Σ**", cost.phases),
    ].join("\n"),
  );
}

async function main(): Promise<void> {
  const recorded = arg("--record");
  if (recorded) return recordCost(recorded);
  const before = arg("--before");
  if (!before) throw new Error("--before DIR: a built checkout of the code to compare with");
  const rounds = Number(arg("--rounds") ?? 1);
  const variants: Variant[] = [
    { name: "before", bin: join(before, "dist/bin.js"), args: [] },
    { name: "after", bin: "dist/bin.js", args: [] },
  ];
  if (process.argv.includes("--sizes-only"))
    variants.push({ name: "sizes-only", bin: "dist/bin.js", args: ["--sizes-only"] });
  const start = await benchStart(0);
  const exports = [await exportRate()];
  const runs: Measured[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Alternate the order of the cold runs between rounds, so that drift hits both alike.
    const order = round % 2 ? variants : [variants[1]!, variants[0]!, ...variants.slice(2)];
    for (const v of order) runs.push(await runOnce(v, round));
  }
  exports.push(await exportRate());
  const of = (name: VariantName) => runs.filter((r) => r.variant === name);
  const sizesOnly = of("sizes-only");
  const sizesEqual = sizesOnly.length
    ? sizesOnly.every((s) =>
        s.rungs.every((r) => {
          const cold = of("after")[0]!.rungs.find((c) => c.rung === r.rung);
          return cold?.sizeBytes === r.sizeBytes;
        }),
      )
    : undefined;
  const json = await benchRecord("cost", start, {
    requirements: REQUIREMENTS,
    ladder: "modern",
    target:
      "whole-run wall time at most 1.15× the sum of the cold builds (build calls + post steps)",
    exportRate: exports,
    ...(sizesEqual !== undefined ? { sizesOnlyEqualsCold: sizesEqual } : {}),
    runs,
  });
  const rate = exports.map((e) => `${(e.bytes / 1e6 / e.seconds).toFixed(0)} MB/s`).join(", ");
  const md: string[] = [
    "# bench:cost — what a run costs beyond its cold builds",
    "",
    `Modern ladder, \`${REQUIREMENTS}\`, ${rounds} round(s), ${start.startedAt.slice(0, 16)} UTC. ` +
      "`before` is main before this change (a save per rung image, two at a time; two or three " +
      "timed interpreters per smoke test), `after` this checkout (batched saves, one timed " +
      "interpreter). Ratio = the process's wall clock / (Σ build calls + Σ post steps); target " +
      "≤ 1.15×. " +
      conditionsSentence(
        start,
        "compare the phase totals of runs made side by side, not wall clocks across sessions",
      ),
    "",
    `The engine's export rate (\`docker save ${FULL_BASE}\` to /dev/null, before and after the runs): ${rate}` +
      ` (${exports.map((e) => `${e.seconds} s, dockerd ${e.dockerdCpuSeconds ?? "?"} CPU-s`).join("; ")}).`,
    "",
    "| run | round | wall | Σ builds | Σ post | ratio | smoke | inspect | cleanup | outside rungs | dockerd CPU | load before → after |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const r of runs) {
    md.push(
      `| ${r.variant} | ${r.round} | ${r.processSeconds.toFixed(1)} s | ${s1(r.cost.buildSeconds)} s | ${s1(r.cost.postSeconds)} s | ${r.ratio === undefined ? "–" : `${r.ratio.toFixed(2)}×`} | ${s1(r.cost.phases.smoke)} s | ${s1(r.cost.phases.inspect)} s | ${s1(r.cost.phases.cleanup)} s | ${s1(r.cost.outsideSeconds)} s | ${s1(r.dockerdCpuSeconds)} s | ${r.loadBefore} → ${r.loadAfter} |`,
    );
  }
  const cold = of("after")[0];
  const fast = sizesOnly[0];
  if (cold && fast) {
    md.push(
      "",
      `**sizes-only**: ${fast.processSeconds.toFixed(1)} s against the cold ladder's ` +
        `${cold.processSeconds.toFixed(1)} s: **${(cold.processSeconds / fast.processSeconds).toFixed(2)}× faster**; ` +
        `sizes ${sizesEqual ? "equal to the cold run's to the byte on every rung" : "DIFFER from the cold run's"}.`,
    );
  }
  for (let round = 1; round <= rounds; round++) {
    const b = runs.find((r) => r.variant === "before" && r.round === round);
    const a = runs.find((r) => r.variant === "after" && r.round === round);
    if (!a || !b) continue;
    md.push(
      "",
      `## Round ${round}: seconds per rung and phase, before → after`,
      "",
      "`inspect` before is each rung's own save (two ran at once, so the column adds up to more " +
        "than the wall clock they took); after, each rung's share of the drains' wall clock " +
        "(the column adds up to it). `inspection equal`: the rung's inspection summary in the two " +
        "records is the same to the byte (the builds are separate, so a rung whose build is not " +
        "reproducible may differ for that reason alone).",
      "",
      sideBySide(b, a),
    );
  }
  writeResults("bench-cost", json, md.join("\n") + "\n");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
