// A ladder spread over two runners, on the real engine: `run --shard 1/2` and `run --shard 2/2`
// of a two-rung ladder each build one rung; `merge` makes one record of both, with both rungs
// PASS, and `check` accepts it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkCommand } from "../../src/commands/check.js";
import { mergeCommand } from "../../src/commands/merge.js";
import { runCommand } from "../../src/commands/run.js";
import { DockerEngine } from "../../src/docker/docker-engine.js";
import { resolveEndpoint } from "../../src/docker/endpoint.js";
import { readRunRecord } from "../../src/results/record.js";
import { quietIO, runOptions } from "./helpers/run.js";

const engine = new DockerEngine(resolveEndpoint(undefined));
const RUNGS = ["slim", "slim-single-layer"];
let dir: string;
const runIds: string[] = [];
const shardFiles: string[] = [];

beforeAll(async () => {
  await engine.info();
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-shards-"));
  for (const k of [1, 2]) {
    const run = await runCommand(
      runOptions(join(dir, "shards"), {
        rungs: RUNGS,
        shard: `${k}/2`,
        name: `shard-${k}`,
        inspect: false,
      }),
      quietIO(),
    );
    runIds.push(run.record.runId);
    expect(run.exitCode, JSON.stringify(run.record.rungs)).toBe(0);
    shardFiles.push(run.files.json);
  }
}, 900_000);

afterAll(async () => {
  for (const id of runIds)
    await engine.removeLeftovers({ runId: id }, { images: true, cache: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("a ladder as two shards", () => {
  it("builds each rung in exactly one shard, and each record says which shard it is", async () => {
    const records = await Promise.all(shardFiles.map((f) => readRunRecord(f)));
    expect(records.map((r) => r.rungs.length)).toEqual([1, 1]);
    expect(records.flatMap((r) => r.rungs.map((x) => x.rung)).sort()).toEqual([...RUNGS].sort());
    expect(records.map((r) => `${r.shard?.index}/${r.shard?.count}`)).toEqual(["1/2", "2/2"]);
    for (const r of records) expect(r.shard?.ladderRungs).toEqual(RUNGS);
  });

  it("merges into one record with both rungs PASS, which check accepts", async () => {
    const out = join(dir, "merged");
    const merged = await mergeCommand(
      { files: shardFiles, out, name: "current", format: "json", allowPartial: false },
      { stdout: () => undefined, stderr: () => undefined, env: {} },
    );
    expect(merged.exitCode).toBe(0);
    const record = await readRunRecord(merged.files.json);
    expect(record.rungs.map((r) => [r.rung, r.status])).toEqual(RUNGS.map((id) => [id, "PASS"]));
    expect(record.recommendation?.smallest).toBeDefined();
    expect(record.mergedFrom?.map((m) => m.shard)).toEqual(["1/2", "2/2"]);

    let report = "";
    const code = await checkCommand({
      baseline: merged.files.json,
      current: merged.files.json,
      format: "markdown",
      maxGrowth: "1%",
      env: {},
      stdout: (s) => (report += s),
    });
    expect(code, report).toBe(0);
    for (const id of RUNGS) expect(report).toContain(id);
  });
});
