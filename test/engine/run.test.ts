// The heart of the product on a real engine: a small requirement set through every rung of the
// modern ladder, sizes checked against the engine, and a failing rung that does not stop the rest.
import Docker from "dockerode";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand, type RunOptions } from "../../src/commands/run.js";
import { buildKitOnlyRungs, quietIO, runOptions } from "./helpers/run.js";
import { DockerEngine } from "../../src/docker/docker-engine.js";
import { resolveEndpoint } from "../../src/docker/endpoint.js";
import { RUN_LABEL } from "../../src/ladder/plan.js";
import { summarizeInspection } from "../../src/image/summary.js";
import { parseRunRecord } from "../../src/results/record.js";
import type { RunRecord, RungResult } from "../../src/types.js";

const docker = new Docker(resolveEndpoint(undefined).modem);
const engine = new DockerEngine(resolveEndpoint(undefined));
let outDir: string;
const runIds: string[] = [];

function options(overrides: Partial<RunOptions>): RunOptions {
  return runOptions(outDir, {
    ...overrides,
  });
}

const io = quietIO();

beforeAll(async () => {
  // Fail, with the reason, rather than skip: these tests are the proof that building works.
  await engine.info();
  outDir = await mkdtemp(join(tmpdir(), "shrinkbench-run-"));
});

afterAll(async () => {
  for (const id of runIds)
    await engine.removeLeftovers({ runId: id }, { images: true, cache: true });
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe("the modern ladder on a small requirement set", () => {
  let record: RunRecord;
  const rung = (id: string): RungResult => {
    const r = record.rungs.find((x) => x.rung === id);
    if (!r) throw new Error(`no rung ${id} in the record`);
    return r;
  };
  const size = (id: string) => rung(id).image!.sizeBytes;
  /** The rungs this builder builds (under classic, not those that need BuildKit). */
  const built = () => record.rungs.filter((r) => !buildKitOnlyRungs().has(r.rung));

  beforeAll(async () => {
    const outcome = await runCommand(options({ keepImages: true, name: "modern-small" }), io);
    record = outcome.record;
    runIds.push(record.runId);
    expect(
      outcome.exitCode,
      JSON.stringify(record.rungs.map((r) => [r.rung, r.status, r.reason])),
    ).toBe(0);
  });

  it("builds every rung and every smoke test passes", () => {
    const ladder = JSON.parse(readFileSync("variants/modern.json", "utf8")) as {
      rungs: { id: string }[];
    };
    expect(record.rungs.map((r) => r.rung)).toEqual(ladder.rungs.map((r) => r.id));
    // The talk's glibc track, in the talk's order, opens the ladder (BuildKit's cache mount
    // sits beside the one-layer rung it improves on).
    expect(record.rungs.slice(0, 10).map((r) => r.rung)).toEqual([
      "full",
      "slim",
      "slim-rm-layers",
      "slim-single-layer",
      "slim-cache-mount",
      "slim-squash",
      "slim-multistage",
      "slim-wheel",
      "slim-strip",
      "slim-dedupe",
    ]);
    const skipped = buildKitOnlyRungs();
    for (const r of record.rungs) {
      if (skipped.has(r.rung)) {
        // --builder classic: RUN --mount needs BuildKit, and the rung says so.
        expect(r.status, r.rung).toBe("SKIPPED");
        expect(r.reason).toMatch(/^needs BuildKit \(RUN --mount\)/);
        continue;
      }
      expect(r.status, `${r.rung}: ${r.reason}`).toBe("PASS");
      expect(r.smoke?.passed).toBe(true);
      expect(r.buildSeconds).toBeGreaterThan(0);
      expect(r.contextBytes).toBeGreaterThan(0);
    }
    // The import test mapped distribution names to import names.
    expect(rung("slim").smoke!.outputTail.join("\n")).toMatch(
      /import dateutil \(python-dateutil\)/,
    );
    expect(rung("slim").smoke!.outputTail.join("\n")).toMatch(/import yaml \(pyyaml\)/);
  });

  it("records the engine's own sizes and layer counts", async () => {
    for (const r of built()) {
      const info = await docker.getImage(r.image!.id).inspect();
      expect(r.image!.sizeBytes, r.rung).toBe(info.Size);
      expect(r.image!.layers, r.rung).toBe(info.RootFS.Layers!.length);
      // A FROM scratch rung holds nothing of its base: all of it counts as added.
      const scratch = r.image!.baseLayers === 0;
      const base = scratch ? { Size: 0 } : await docker.getImage(r.baseImage).inspect();
      expect(r.image!.addedBytes).toBe(info.Size - base.Size);
      expect(info.Config.Labels?.[RUN_LABEL]).toBe(record.runId);
    }
  });

  it("shows the talk's effects", () => {
    expect(size("slim")).toBeLessThan(size("full") / 3);
    // The same cleanup in the install's own layer shrinks the image...
    const singleLayerSaves = size("slim") - size("slim-single-layer");
    expect(singleLayerSaves).toBeGreaterThan(100_000);
    expect(size("slim-single-layer")).toBeLessThan(size("slim-rm-layers"));
    // ...while in later layers it only hides files: next to nothing is saved (the few bytes
    // that differ are the helper scripts the single-stage template copies).
    expect(size("slim") - size("slim-rm-layers")).toBeLessThan(0.1 * singleLayerSaves);
    // Squashing the later-layers image gives about the single-layer size.
    const added = (id: string) => rung(id).image!.addedBytes;
    expect(Math.abs(added("slim-squash") - added("slim-single-layer"))).toBeLessThan(
      0.1 * added("slim-single-layer") + 200_000,
    );
    expect(rung("slim-squash").image!.layers).toBe(rung("slim-squash").image!.baseLayers + 1);
    expect(rung("slim-rm-layers").image!.layers).toBeGreaterThan(rung("slim-squash").image!.layers);
    // Stripping the extension modules never grows the image.
    expect(size("slim-strip")).toBeLessThanOrEqual(size("slim-wheel"));
  });

  it("records where each rung's bytes are: cleanup in later layers leaves them hidden, squash reclaims them", () => {
    for (const r of built()) expect(r.inspection, r.rung).toBeDefined();
    const hidden = (id: string) => rung(id).inspection!.hiddenBytes;
    // What the later-layer cleanup deleted is still stored: about what one layer saved.
    expect(hidden("slim-rm-layers")).toBeGreaterThan(
      0.5 * (size("slim") - size("slim-single-layer")),
    );
    expect(hidden("slim-squash")).toBe(0);
    expect(hidden("slim-single-layer")).toBe(0);
    const names = rung("slim").inspection!.topDistributions.map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(["pyyaml"]));
  });

  it("the inspections made in batches (one save for several rungs) equal a save of each image alone", async () => {
    // a rung on the full base, two on slim, one FROM scratch
    for (const id of ["full", "slim-rm-layers", "slim-squash", "traced"]) {
      const alone = summarizeInspection(await engine.analyze(rung(id).image!.id, { gzip: false }));
      expect(rung(id).inspection, id).toEqual(alone);
    }
    // what they cost is in the rungs' phases
    for (const r of built()) expect(r.phaseSeconds?.inspect, r.rung).toBeGreaterThan(0);
  });

  it("writes a JSON record that reads back, and a markdown table", async () => {
    const json = await readFile(join(outDir, "modern-small.json"), "utf8");
    const back = parseRunRecord(json, "modern-small.json");
    expect(back.rungs).toHaveLength(record.rungs.length);
    expect(back.requirements.names).toEqual(["markupsafe", "python-dateutil", "pyyaml", "six"]);
    const md = await readFile(join(outDir, "modern-small.md"), "utf8");
    expect(md).toMatch(/\| slim-dedupe \| slim \|/);
  });
});

describe("a failing rung", () => {
  it("is FAILED with the reason while the next rung still runs and passes", async () => {
    const ladderFile = join(outDir, "broken-ladder.json");
    await writeFile(
      ladderFile,
      JSON.stringify({
        name: "broken",
        rungs: [
          {
            id: "broken",
            description: "asks the install script for a mode it does not have",
            base: "slim",
            builder: "slim",
            template: "multistage.Dockerfile",
            args: { INSTALL: "no-such-mode" },
          },
          {
            id: "slim",
            description: "a working rung",
            base: "slim",
            template: "single-stage.Dockerfile",
          },
        ],
      }),
    );
    const reqFile = join(outDir, "requirements-six.txt");
    await writeFile(reqFile, "six\n");
    const outcome = await runCommand(
      options({ requirements: reqFile, ladder: ladderFile, name: "broken" }),
      io,
    );
    runIds.push(outcome.record.runId);
    const [bad, good] = outcome.record.rungs;
    expect(bad!.status).toBe("FAILED");
    expect(bad!.reason).toMatch(/build failed/);
    expect(bad!.logTail!.join("\n")).toMatch(/unknown mode 'no-such-mode'/);
    expect(good!.status).toBe("PASS");
    expect(outcome.exitCode).toBe(1);
  });

  it("reports pip's own message for a requirement the index does not have", async () => {
    const reqFile = join(outDir, "requirements-missing.txt");
    await writeFile(reqFile, "six\nshrinkbench-no-such-package-7f3a\n");
    const outcome = await runCommand(
      // Past the pre-build resolve (which stops such a run with exit 2: precheck.test.ts), so that
      // the rung's own install meets the missing package.
      options({ requirements: reqFile, rungs: ["slim"], name: "missing", precheck: false }),
      io,
    );
    runIds.push(outcome.record.runId);
    const [slim] = outcome.record.rungs;
    expect(slim!.status).toBe("FAILED");
    expect(slim!.logTail!.join("\n")).toMatch(
      /No matching distribution found for shrinkbench-no-such-package-7f3a/,
    );
    expect(outcome.exitCode).toBe(1);
  });
});
