// `inspect` with no engine (save archives, OCI directories, stdin; gzip and zstd layers) and
// its waste gates, on crafted images whose waste is known to the byte.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectCommand, type InspectOptions } from "../../src/commands/inspect.js";
import { InputError } from "../../src/errors.js";
import type { Engine } from "../../src/docker/engine.js";
import type { InspectReport } from "../../src/image/types.js";
import { BIG, CACHE, beforeLayers, writeOciDir, zstd } from "../fixtures/crafted-images.js";
import { classicSave, ociSave, tarBuffer } from "../fixtures/tar-fixtures.js";

let dir: string;
const files: Record<string, string> = {};
let layerSizes: number[] = [];

/** An engine that fails the test if anything asks it. */
const noEngine = new Proxy({} as Engine, {
  get: () => {
    throw new Error("the engine was contacted");
  },
});

async function run(image: string, extra: Partial<InspectOptions> = {}) {
  let text = "";
  const code = await inspectCommand(
    { image, format: "json", gzip: false, top: 10, ...extra },
    { stdout: (s) => void (text += s) },
    noEngine,
  );
  const json = (extra.format ?? "json") === "json" ? JSON.parse(text) : {};
  return { code, text, json: json as Record<string, unknown> };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "shrinkbench-inspect-"));
  const layers = beforeLayers();
  layerSizes = layers.map((l) =>
    l.reduce((s, e) => s + (e.content ? Buffer.byteLength(e.content) : 0), 0),
  );
  const classic = await classicSave(layers, {}, "crafted:before");
  files.classic = join(dir, "classic.tar");
  writeFileSync(files.classic, classic.archive);
  files.gz = join(dir, "classic.tar.gz");
  writeFileSync(files.gz, gzipSync(classic.archive));
  const oci = await ociSave(layers, { gzip: [false, true, false] });
  files.oci = join(dir, "oci.tar");
  writeFileSync(files.oci, oci.archive);
  files.ociDir = join(dir, "oci-dir");
  await writeOciDir(oci.archive, files.ociDir);
  const zst = await ociSave(layers, {
    compress: [
      (t) => ({ blob: zstd(t), mediaType: "application/vnd.oci.image.layer.v1.tar+zstd" }),
      undefined,
      (t) => ({ blob: zstd(t), mediaType: "application/vnd.oci.image.layer.v1.tar+zstd" }),
    ],
  });
  files.zstd = join(dir, "zstd.tar");
  writeFileSync(files.zstd, zst.archive);
  files.bad = join(dir, "bad.tar");
  writeFileSync(files.bad, await tarBuffer([{ name: "hello.txt", content: "hi" }]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("inspect with no engine", () => {
  it("reads classic, gzip-compressed, OCI (gzip and zstd layers) archives and OCI directories alike", async () => {
    const reports: InspectReport[] = [];
    for (const image of [
      files.classic!,
      files.gz!,
      files.oci!,
      `oci:${files.ociDir}`,
      files.ociDir!,
      `oci-archive:${files.zstd}`,
    ]) {
      const { code, json } = await run(image);
      expect(code).toBe(0);
      reports.push(json as unknown as InspectReport);
    }
    for (const r of reports) {
      expect(r.layers.map((l) => l.sizeBytes)).toEqual(layerSizes);
      expect(r.waste.wastedBytes).toBe(BIG + CACHE);
      expect(r.waste.dive.wastedBytes).toBe(2 * BIG + 2 * CACHE);
      expect(r.waste.userSizeBytes).toBe(layerSizes[1]! + layerSizes[2]!);
      expect(r.waste.topPaths.map((p) => [p.path, p.wastedBytes])).toEqual([
        ["app/big.bin", BIG],
        ["tmp/cache.bin", CACHE],
      ]);
      expect(r.python.distributions.map((d) => d.name)).toEqual(["alpha"]);
    }
    expect(reports[0]!.image.repoTags).toEqual(["crafted:before"]);
  });

  it("reads stdin", async () => {
    const archive = (await classicSave(beforeLayers())).archive;
    const stdin = Readable.from([archive.subarray(0, 1), archive.subarray(1)]);
    const { json } = await run("-", { stdin });
    expect((json as unknown as InspectReport).waste.wastedBytes).toBe(BIG + CACHE);
    const gz = Readable.from([gzipSync(archive)]);
    const again = await run("-", { stdin: gz });
    expect((again.json as unknown as InspectReport).waste.wastedBytes).toBe(BIG + CACHE);
  });

  it("calls a file that is no image archive bad input, naming it", async () => {
    const err = await run(files.bad!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(`${files.bad}: cannot read the image`);
    const missing = await run(`oci:${join(dir, "nope")}`).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(InputError);
  });
});

describe("inspect --ci", () => {
  it("passes and fails on shrinkbench's numbers, and says where dive's formula differs", async () => {
    // wasted 150,000: within 200kB; dive's 300,000 is not
    const within = await run(files.classic!, { maxWasted: "200kB" });
    expect(within.code).toBe(0);
    const gate = (
      within.json.results as { rule: string; passed: boolean; dive: { passed: boolean } }[]
    )[0]!;
    expect(gate).toMatchObject({ passed: true, dive: { passed: false } });

    const over = await run(files.classic!, { maxWasted: "149999B", format: "markdown" });
    expect(over.code).toBe(1);
    expect(over.text).toContain("over its 150kB (149999 bytes) limit");
    expect(over.text).toContain("/app/big.bin 100kB");
  });

  it("reads dive's .dive-ci rules, with dive's defaults for the rules it does not name", async () => {
    const rules = join(dir, ".dive-ci");
    writeFileSync(
      rules,
      "rules:\n  # ours: 150000 / 254000 = 59% of the user bytes\n  highestUserWastedPercent: 0.6\n  lowestEfficiency: disabled\n",
    );
    const r = await run(files.classic!, { ci: true, ciConfig: rules });
    expect(r.code).toBe(0);
    const results = r.json.results as {
      key: string;
      passed: boolean;
      dive?: { passed: boolean };
    }[];
    expect(results.map((x) => x.key)).toEqual(["maxWastedPercent"]);
    expect(results[0]).toMatchObject({ passed: true, dive: { passed: false } });

    writeFileSync(rules, "rules:\n  highestWastedBytes: 20 furlongs\n");
    await expect(run(files.classic!, { ci: true, ciConfig: rules })).rejects.toThrow(
      /highestWastedBytes: "20 furlongs" is not a size/,
    );
  });

  it("refuses a bad gate before reading the image", async () => {
    await expect(run(join(dir, "missing.tar"), { minEfficiency: "95" })).rejects.toThrow(
      /--min-efficiency: "95" is not between 0 and 1/,
    );
  });
});
