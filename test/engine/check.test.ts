// The CI gate on real runs: a baseline and a current record built by the engine, where the
// current one has one more requirement and so a bigger image.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkCommand } from "../../src/commands/check.js";
import { runCommand, type RunOptions } from "../../src/commands/run.js";
import { quietIO, runOptions } from "./helpers/run.js";
import { DockerEngine } from "../../src/docker/docker-engine.js";
import { resolveEndpoint } from "../../src/docker/endpoint.js";

const engine = new DockerEngine(resolveEndpoint(undefined));
const io = quietIO();
let dir: string;
const runIds: string[] = [];

function options(requirements: string, name: string): RunOptions {
  return runOptions(dir, {
    requirements,
    rungs: ["slim"],
    name,
    buildTimeout: 600,
  });
}

beforeAll(async () => {
  await engine.info();
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-check-"));
  await writeFile(join(dir, "base.txt"), "six\n");
  await writeFile(join(dir, "grown.txt"), "six\nrequests\n");
  for (const [req, name] of [
    ["base.txt", "baseline"],
    ["grown.txt", "current"],
  ] as const) {
    const run = await runCommand(options(join(dir, req), name), io);
    runIds.push(run.record.runId);
    expect(run.exitCode, JSON.stringify(run.record.rungs)).toBe(0);
  }
});

afterAll(async () => {
  for (const id of runIds)
    await engine.removeLeftovers({ runId: id }, { images: true, cache: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("shrinkbench check on real runs", () => {
  it("fails when a rung grew past the budget, naming the rung and the bytes", async () => {
    const baseline = JSON.parse(await readFile(join(dir, "baseline.json"), "utf8"));
    const current = JSON.parse(await readFile(join(dir, "current.json"), "utf8"));
    const grew = current.rungs[0].image.sizeBytes - baseline.rungs[0].image.sizeBytes;
    expect(grew).toBeGreaterThan(1_000_000);

    let text = "";
    const code = await checkCommand({
      baseline: join(dir, "baseline.json"),
      current: join(dir, "current.json"),
      format: "markdown",
      maxGrowth: "1MB",
      env: {},
      stdout: (s) => (text += s),
    });
    expect(code).toBe(1);
    expect(text).toMatch(/slim/);
    // The report gives the growth in docker's units, e.g. "+4.2MB".
    expect(text).toMatch(/\+\d+(\.\d+)?MB/);
    expect(text).toMatch(/requirements changed|requirements hash/i);
  });

  it("passes when the growth is inside the tolerance", async () => {
    const code = await checkCommand({
      baseline: join(dir, "baseline.json"),
      current: join(dir, "current.json"),
      format: "json",
      maxGrowth: "50%",
      env: {},
      stdout: () => undefined,
    });
    expect(code).toBe(0);
  });
});
