// The busy flag on the real engine (issue 18): where the CPU of a timed BuildKit build went, by
// kind (cpu-attribution.ts). A build's own work, wherever it runs (dockerd, the RUN steps under
// it, the kernel's writeback), is not competition; a CPU-burning process next to the build is,
// and the record names it. The machine is shared with other sessions while this runs, so the
// build without the burner is judged on attribution (its work lands in the engine and the
// kernel, the burner is nowhere), not on being unflagged.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/commands/run.js";
import { resolveEndpoint } from "../../src/docker/endpoint.js";
import type { BuildLoad, RunRecord } from "../../src/types.js";
import { removeByLabel } from "./helpers/docker.js";
import { quietIO, runOptions } from "./helpers/run.js";

const docker = new Docker(resolveEndpoint(undefined).modem);
/** The burner's name in /proc (comm is the name it was started by: a symlink to sh). */
const BURNER = "sb-burn";
let dir: string;
let alone: RunRecord;
let burned: RunRecord;
let burner: ChildProcess | undefined;

async function build(name: string): Promise<RunRecord> {
  const { record, exitCode } = await runCommand(
    runOptions(join(dir, name), { rungs: ["minimal"], name, inspect: false }),
    quietIO(),
  );
  expect(exitCode).toBe(0);
  return record;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-busy-"));
  alone = await build("alone");
  await symlink("/bin/sh", join(dir, BURNER));
  burner = spawn(join(dir, BURNER), ["-c", "while :; do :; done"], { stdio: "ignore" });
  try {
    burned = await build("burned");
  } finally {
    burner.kill("SIGKILL");
  }
}, 1_800_000);

afterAll(async () => {
  if (burner && burner.exitCode === null) burner.kill("SIGKILL");
  for (const r of [alone, burned]) if (r) await removeByLabel(docker, r.runId);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const loadOf = (r: RunRecord): BuildLoad => r.rungs[0]!.buildLoad![0]!;

describe("where a timed build's CPU went", () => {
  it("puts the build's own work in the engine's share and the kernel's, all of it accounted for", () => {
    for (const rec of [alone, burned]) {
      const l = loadOf(rec);
      expect(rec.rungs[0]!.status).toBe("PASS");
      // the RUN steps (pip, trace, prune, rootfs.py) ran under dockerd: the engine's share
      expect(l.engineCpu).toBeGreaterThan(0.3);
      expect(l.kernelCpu).toBeGreaterThanOrEqual(0);
      expect(l.kernelCpu).toBeLessThan(0.5);
      const parts = l.engineCpu! + l.selfCpu! + l.kernelCpu! + l.stealCpu! + l.otherCpu!;
      expect(Math.abs(parts - l.machineCpu!)).toBeLessThan(0.25);
    }
    const l = loadOf(alone);
    expect((l.busiestOthers ?? []).map((o) => o.name)).not.toContain(BURNER);
    // Flagged or not (other sessions share this machine), never for the build's own work.
    const busy = alone.rungs[0]!.busy ?? "";
    expect(busy).not.toMatch(/outside the engine|kernel/);
  });

  it("flags a build next to a CPU-burning process, and names it", () => {
    const l = loadOf(burned);
    const burn = l.busiestOthers?.find((o) => o.name === BURNER);
    // One busy loop on two CPUs shared with the build (and other sessions): a good part of one.
    expect(burn?.cpu).toBeGreaterThan(0.3);
    expect(l.otherCpu).toBeGreaterThanOrEqual(burn!.cpu);
    expect(burned.rungs[0]!.busy).toMatch(
      new RegExp(`\\d\\.\\d of \\d CPUs busy with other processes \\(.*${BURNER} \\d\\.\\d`),
    );
  });
});
