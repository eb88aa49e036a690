// --repeat on the real engine: every rung built and smoke-tested in each round, interleaved, every
// sample kept; and sizes exact: the same rung built in another run (another run id) has the same
// size to the byte.
import Docker from "dockerode";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/commands/run.js";
import { resolveEndpoint } from "../../src/docker/endpoint.js";
import type { RunRecord } from "../../src/types.js";
import { removeByLabel } from "./helpers/docker.js";
import { quietIO, runOptions } from "./helpers/run.js";

const docker = new Docker(resolveEndpoint(undefined).modem);
let dir: string;
let repeated: RunRecord;
let again: RunRecord;
const codes: number[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-repeat-"));
  const a = await runCommand(
    runOptions(join(dir, "a"), {
      rungs: ["slim", "slim-single-layer"],
      repeat: 2,
      name: "repeat",
      inspect: false,
    }),
    quietIO(),
  );
  repeated = a.record;
  codes.push(a.exitCode);
  const b = await runCommand(
    runOptions(join(dir, "b"), { rungs: ["slim"], name: "again", inspect: false }),
    quietIO(),
  );
  again = b.record;
  codes.push(b.exitCode);
}, 1_800_000);

afterAll(async () => {
  for (const r of [repeated, again]) if (r) await removeByLabel(docker, r.runId);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("--repeat 2", () => {
  it("keeps both rounds' build and import samples, the medians as headline values", () => {
    expect(codes).toEqual([0, 0]);
    expect(repeated.repeat).toBe(2);
    for (const r of repeated.rungs) {
      expect(r.status).toBe("PASS");
      expect(r.buildSamples).toHaveLength(2);
      expect(r.buildSeconds).toBeCloseTo((r.buildSamples![0]! + r.buildSamples![1]!) / 2, 6);
      expect(r.smoke!.importSamples).toHaveLength(2);
      // every timed build says what else the machine was doing
      expect(r.buildLoad).toHaveLength(2);
      expect(r.buildLoad![0]!.cpus).toBeGreaterThan(0);
      // and where the CPU went: the machine's, and the local engine's (found by its socket)
      for (const l of r.buildLoad!) {
        expect(l.machineCpu).toBeGreaterThan(0);
        expect(l.engineCpu).toBeGreaterThan(0);
      }
    }
  });

  it("interleaves the rounds: every rung once before any rung again", () => {
    const [slim, single] = repeated.rungs;
    const start = (r: typeof slim, round: number) => Date.parse(r!.buildLoad![round]!.startedAt!);
    // concurrency 1: slim's second build starts after slim-single-layer's first
    expect(start(slim, 0)).toBeLessThan(start(single, 0));
    expect(start(single, 0)).toBeLessThan(start(slim, 1));
    expect(start(slim, 1)).toBeLessThan(start(single, 1));
  });

  it("gives each rung's build time as a ratio to slim's in the same round", () => {
    expect(repeated.referenceRung).toBe("slim");
    const [slim, single] = repeated.rungs;
    expect(slim!.buildRatioSamples).toEqual([1, 1]);
    expect(single!.buildRatioSamples).toHaveLength(2);
    expect(single!.buildRatio).toBeGreaterThan(0);
  });

  it("recommends one rung with its reason, from two samples each", () => {
    expect(repeated.recommendation!.samples).toBe(2);
    expect(repeated.recommendation!.recommended).toBeDefined();
    expect(repeated.recommendation!.reason).toMatch(/2 samples each/);
  });

  it("measures the same rung to the byte in another run", () => {
    const a = repeated.rungs.find((r) => r.rung === "slim")!.image!;
    const b = again.rungs[0]!.image!;
    expect(again.runId).not.toBe(repeated.runId);
    expect(b.sizeBytes).toBe(a.sizeBytes);
  });
});
