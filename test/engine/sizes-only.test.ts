// --sizes-only on the real engine: cache on, two builds at once, the smoke test as pass/fail,
// no times. Its sizes must be a cold run's to the byte: the same rung built cold (cache off, one
// at a time) in another run has the same sizeBytes.
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
let cold: RunRecord;
let fast: RunRecord;
const codes: number[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-sizes-only-"));
  // slim and slim-single-layer install the same requirements over the same base: with the
  // cache on they can share layers, and they build side by side.
  const a = await runCommand(
    runOptions(join(dir, "fast"), {
      rungs: ["slim", "slim-single-layer"],
      name: "fast",
      sizesOnly: true,
      inspect: false,
    }),
    quietIO(),
  );
  fast = a.record;
  codes.push(a.exitCode);
  const b = await runCommand(
    runOptions(join(dir, "cold"), { rungs: ["slim-single-layer"], name: "cold", inspect: false }),
    quietIO(),
  );
  cold = b.record;
  codes.push(b.exitCode);
}, 1_800_000);

afterAll(async () => {
  for (const r of [fast, cold]) if (r) await removeByLabel(docker, r.runId);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("--sizes-only", () => {
  it("measures a rung to the byte as a cold run does", () => {
    expect(codes).toEqual([0, 0]);
    const a = fast.rungs.find((r) => r.rung === "slim-single-layer")!.image!;
    const b = cold.rungs[0]!.image!;
    expect(fast.runId).not.toBe(cold.runId);
    expect(a.sizeBytes).toBe(b.sizeBytes);
    expect(a.layers).toBe(b.layers);
  });

  it("marks the record and keeps no time about a rung", () => {
    expect(fast.sizesOnly).toBe(true);
    expect(cold.sizesOnly).toBeUndefined();
    for (const r of fast.rungs) {
      expect(r.status).toBe("PASS");
      expect(r.buildSeconds).toBeUndefined();
      expect(r.buildLoad).toBeUndefined();
      expect(r.smoke!.importSeconds).toBeUndefined();
      // The smoke test still ran: each requirement imported, one by one.
      expect(r.smoke!.outputTail).toContain("ok: import six (six)");
      // Where the size job's own time went stays.
      expect(r.phaseSeconds!.build).toBeGreaterThan(0);
    }
    expect(cold.rungs[0]!.buildSeconds).toBeGreaterThan(0);
    expect(cold.rungs[0]!.smoke!.importSeconds).toBeGreaterThan(0);
  });

  it("builds two rungs at once", () => {
    const [slim, single] = fast.rungs;
    // Both were under way together: each started before the other finished.
    expect(Date.parse(slim!.startedAt)).toBeLessThan(Date.parse(single!.finishedAt));
    expect(Date.parse(single!.startedAt)).toBeLessThan(Date.parse(slim!.finishedAt));
  });
});
