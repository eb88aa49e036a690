// bench:cost — what a run costs beyond its cold builds (issue 16): the modern ladder on the small
// requirement set, run by the code before the change (a built checkout given as --before DIR),
// by this checkout, and by this checkout with --sizes-only, in one session, one after the
// other. For each run: the wall clock, Σ cold builds (build call + post steps), their ratio (the
// target is at most 1.15×), and per rung where the rest went (smoke test, inspection, clean-up)
// from the records' phaseSeconds. The sizes-only run's sizes are compared with the cold run's
// to the byte. Writes results/bench-cost.{json,md}.
//
//   npm run bench:build && node .bench-build/scripts/bench-cost.js --before /tmp/before [--rounds N]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { RUNG_PHASES, runCost, type RunCost } from "../src/run/phases.js";
import type { RunRecord, RungPhaseSeconds } from "../src/types.js";
import { log, otherActivity, round2, timed, writeResults } from "./bench-common.js";

const REQUIREMENTS = "test/fixtures/small/requirements.txt";

interface Variant {
  name: "before" | "after" | "sizes-only";
  bin: string;
  args: string[];
}

interface Measured {
  variant: Variant["name"];
  round: number;
  /** The process, spawn to exit (Node start-up and the final clean-up included). */
  processSeconds: number;
  loadBefore: number;
  loadAfter: number;
  cost: RunCost;
  /** Process wall / (Σ build calls + Σ post steps) of the cold run it is compared with. */
  ratio?: number;
  rungs: {
    rung: string;
    status: string;
    sizeBytes?: number;
    buildSeconds?: number;
    postSeconds?: number;
    importSeconds?: number;
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
      cost,
      ...(cost.ratio ? { ratio: round2(cost.ratio) } : {}),
      rungs: record.rungs.map((r) => ({
        rung: r.rung,
        status: r.status,
        sizeBytes: r.image?.sizeBytes,
        buildSeconds: r.buildSeconds,
        postSeconds: r.postSeconds,
        importSeconds: r.smoke?.importSeconds,
        phases: r.phaseSeconds ?? {},
      })),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const s1 = (x: number | undefined) => (x === undefined ? "–" : x.toFixed(1));

function phaseTable(m: Measured): string {
  const cols = RUNG_PHASES.filter((p) => m.rungs.some((r) => r.phases[p] !== undefined));
  const lines = [
    `| rung | ${cols.join(" | ")} | import |`,
    `|---|${cols.map(() => "---:").join("|")}|---:|`,
  ];
  for (const r of m.rungs) {
    lines.push(
      `| ${r.rung} | ${cols.map((c) => s1(r.phases[c])).join(" | ")} | ${r.importSeconds === undefined ? "–" : r.importSeconds.toFixed(2)} |`,
    );
  }
  lines.push(`| **Σ** | ${cols.map((c) => `**${s1(m.cost.phases[c])}**`).join(" | ")} | |`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  const before = arg("--before");
  if (!before) throw new Error("--before DIR: a built checkout of the code to compare with");
  const rounds = Number(arg("--rounds") ?? 1);
  const variants: Variant[] = [
    { name: "before", bin: join(before, "dist/bin.js"), args: [] },
    { name: "after", bin: "dist/bin.js", args: [] },
    { name: "sizes-only", bin: "dist/bin.js", args: ["--sizes-only"] },
  ];
  const started = new Date().toISOString();
  const activity = otherActivity();
  const runs: Measured[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Alternate the order of the cold runs between rounds, so that drift hits both alike.
    const order = round % 2 ? variants : [variants[1]!, variants[0]!, variants[2]!];
    for (const v of order) runs.push(await runOnce(v, round));
  }
  const of = (name: Variant["name"]) => runs.filter((r) => r.variant === name);
  const sizesEqual = of("sizes-only").every((s) =>
    s.rungs.every((r) => {
      const cold = of("after")[0]!.rungs.find((c) => c.rung === r.rung);
      return cold?.sizeBytes === r.sizeBytes;
    }),
  );
  const json = {
    benchmark: "cost",
    requirements: REQUIREMENTS,
    ladder: "modern",
    started,
    finished: new Date().toISOString(),
    target:
      "whole-run wall time at most 1.15× the sum of the cold builds (build calls + post steps)",
    machine: { cpus: (await import("node:os")).availableParallelism(), otherActivity: activity },
    sizesOnlyEqualsCold: sizesEqual,
    runs,
  };
  const md: string[] = [
    "# bench:cost — what a run costs beyond its cold builds",
    "",
    `Modern ladder, \`${REQUIREMENTS}\`, ${rounds} round(s), ${started.slice(0, 16)} UTC. ` +
      "`before` is the code before issue 16's item 2 (phase accounting only), `after` this " +
      "checkout, `sizes-only` this checkout with `--sizes-only`. Ratio = the process's wall " +
      "clock / (Σ build calls + Σ post steps); target ≤ 1.15×.",
    "",
    "| run | round | wall | Σ builds | Σ post | ratio | smoke | inspect | cleanup | outside rungs | load before → after |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const r of runs) {
    md.push(
      `| ${r.variant} | ${r.round} | ${r.processSeconds.toFixed(1)} s | ${s1(r.cost.buildSeconds)} s | ${s1(r.cost.postSeconds)} s | ${r.ratio === undefined ? "–" : `${r.ratio.toFixed(2)}×`} | ${s1(r.cost.phases.smoke)} s | ${s1(r.cost.phases.inspect)} s | ${s1(r.cost.phases.cleanup)} s | ${s1(r.cost.outsideSeconds)} s | ${r.loadBefore} → ${r.loadAfter} |`,
    );
  }
  const cold = of("after")[0];
  const fast = of("sizes-only")[0];
  if (cold && fast) {
    md.push(
      "",
      `**sizes-only**: ${fast.processSeconds.toFixed(1)} s against the cold ladder's ` +
        `${cold.processSeconds.toFixed(1)} s: **${(cold.processSeconds / fast.processSeconds).toFixed(2)}× faster**; ` +
        `sizes ${sizesEqual ? "equal to the cold run's to the byte on every rung" : "DIFFER from the cold run's"}.`,
    );
  }
  for (const r of runs)
    md.push("", `## ${r.variant}, round ${r.round}: seconds per rung and phase`, "", phaseTable(r));
  writeResults("bench-cost", json, md.join("\n") + "\n");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
