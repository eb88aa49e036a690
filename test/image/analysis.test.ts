import { describe, expect, it } from "vitest";
import { analyzeImage } from "../../src/image/analyze.js";
import { findDuplicates } from "../../src/image/duplicates.js";
import { walkLayers } from "../../src/image/layers.js";
import { parseRecord, pythonBreakdown } from "../../src/image/python-breakdown.js";
import { dir, file, hardlink, image, layers, whiteout } from "./helpers.js";

const SP = "usr/local/lib/python3.11/site-packages";

describe("parseRecord", () => {
  it("reads the path column, quoted or not, commas and all", () => {
    const text = [
      "numpy/__init__.py,sha256=abc,1234",
      '"numpy/odd,name.py",sha256=def,10',
      '"numpy/q""uote.py",,',
      "numpy-1.26.4.dist-info/RECORD,,",
      "../../../bin/f2py,sha256=x,99",
      "",
    ].join("\n");
    expect(parseRecord(text)).toEqual([
      "numpy/__init__.py",
      "numpy/odd,name.py",
      'numpy/q"uote.py',
      "numpy-1.26.4.dist-info/RECORD",
      "../../../bin/f2py",
    ]);
  });
});

describe("pythonBreakdown", () => {
  const record = [
    "numpy/__init__.py,sha256=a,100",
    "numpy/core/_multiarray.cpython-311-x86_64-linux-gnu.so,sha256=b,5000",
    "numpy.libs/libgfortran-040039e1.so.5.0.0,sha256=c,2000",
    "numpy-1.26.4.dist-info/RECORD,,",
    "../../../bin/f2py,sha256=d,30",
  ].join("\n");
  const data = layers({
    entries: [
      dir(SP),
      file(`${SP}/numpy/__init__.py`, 100),
      file(`${SP}/numpy/core/_multiarray.cpython-311-x86_64-linux-gnu.so`, 5000),
      file(`${SP}/numpy/__pycache__/__init__.cpython-311.pyc`, 300), // compiled later: not in RECORD
      file(`${SP}/numpy/tests/test_a.py`, 400),
      file(`${SP}/numpy.libs/libgfortran-040039e1.so.5.0.0`, 2000),
      file(`${SP}/numpy-1.26.4.dist-info/RECORD`, 200),
      file("usr/local/bin/f2py", 30),
      file(`${SP}/setuptools-66.1.1.egg-info/PKG-INFO`, 10),
      file(`${SP}/setuptools-66.1.1.egg-info/top_level.txt`, 30),
      file(`${SP}/setuptools/dist.py`, 700),
      file(`${SP}/pkg_resources/__init__.py`, 300),
      file(`${SP}/six.py`, 50),
      file(`${SP}/__pycache__/six.cpython-311.pyc`, 40),
      file("usr/include/python3.11/Python.h", 60),
      file("usr/share/doc/x/README", 70),
      file("root/.cache/pip/http/ab/cd", 1234),
    ],
    texts: {
      [`${SP}/numpy-1.26.4.dist-info/RECORD`]: record,
      [`${SP}/setuptools-66.1.1.egg-info/top_level.txt`]: "pkg_resources\nsetuptools\n",
    },
  });
  const walk = walkLayers(data);
  const py = pythonBreakdown(walk.visible, (f) => data[f.layer]?.texts.get(f.entry));

  it("sizes each distribution from its RECORD, its metadata or its directory", () => {
    expect(py.distributions).toEqual([
      {
        name: "numpy",
        version: "1.26.4",
        site: `/${SP}`,
        // RECORD (100 + 5000 + 2000 + 200 + 30) plus the unrecorded .pyc and test under numpy/
        bytes: 7330 + 300 + 400,
        files: 7,
        source: "RECORD",
      },
      {
        name: "setuptools",
        version: "66.1.1",
        site: `/${SP}`,
        bytes: 1040,
        files: 4,
        source: "metadata",
      },
      { name: "six", site: `/${SP}`, bytes: 90, files: 2, source: "directory" },
    ]);
  });

  it("sizes the categories across the image", () => {
    const cat = Object.fromEntries(py.categories.map((c) => [c.id, [c.bytes, c.files]]));
    expect(cat).toEqual({
      tests: [400, 1],
      pycache: [340, 2],
      extensions: [5000, 1],
      "vendored-libs": [2000, 1],
      sources: [60, 1],
      docs: [70, 1],
      "pip-cache": [1234, 1],
      "apt-lists": [0, 0],
      "apt-cache": [0, 0],
      "apk-cache": [0, 0],
    });
  });
});

describe("findDuplicates", () => {
  it("groups identical files, shared libraries first, hardlinks and empty files left out", () => {
    const walk = walkLayers(
      layers(
        [
          file("a/numpy.libs/libgfortran.so.5", 2000, "g"),
          file("a/scipy.libs/libgfortran.so.5", 2000, "g"),
          file("data/one.csv", 50_000, "csv"),
          file("data/two.csv", 50_000, "csv"),
          file("data/three.csv", 50_000, "csv"),
          file("e1", 0, "empty"),
          file("e2", 0, "empty"),
          file("solo", 10, "solo"),
        ],
        [hardlink("data/link.csv", "data/one.csv")],
      ),
    );
    const d = findDuplicates(walk.visible);
    expect(d.totalGroups).toBe(2);
    expect(d.duplicateFiles).toBe(3);
    expect(d.savingsBytes).toBe(2000 + 100_000);
    expect(d.groups.map((g) => [g.sharedLibrary, g.paths.length, g.savingsBytes])).toEqual([
      [true, 2, 2000],
      [false, 3, 100_000],
    ]);
    expect(d.groups[0]?.paths).toEqual([
      "/a/numpy.libs/libgfortran.so.5",
      "/a/scipy.libs/libgfortran.so.5",
    ]);
  });
});

describe("analyzeImage findings", () => {
  it("reports a pip cache with its bytes, and nothing for an image without waste", () => {
    const clean = analyzeImage(image(layers([dir("app"), file("app/main.py", 2_000_000)])));
    expect(clean.findings).toEqual([]);

    const report = analyzeImage(
      image(
        layers([dir("app"), file("app/main.py", 2_000)], {
          entries: [dir("root/.cache/pip/http"), file("root/.cache/pip/http/x", 3_000_000)],
          createdBy: "/bin/sh -c pip install -r requirements.txt",
        }),
      ),
    );
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      id: "pip-cache",
      hadolint: "DL3042",
      bytes: 3_000_000,
      layers: [1],
    });
    expect(report.findings[0]?.message).toBe(
      "pip cache in /root/.cache/pip: 3MB (1 file, layer 2)",
    );
  });

  it("reports cleanup in a later layer and files written again, above the threshold only", () => {
    const data = layers(
      [
        dir("var/lib/apt/lists"),
        file("var/lib/apt/lists/deb_Packages", 5_000_000),
        file("opt/tool", 2_000_000),
      ],
      {
        entries: [dir("var/lib/apt/lists"), whiteout("var/lib/apt/lists/deb_Packages")],
        createdBy: "/bin/sh -c rm -rf /var/lib/apt/lists/*",
      },
      { entries: [file("opt/tool", 2_000_000)], createdBy: "/bin/sh -c chmod 755 /opt/tool" },
      [file("small", 10), whiteout("small")],
    );
    const report = analyzeImage(image(data));
    expect(report.findings.map((f) => [f.id, f.bytes, f.layers])).toEqual([
      ["cleanup-in-later-layer", 5_000_000, [0, 1]],
      ["overwritten-in-later-layer", 2_000_000, [0, 2]],
    ]);
    expect(report.findings[0]?.message).toContain(
      "layer 2 (RUN rm -rf /var/lib/apt/lists/*) deletes 5MB",
    );
    expect(report.findings[0]?.message).toContain("that layer 1 added");
    expect(analyzeImage(image(data), { minBytes: 1 }).findings.map((f) => f.id)).toEqual([
      "cleanup-in-later-layer",
      "overwritten-in-later-layer",
    ]);
  });

  it("reports apt lists left in the image", () => {
    const report = analyzeImage(
      image(
        layers([
          dir("var/lib/apt/lists"),
          file("var/lib/apt/lists/a_Packages", 4_000_000),
          file("var/lib/apt/lists/lock", 0),
        ]),
      ),
    );
    expect(report.findings.map((f) => [f.id, f.hadolint, f.bytes])).toEqual([
      ["apt-lists", "DL3009", 4_000_000],
    ]);
  });

  it("sums totals; gzip only when every layer has it", () => {
    const data = layers([file("a", 10)], [file("b", 20)]);
    expect(analyzeImage(image(data)).totals).toMatchObject({
      layers: 2,
      sizeBytes: 30,
      files: 2,
      visibleBytes: 30,
    });
    expect(analyzeImage(image(data)).totals.gzipBytes).toBeUndefined();
    data.forEach((l, i) => (l.gzipBytes = 100 + i));
    expect(analyzeImage(image(data)).totals.gzipBytes).toBe(201);
  });
});
