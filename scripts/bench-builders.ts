// npm run bench:builders — BuildKit against the classic builder on the talk's rungs.
//
// Each rung is built cold by `shrinkbench run -r RUNG` once with --builder buildkit and once
// with --builder classic, in one run, the order alternating from rung to rung so that neither
// builder always goes first on a warmer machine. Records the image sizes (the engine's .Size;
// expected equal within 1%) and the cold build times side by side. Writes
// results/bench-builders.{json,md}.
//
// Environment: BENCH_RUNGS (slim,slim-rm-layers,slim-single-layer,slim-squash,slim-multistage),
// BENCH_REQUIREMENTS (examples/talk/requirements.txt), BENCH_WAIT (seconds to wait for a quiet
// engine first; 120).
import { cpus } from "node:os";
import type { RungResult } from "../src/types.js";
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
const RUNGS = (
  process.env.BENCH_RUNGS ?? "slim,slim-rm-layers,slim-single-layer,slim-squash,slim-multistage"
).split(",");
const BUILDERS = ["buildkit", "classic"] as const;
type B = (typeof BUILDERS)[number];

interface Row {
  rung: string;
  order: B[];
  sizeBytes: Record<B, number>;
  layers: Record<B, number>;
  buildSeconds: Record<B, number>;
  postSeconds: Partial<Record<B, number>>;
  sizeDifferencePercent: number;
}

async function main(): Promise<void> {
  const start = await benchStart(120);
  const startedAt = start.startedAt;
  const rows: Row[] = [];
  for (const [i, rung] of RUNGS.entries()) {
    const order: B[] = i % 2 === 0 ? ["buildkit", "classic"] : ["classic", "buildkit"];
    const got: Partial<Record<B, RungResult>> = {};
    for (const builder of order) {
      const { record } = await shrinkbenchRun(
        [REQ, "-r", rung, "--builder", builder],
        `${rung} (${builder})`,
      );
      const r = record.rungs[0]!;
      if (r.builder !== builder) throw new Error(`${rung}: built by ${r.builder}, not ${builder}`);
      got[builder] = r;
      log(`${rung} (${builder}): ${mb(r.image!.sizeBytes)} MB, ${r.buildSeconds!.toFixed(1)} s`);
    }
    const pick = <T>(f: (r: RungResult) => T) =>
      Object.fromEntries(BUILDERS.map((b) => [b, f(got[b]!)])) as Record<B, T>;
    const size = pick((r) => r.image!.sizeBytes);
    rows.push({
      rung,
      order,
      sizeBytes: size,
      layers: pick((r) => r.image!.layers),
      buildSeconds: pick((r) => round2(r.buildSeconds!)),
      postSeconds: Object.fromEntries(
        BUILDERS.flatMap((b) =>
          got[b]!.postSeconds === undefined ? [] : [[b, round2(got[b]!.postSeconds!)]],
        ),
      ),
      sizeDifferencePercent: round2(((size.buildkit - size.classic) / size.classic) * 100),
    });
  }
  const result = await benchRecord("builders", start, { requirements: REQ, rows });
  const md = [
    "# BuildKit and the classic builder, rung by rung",
    "",
    `\`npm run bench:builders\` on \`${REQ}\`, ${startedAt.slice(0, 16)}Z: each rung built cold (cache off, base present) by \`shrinkbench run -r RUNG --builder B\`, both builders in one run, the order alternating per rung. ${cpus().length} CPUs. ${conditionsSentence(start, "times are noisy, and single runs")}`,
    "",
    "| rung | size BuildKit | size classic | difference | layers (BK / classic) | build BuildKit | build classic | order |",
    "|---|---:|---:|---:|---:|---:|---:|---|",
    ...rows.map(
      (r) =>
        `| ${r.rung} | ${mb(r.sizeBytes.buildkit)} MB | ${mb(r.sizeBytes.classic)} MB | ${r.sizeDifferencePercent >= 0 ? "+" : ""}${r.sizeDifferencePercent}% | ${r.layers.buildkit} / ${r.layers.classic} | ${r.buildSeconds.buildkit.toFixed(1)} s | ${r.buildSeconds.classic.toFixed(1)} s | ${r.order.join(" then ")} |`,
    ),
    "",
  ].join("\n");
  writeResults("bench-builders", result, md);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
