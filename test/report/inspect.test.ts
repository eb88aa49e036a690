import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { collectImage } from "../../src/image/collect.js";
import { analyzeImage } from "../../src/image/analyze.js";
import { renderInspect } from "../../src/report/inspect.js";
import type { InspectReport } from "../../src/image/types.js";
import { dir, file, image, layers, whiteout } from "../image/helpers.js";
import { chunked, classicSave, ociSave, type FixtureEntry } from "../fixtures/tar-fixtures.js";

function sample(): InspectReport {
  const data = layers(
    {
      entries: [
        dir("usr"),
        file("usr/lib/libx.so.1", 3_000_000, "x"),
        file("usr/lib2/libx.so.1", 3_000_000, "x"),
      ],
      createdBy: "(Imported from -)",
    },
    {
      entries: [dir("tmp"), file("tmp/big", 10_000_000), file("root/.cache/pip/ab", 2_000_000)],
      createdBy: "/bin/sh -c head -c 10000000 /dev/urandom | cat > /tmp/big",
    },
    { entries: [dir("tmp"), whiteout("tmp/big")], createdBy: "/bin/sh -c rm /tmp/big" },
  );
  data.forEach((l) => (l.gzipBytes = Math.round(l.tarBytes / 2)));
  return analyzeImage({
    ...image(data),
    engineSizeBytes: 18_000_000,
    os: "linux",
    architecture: "amd64",
  });
}

describe("renderInspect", () => {
  it("prints a table with layers, waste, findings, distributions, categories and duplicates", () => {
    const text = renderInspect(sample(), "table");
    expect(text).toContain("Inspect of fixture:latest");
    expect(text).toContain("18MB in 3 layers");
    expect(text).toContain("1 MB = 10^6 bytes");
    expect(text).toMatch(/#\s+SIZE\s+GZIP\s+ADDED\s+CHANGED\s+REMOVED\s+INSTRUCTION/);
    expect(text).toMatch(/3\s+0B\s+\S+\s+0\s+0\s+1\s+RUN rm \/tmp\/big/);
    expect(text).toContain("wasted 10MB, efficiency");
    expect(text).toContain("pip cache in /root/.cache/pip: 2MB");
    expect(text).toContain("layer 3 (RUN rm /tmp/big) deletes 10MB");
    expect(text).toContain("/usr/lib/libx.so.1, /usr/lib2/libx.so.1");
    expect(text).toContain("RUN head -c 10000000 /dev/urandom | cat > /tmp/big");
  });

  it("prints markdown tables, escaping pipes", () => {
    const md = renderInspect(sample(), "markdown");
    expect(md).toContain("## Inspect of `fixture:latest`");
    expect(md).toContain("| # | Size | Gzip | Added | Changed | Removed | Instruction |");
    expect(md).toContain("| ---: | ---: | ---: | ---: | ---: | ---: | :--- |");
    expect(md).toContain("RUN head -c 10000000 /dev/urandom \\| cat > /tmp/big");
    expect(md).toContain("/usr/lib/libx.so.1<br>/usr/lib2/libx.so.1");
  });

  it("prints the report itself as JSON", () => {
    const report = sample();
    const parsed = JSON.parse(renderInspect(report, "json")) as InspectReport;
    expect(parsed).toEqual(report);
    expect(parsed.schema).toBe("shrinkbench/inspect");
    expect(parsed.waste.wastedBytes).toBe(10_000_000);
  });
});

const fixtureLayers: FixtureEntry[][] = [
  [
    { name: "usr/", type: "directory" },
    { name: "usr/a.so", content: Buffer.alloc(40_000, 1) },
    { name: "usr/b.so", content: Buffer.alloc(40_000, 1) },
    {
      name: "usr/lib/python3.11/site-packages/m-1.0.dist-info/RECORD",
      content: "m/__init__.py,,\nm-1.0.dist-info/RECORD,,\n",
    },
    { name: "usr/lib/python3.11/site-packages/m/__init__.py", content: "x = 1\n" },
  ],
  [
    { name: "tmp/", type: "directory" },
    { name: "tmp/big", content: Buffer.alloc(100_000, 2) },
  ],
  [
    { name: "tmp/", type: "directory" },
    { name: "tmp/.wh.big" },
    { name: "usr/link", type: "symlink", linkname: "a.so" },
  ],
];

describe("collectImage", () => {
  it("reads a classic save: stack order, hashes, gzip sizes, dist-info RECORD", async () => {
    const fx = await classicSave(fixtureLayers, {
      history: [
        { created_by: "/bin/sh -c #(nop) ADD file:abc in /" },
        { created_by: "/bin/sh -c #(nop)  ENV A=1", empty_layer: true },
        { created_by: "/bin/sh -c make big" },
        { created_by: "/bin/sh -c rm /tmp/big" },
      ],
    });
    const c = await collectImage(chunked(fx.archive, 3000), "fixture:latest");
    expect(c.layers.map((l) => l.diffId)).toEqual(fx.diffIds);
    expect(c.layers.map((l) => l.tarBytes)).toEqual(fx.layers.map((t) => t.length));
    expect(c.layers.map((l) => l.gzipBytes)).toEqual(
      fx.layers.map((t) => gzipSync(t, { level: 6 }).length),
    );
    expect(c.layers.map((l) => l.createdBy)).toEqual([
      "/bin/sh -c #(nop) ADD file:abc in /",
      "/bin/sh -c make big",
      "/bin/sh -c rm /tmp/big",
    ]);
    expect(c.layers[2]?.entries.find((e) => e.path === "usr/link")).toMatchObject({
      kind: "symlink",
      linkname: "a.so",
    });
    const report = analyzeImage(c);
    expect(report.waste.wastedBytes).toBe(100_000);
    expect(report.duplicates.groups[0]?.paths).toEqual(["/usr/a.so", "/usr/b.so"]);
    expect(report.python.distributions[0]).toMatchObject({
      name: "m",
      version: "1.0",
      source: "RECORD",
      files: 2,
    });
    expect(report.totals.sizeBytes).toBe(
      40_000 * 2 + 100_000 + 4 + report.python.distributions[0]!.bytes,
    );
  });

  it("reads an OCI save: a gzip blob's compressed size is its stored size", async () => {
    const fx = await ociSave(fixtureLayers, { gzip: [true, false, false] });
    const c = await collectImage(chunked(fx.archive), "fixture:latest", { gzip: false });
    expect(c.layers[0]?.gzipBytes).toBe(gzipSync(fx.layers[0] as Buffer).length);
    expect(c.layers[1]?.gzipBytes).toBeUndefined();
    expect(c.layers.map((l) => l.tarBytes)).toEqual(fx.layers.map((t) => t.length));
  });
});
