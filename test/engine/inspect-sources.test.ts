// Crafted images (written with tar-stream, known waste and differences) loaded into the real
// engine, then read back through the engine, from its `docker save` on disk and from an OCI
// layout directory: the same numbers, to the byte, whichever way they are read.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffCommand } from "../../src/commands/diff.js";
import { inspectCommand } from "../../src/commands/inspect.js";
import { inspectImage } from "../../src/docker/inspect-image.js";
import type { ImageDiff } from "../../src/image/diff.js";
import type { InspectReport } from "../../src/image/types.js";
import { BIG, CACHE, afterLayers, beforeLayers, writeOciDir } from "../fixtures/crafted-images.js";
import { classicSave, ociSave } from "../fixtures/tar-fixtures.js";
import { engine, newRunId, removeByLabel, RUN_LABEL } from "./helpers/docker.js";

const docker = engine();
const runId = newRunId("inspect-sources");
const repo = `shrinkbench-crafted-${runId}`.toLowerCase();
const config = { config: { Labels: { [RUN_LABEL]: runId } } };
let dir: string;

async function load(archive: Buffer): Promise<void> {
  const response = await docker.loadImage(Readable.from([archive]), { quiet: true });
  let text = "";
  for await (const chunk of response as AsyncIterable<Buffer | string>) text += chunk.toString();
  if (/errorDetail|"error"/.test(text)) throw new Error(`docker load failed: ${text}`);
}

async function cli(image: string, extra: Record<string, unknown> = {}) {
  let text = "";
  const code = await inspectCommand(
    { image, format: "json", gzip: false, top: 10, ...extra },
    { stdout: (s) => void (text += s) },
  );
  return { code, json: JSON.parse(text) as InspectReport & Record<string, unknown> };
}

/** What must agree whichever way the image is read (ids and names differ by source). */
function numbers(r: InspectReport) {
  return {
    layers: r.layers.map(({ sizeBytes, tarBytes, added, changed, removed }) => ({
      sizeBytes,
      tarBytes,
      added,
      changed,
      removed,
    })),
    totals: r.totals,
    waste: r.waste,
    python: r.python,
    duplicates: r.duplicates,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "shrinkbench-sources-"));
  await load((await classicSave(beforeLayers(), config, `${repo}:before`)).archive);
  await load((await classicSave(afterLayers(), config, `${repo}:after`)).archive);
  // the engine's own save of the loaded image, on disk
  const saved: Buffer[] = [];
  for await (const c of await docker.getImage(`${repo}:before`).get()) saved.push(c as Buffer);
  writeFileSync(join(dir, "before.tar"), Buffer.concat(saved));
  await writeOciDir((await ociSave(afterLayers(), { config })).archive, join(dir, "after-oci"));
}, 120_000);

afterAll(async () => {
  await removeByLabel(docker, runId);
  rmSync(dir, { recursive: true, force: true });
});

describe("crafted images through the engine, archives and OCI directories", () => {
  it("the engine's numbers equal the archive's, to the byte", async () => {
    const fromEngine = await inspectImage(docker, `${repo}:before`, { gzip: false });
    expect(fromEngine.waste.wastedBytes).toBe(BIG + CACHE);
    expect(fromEngine.waste.dive.wastedBytes).toBe(2 * (BIG + CACHE));
    expect(fromEngine.image.engineSizeBytes).toBe(fromEngine.totals.sizeBytes);
    const fromFile = await cli(join(dir, "before.tar"));
    expect(numbers(fromFile.json)).toEqual(numbers(fromEngine));
    expect(fromFile.json.image.id).toBe(fromEngine.image.id);

    const afterEngine = await inspectImage(docker, `${repo}:after`, { gzip: false });
    const afterOci = await cli(`oci:${join(dir, "after-oci")}`);
    expect(numbers(afterOci.json)).toEqual(numbers(afterEngine));
    expect(afterEngine.waste.wastedBytes).toBe(2 * BIG + 1_000 + CACHE + 7);
  });

  it("inspect --ci gates an image of the engine", async () => {
    expect((await cli(`${repo}:before`, { maxWasted: "150kB" })).code).toBe(0);
    const over = await cli(`${repo}:before`, { maxWasted: "149999B", minEfficiency: "0.5" });
    expect(over.code).toBe(1);
  });

  it("diff of an engine image against an OCI directory", async () => {
    let text = "";
    await diffCommand(
      { a: `${repo}:before`, b: `oci:${join(dir, "after-oci")}`, format: "json", top: 5 },
      { stdout: (s) => void (text += s) },
    );
    const d = JSON.parse(text) as ImageDiff;
    expect(d.files!.grown).toEqual([{ path: "app/big.bin", a: BIG, b: BIG + 1_000, delta: 1_000 }]);
    expect(d.files!.removed).toEqual([{ path: "etc/issue", a: 7, delta: -7 }]);
    expect(d.duplicates.gained?.[0]).toMatchObject({ size: 4_000, a: 0, b: 2 });
  });
});
