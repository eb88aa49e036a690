// Runs `shrinkbench run` (the built CLI, dist/bin.js) as a child process for a benchmark and
// reads back its record: the benchmarks measure the product as users run it.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunRecord } from "../src/types.js";
import { log, timed } from "./bench-common.js";

export async function shrinkbenchRun(
  args: string[],
  what: string,
): Promise<{ record: RunRecord; wallSeconds: number }> {
  const out = mkdtempSync(join(tmpdir(), "shrinkbench-bench-"));
  try {
    log(`${what}: shrinkbench run ${args.join(" ")}`);
    const t = await timed("node", [
      "dist/bin.js",
      "run",
      ...args,
      "--out",
      out,
      "--name",
      "run",
      "--quiet",
      "--no-inspect",
    ]);
    const record = JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as RunRecord;
    const failed = record.rungs.filter((r) => r.status !== "PASS");
    if (t.code !== 0 || failed.length) {
      throw new Error(
        `${what}: exit ${t.code}; ${failed.map((r) => `${r.rung} ${r.status}: ${r.reason}`).join("; ")}`,
      );
    }
    return { record, wallSeconds: t.seconds };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
