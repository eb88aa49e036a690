// Sizes stay exact (issue 18, item 5): the same requirements on the same bases, built twice in
// two runs (cold: no cache), give the same sizes to the byte, and the FROM scratch rungs the
// same layers, digest for digest. The scratch rungs were the ones that moved (±1-2 B): pip stamps
// the files it installs with the install time, a timestamp .pyc's header holds its source's
// mtime, and the compressed bytecode zip changed size with it; every file of /rootfs carried
// the build's time too. slim-prune-pyconly compiles its .pyc the same way (prune.py --pyc only):
// its size must stay as it was, its layers still hold install-time mtimes (not asserted equal).
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
const RUNGS = ["slim-prune-pyconly", "minimal", "traced"];
const SCRATCH = ["minimal", "traced"];
let dir: string;
const records: RunRecord[] = [];
const codes: number[] = [];
/** Per run: rung -> the image's layer digests (RootFS.Layers: digests of the uncompressed tars). */
const layers: Map<string, string[]>[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-determinism-"));
  for (const name of ["first", "second"]) {
    const { record, exitCode } = await runCommand(
      runOptions(join(dir, name), { rungs: RUNGS, name, keepImages: true, inspect: false }),
      quietIO(),
    );
    records.push(record);
    codes.push(exitCode);
    const byRung = new Map<string, string[]>();
    for (const r of record.rungs) {
      if (!r.image?.id) continue;
      const info = await docker.getImage(r.image.id).inspect();
      byRung.set(r.rung, info.RootFS.Layers ?? []);
    }
    layers.push(byRung);
  }
}, 1_800_000);

afterAll(async () => {
  for (const r of records) await removeByLabel(docker, r.runId);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("two cold builds of the same requirements", () => {
  it("pass, in two runs of their own", () => {
    expect(codes).toEqual([0, 0]);
    expect(records[0]!.runId).not.toBe(records[1]!.runId);
    for (const rec of records) {
      expect(rec.rungs.map((r) => [r.rung, r.status])).toEqual(RUNGS.map((r) => [r, "PASS"]));
    }
  });

  it("give every rung the same size to the byte", () => {
    const sizes = records.map((rec) => rec.rungs.map((r) => [r.rung, r.image?.sizeBytes]));
    expect(sizes[0]!.every(([, s]) => typeof s === "number" && s > 0)).toBe(true);
    expect(sizes[1]).toEqual(sizes[0]);
  });

  it("give the FROM scratch rungs the same layers, digest for digest", () => {
    for (const rung of SCRATCH) {
      const [a, b] = layers.map((m) => m.get(rung));
      expect(a?.length).toBeGreaterThan(0);
      // The first layer holds the interpreter, the standard library and the packages.
      expect([rung, b]).toEqual([rung, a]);
    }
    // Different images all the same: the config (created times, run labels) differs.
    expect(records[0]!.rungs[1]!.image!.id).not.toBe(records[1]!.rungs[1]!.image!.id);
  });
});
