// Engine faults on an engine of the test's own: stopped in the middle of a build, and a build
// that runs past --build-timeout. The run must end within a bounded time, write what it
// measured, and exit non-zero; nothing may hang.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand, type RunOptions } from "../../src/commands/run.js";
import { quietIO, runOptions } from "./helpers/run.js";
import { resolveEndpoint } from "../../src/docker/endpoint.js";
import { parseRunRecord } from "../../src/results/record.js";
import Docker from "dockerode";
import { copyImage, startOwnEngine, type OwnEngine } from "./helpers/dockerd.js";

const SLIM = "shrinkbench/python:3.11-slim";
let own: OwnEngine;
let dir: string;

function options(overrides: Partial<RunOptions>): RunOptions {
  return runOptions(dir, {
    rungs: ["slim", "slim-single-layer"],
    buildTimeout: 600,
    pullTimeout: 5,
    ...overrides,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-faults-"));
  own = await startOwnEngine();
  await copyImage(new Docker(resolveEndpoint(undefined).modem), own.docker, SLIM);
});

afterAll(async () => {
  await own?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("engine faults", () => {
  it("a build past --build-timeout is FAILED and its container removed", async () => {
    const before = (await own.docker.listContainers({ all: true })).length;
    const outcome = await runCommand(
      // The talk's requirements: an install that takes far longer than 2 s (BuildKit installs
      // the small set in about one), and the pre-build resolve is not what is timed here.
      options({
        dockerHost: own.host,
        buildTimeout: 2,
        rungs: ["slim"],
        name: "timeout",
        requirements: "examples/talk/requirements.txt",
        precheck: false,
      }),
      quietIO(),
    );
    const [slim] = outcome.record.rungs;
    expect(slim!.status).toBe("FAILED");
    expect(slim!.reason).toMatch(/--build-timeout \(2 s\)/);
    expect(outcome.exitCode).toBe(1);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await own.docker.listContainers({ all: true })).length).toBe(before);
  });

  it("an engine stopped in the middle of a build: FAILED, results written, no hang", async () => {
    let stderr = "";
    const running = runCommand(
      options({ dockerHost: own.host, name: "stopped", quiet: false, format: "table" }),
      {
        stdout: () => undefined,
        stderr: (s) => (stderr += s),
        isTTY: false,
        env: process.env,
      },
    );
    // Stop the engine once the first build is under way.
    const until = Date.now() + 120_000;
    while (!/slim: building step [4-9]/.test(stderr)) {
      if (Date.now() > until) throw new Error(`the build never started:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const stoppedAt = Date.now();
    await own.stop("SIGKILL");
    const outcome = await running;
    expect(Date.now() - stoppedAt).toBeLessThan(60_000);
    expect(outcome.exitCode).not.toBe(0);
    const record = parseRunRecord(
      await readFile(join(dir, "stopped.json"), "utf8"),
      "stopped.json",
    );
    expect(record.rungs.map((r) => r.status)).toEqual(["FAILED", "FAILED"]);
    expect(record.rungs[0]!.reason).toMatch(/build failed|engine/);
  });
});
