// The rungs beyond the talk on a real engine, for the small requirement set: slim-prune (one
// bytecode policy), minimal and traced all pass their smoke test, are smaller than the talk's
// best glibc rung (slim-single-layer), and the FROM scratch images hold no shell.
import Docker from "dockerode";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand, type RunOptions } from "../../src/commands/run.js";
import { quietIO, runOptions } from "./helpers/run.js";
import { DockerEngine } from "../../src/docker/docker-engine.js";
import { resolveEndpoint } from "../../src/docker/endpoint.js";
import { RUN_LABEL } from "../../src/ladder/plan.js";
import type { RunRecord, RungResult } from "../../src/types.js";
import tar from "tar-stream";

const REQUIREMENTS = "test/fixtures/small/requirements.txt";
const docker = new Docker(resolveEndpoint(undefined).modem);
const engine = new DockerEngine(resolveEndpoint(undefined));
let outDir: string;
let record: RunRecord;

const io = quietIO();

function options(): RunOptions {
  return runOptions(outDir, {
    requirements: REQUIREMENTS,
    rungs: ["slim-single-layer", "slim-prune-pyconly", "minimal", "traced"],
    name: "modern-extra",
    keepImages: true,
    sizeBudget: "100MB",
  });
}

const rung = (id: string): RungResult => {
  const r = record.rungs.find((x) => x.rung === id);
  if (!r) throw new Error(`no rung ${id} in the record`);
  return r;
};

/** Runs `cmd` in a container of the image; resolves to its exit code and output. */
async function run(image: string, cmd: string[]): Promise<{ code: number; error?: string }> {
  try {
    const container = await docker.createContainer({
      Image: image,
      Cmd: cmd,
      Entrypoint: [],
      Labels: { [RUN_LABEL]: record.runId },
      HostConfig: { NetworkMode: "none" },
    });
    try {
      await container.start();
      const status = (await container.wait()) as { StatusCode: number };
      return { code: status.StatusCode };
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  } catch (e) {
    // No such executable: the engine refuses to start the container.
    return { code: -1, error: (e as Error).message };
  }
}

/** The paths of an image's file tree, from `docker export` of a container created (not run). */
async function exportPaths(image: string): Promise<string[]> {
  // A FROM scratch image has no CMD: give the container one, it never starts.
  const container = await docker.createContainer({
    Image: image,
    Cmd: ["python3"],
    Labels: { [RUN_LABEL]: record.runId },
    HostConfig: { NetworkMode: "none" },
  });
  try {
    const extract = tar.extract();
    ((await container.export()) as NodeJS.ReadableStream).pipe(
      extract as unknown as NodeJS.WritableStream,
    );
    const paths: string[] = [];
    for await (const entry of extract) {
      paths.push(entry.header.name.replace(/^\.?\/+/, "").replace(/\/+$/, ""));
      entry.resume();
    }
    return paths;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

beforeAll(async () => {
  await engine.info();
  outDir = await mkdtemp(join(tmpdir(), "shrinkbench-extra-"));
  const outcome = await runCommand(options(), io);
  record = outcome.record;
  expect(
    outcome.exitCode,
    JSON.stringify(record.rungs.map((r) => [r.rung, r.status, r.reason, r.logTail?.slice(-5)])),
  ).toBe(0);
});

afterAll(async () => {
  if (record) await engine.removeLeftovers({ runId: record.runId }, { images: true, cache: true });
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe("slim-prune, minimal and traced on the small requirement set", () => {
  it("all pass their smoke test, with an import time measured", () => {
    for (const id of ["slim-prune-pyconly", "minimal", "traced"]) {
      expect(rung(id).status, rung(id).reason).toBe("PASS");
      expect(rung(id).smoke!.importSeconds).toBeGreaterThan(0);
    }
  });

  it("are each smaller than slim-single-layer; traced smallest, then minimal", () => {
    const size = (id: string) => rung(id).image!.sizeBytes;
    const best = size("slim-single-layer");
    expect(size("slim-prune-pyconly")).toBeLessThan(best);
    expect(size("minimal")).toBeLessThan(size("slim-prune-pyconly"));
    expect(size("traced")).toBeLessThan(size("minimal"));
  });

  it("measures FROM scratch rungs against a base of 0 bytes", async () => {
    for (const id of ["minimal", "traced"]) {
      const image = rung(id).image!;
      expect(image.baseSizeBytes).toBe(0);
      expect(image.addedBytes).toBe(image.sizeBytes);
      const info = await docker.getImage(image.id).inspect();
      expect(info.Size).toBe(image.sizeBytes);
    }
  });

  it("minimal and traced hold no shell and no package manager: sh does not run", async () => {
    for (const id of ["minimal", "traced"]) {
      const paths = await exportPaths(rung(id).image!.id);
      expect(
        paths.filter((p) => /(^|\/)(s?bin\/)?(sh|bash|dash|busybox|apt|apt-get|dpkg)$/.test(p)),
      ).toEqual([]);
      expect(paths.some((p) => /\/pip\/__init__\.py$/.test(p))).toBe(false);
      expect(paths.some((p) => /python3\.\d+$/.test(p))).toBe(true);
      const sh = await run(rung(id).image!.id, ["sh", "-c", "true"]);
      expect(sh.code).not.toBe(0);
      // The interpreter does run.
      expect((await run(rung(id).image!.id, ["python3", "-c", "import yaml, dateutil"])).code).toBe(
        0,
      );
    }
  });

  it("minimal and traced import bytecode from zips: the standard library and a pure package", async () => {
    // json: the standard library's pythonXY.zip; six: a pure-Python module of the requirements,
    // in the site zip; yaml holds an extension module, so it stays as files.
    const check = [
      "import json, six, yaml",
      "assert json.__file__.endswith('.zip/json/__init__.pyc'), json.__file__",
      "assert '/shrinkbench-bytecode.zip/six.pyc' in six.__file__, six.__file__",
      "assert '.zip' not in yaml.__file__, yaml.__file__",
    ].join("\n");
    for (const id of ["minimal", "traced"]) {
      const result = await run(rung(id).image!.id, ["python3", "-c", check]);
      expect(result, id).toEqual({ code: 0 });
      const paths = await exportPaths(rung(id).image!.id);
      // Sources and their bytecode went into the zip: neither stays as a file.
      expect(
        paths.filter((p) => /\/json\/__init__\.py$/.test(p)),
        id,
      ).toEqual([]);
      expect(
        paths.some((p) => /\/site-packages\/shrinkbench-bytecode\.pth$/.test(p)),
        id,
      ).toBe(true);
    }
  });

  it("recommends traced as the smallest, within the budget, with its caveat", () => {
    const rec = record.recommendation!;
    expect(rec.smallest).toBe("traced");
    expect(rec.frontier).toContain("traced");
    expect(rec.budget).toMatchObject({ bytes: 100_000_000 });
    expect(rec.notes.some((n) => n.startsWith("traced: only as safe as"))).toBe(true);
  });
});
