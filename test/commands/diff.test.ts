// `diff` on crafted images with known differences (archives and OCI directories in a mix),
// and on run records.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffCommand } from "../../src/commands/diff.js";
import type { ImageDiff } from "../../src/image/diff.js";
import { whatGrew } from "../../src/results/compare.js";
import type { RungInspection } from "../../src/types.js";
import { BIG, afterLayers, beforeLayers, writeOciDir } from "../fixtures/crafted-images.js";
import { makeRecord, makeRung } from "../fixtures/records.js";
import { classicSave, ociSave } from "../fixtures/tar-fixtures.js";

let dir: string;

async function diff(a: string, b: string, format: "json" | "markdown" | "table" = "json") {
  let text = "";
  const code = await diffCommand({ a, b, format, top: 10 }, { stdout: (s) => void (text += s) });
  return { code, text };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "shrinkbench-diff-"));
  writeFileSync(join(dir, "before.tar"), (await classicSave(beforeLayers())).archive);
  await writeOciDir((await ociSave(afterLayers())).archive, join(dir, "after"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("diff of two images", () => {
  it("finds the layer, distribution, category, file and duplicate changes to the byte", async () => {
    const { code, text } = await diff(join(dir, "before.tar"), `oci:${join(dir, "after")}`);
    expect(code).toBe(0);
    const d = JSON.parse(text) as ImageDiff;
    expect(d.layers.map((l) => [l.index, l.delta])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
      [3, d.layers[3]!.b],
    ]);
    const record = "beta/x.so,,20000\nbeta/tests/t.py,,5000\nbeta-2.0.dist-info/RECORD,,\n";
    const site = "usr/local/lib/python3.11/site-packages";
    expect(d.layers[3]!.b).toBe(20_000 + 5_000 + record.length + 4_000 + BIG + 1_000);
    expect(d.distributions).toEqual([
      {
        key: "beta",
        label: "beta",
        a: 0,
        b: 25_000 + record.length,
        delta: 25_000 + record.length,
      },
    ]);
    expect(d.categories.map((c) => [c.key, c.delta])).toEqual([
      ["extensions", 20_000],
      ["tests", 5_000],
    ]);
    expect(d.files!.added.map((f) => [f.path, f.delta])).toEqual([
      [`${site}/beta/x.so`, 20_000],
      [`${site}/beta/tests/t.py`, 5_000],
      ["app/copy-b", 4_000],
      [`${site}/beta-2.0.dist-info/RECORD`, record.length],
    ]);
    expect(d.files!.removed).toEqual([{ path: "etc/issue", a: 7, delta: -7 }]);
    expect(d.files!.grown).toEqual([{ path: "app/big.bin", a: BIG, b: BIG + 1_000, delta: 1_000 }]);
    expect(d.duplicates.gained).toMatchObject([
      { size: 4_000, a: 0, b: 2, deltaBytes: 4_000, paths: ["/app/copy-a", "/app/copy-b"] },
    ]);
    expect(d.duplicates.lost).toEqual([]);
    // wasted: big.bin gains a third copy (+BIG + 1,000), etc/issue written then deleted (+7)
    expect(d.wasted!.delta).toBe(BIG + 1_000 + 7);
  });

  it("prints markdown for a pull request", async () => {
    const { text } = await diff(join(dir, "before.tar"), `oci:${join(dir, "after")}`, "markdown");
    expect(text).toMatch(/## Diff of `.*before\.tar` → `oci:.*after`/);
    expect(text).toMatch(/\| \/app\/big\.bin \| 100kB \| 101kB \| \+1kB \|/);
    expect(text).toMatch(/### Duplicates gained/);
  });
});

const inspection = (over: Partial<RungInspection>): RungInspection => ({
  wastedBytes: 0,
  efficiency: 1,
  hiddenBytes: 0,
  duplicateSavingsBytes: 0,
  categories: [{ id: "tests", title: "tests", bytes: 1_000 }],
  topDistributions: [{ name: "numpy", bytes: 10_000_000 }],
  findings: [],
  layerBytes: [100, 200],
  ...over,
});

describe("diff of run records", () => {
  it("compares two rungs of a record, and every rung of two records", async () => {
    const rung = (id: string, size: number, i: RungInspection) => ({
      ...makeRung(id),
      image: { ...makeRung(id).image!, sizeBytes: size },
      inspection: i,
    });
    const a = makeRecord({
      rungs: [
        rung("slim", 1_000, inspection({})),
        rung("slim-squash", 900, inspection({ layerBytes: [100, 150] })),
      ],
    });
    const b = makeRecord({
      rungs: [
        rung(
          "slim",
          1_500,
          inspection({ topDistributions: [{ name: "numpy", bytes: 10_500_000 }] }),
        ),
      ],
    });
    writeFileSync(join(dir, "a.json"), JSON.stringify(a));
    writeFileSync(join(dir, "b.json"), JSON.stringify(b));
    const two = JSON.parse(
      (await diff(`${join(dir, "a.json")}#slim`, `${join(dir, "a.json")}#slim-squash`)).text,
    ) as ImageDiff;
    expect(two.size.delta).toBe(-100);
    expect(two.layers.map((l) => l.delta)).toEqual([0, -50]);
    expect(two.files).toBeUndefined();

    const records = JSON.parse((await diff(join(dir, "a.json"), join(dir, "b.json"))).text) as {
      rungs: { rung: string; diff: ImageDiff }[];
      notes: string[];
    };
    expect(records.rungs.map((r) => [r.rung, r.diff.size.delta])).toEqual([["slim", 500]]);
    expect(records.rungs[0]!.diff.distributions[0]).toMatchObject({ key: "numpy", delta: 500_000 });
    expect(records.notes).toEqual([`slim-squash: only in ${join(dir, "a.json")}`]);
  });

  it("names what grew most, for check", () => {
    expect(
      whatGrew(
        inspection({}),
        inspection({
          topDistributions: [
            { name: "numpy", bytes: 12_000_000 },
            { name: "scipy", bytes: 30_000_000 },
          ],
          categories: [{ id: "tests", title: "tests", bytes: 6_000 }],
        }),
      ),
    ).toEqual([
      "grew most (distributions): scipy +30MB (new), numpy +2MB",
      "grew most (categories): tests +5kB",
    ]);
  });
});
