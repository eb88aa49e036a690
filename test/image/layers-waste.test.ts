import { describe, expect, it } from "vitest";
import { shortenInstruction, walkLayers } from "../../src/image/layers.js";
import { wasteSummary } from "../../src/image/waste.js";
import { dir, file, hardlink, layers, opaque, symlink, whiteout } from "./helpers.js";

const MB10 = 10_000_000;

describe("walkLayers", () => {
  it("counts added, changed and removed per layer, and the engine's size", () => {
    const walk = walkLayers(
      layers(
        [dir("etc"), file("etc/a", 100), file("etc/b", 50), symlink("etc/l", "a")],
        [dir("etc"), file("etc/a", 120), file("etc/c", 10), whiteout("etc/b")],
        [hardlink("etc/d", "etc/c")],
      ),
    );
    expect(walk.layers.map((l) => [l.added, l.changed, l.removed])).toEqual([
      [3, 0, 0],
      [1, 1, 1],
      [1, 0, 0],
    ]);
    // regular files plus symlink target bytes ("a" is 1 byte); hardlinks count nothing
    expect(walk.layers.map((l) => l.sizeBytes)).toEqual([151, 130, 0]);
    expect([...walk.visible.keys()].sort()).toEqual(["etc", "etc/a", "etc/c", "etc/d", "etc/l"]);
    expect(walk.visible.get("etc/a")).toMatchObject({ size: 120, layer: 1 });
  });

  it("books deletions and overwrites by the layer that did them and the layer that paid", () => {
    const walk = walkLayers(
      layers(
        [dir("tmp"), file("tmp/big", MB10), file("app.py", 5)],
        [file("app.py", 7)],
        [dir("tmp"), whiteout("tmp/big")],
      ),
    );
    expect(walk.deleted.get(2)).toMatchObject({ total: MB10, files: 1 });
    expect(walk.deleted.get(2)?.byLayer.get(0)).toBe(MB10);
    expect(walk.deleted.get(2)?.byPlace.get("tmp/big")).toBe(MB10);
    expect(walk.overwritten.get(1)).toMatchObject({ total: 5, files: 1 });
  });

  it("counts every file under a deleted or opaque directory", () => {
    const walk = walkLayers(
      layers(
        [dir("d"), file("d/x", 10), dir("d/e"), file("d/e/y", 20), dir("o"), file("o/z", 5)],
        [whiteout("d"), dir("o"), opaque("o"), file("o/new", 1)],
      ),
    );
    expect(walk.layers[1]?.removed).toBe(3);
    expect(walk.deleted.get(1)?.total).toBe(35);
    expect([...walk.visible.keys()].sort()).toEqual(["o", "o/new"]);
  });
});

describe("wasteSummary", () => {
  it("a 10 MB file written then deleted wastes 10 MB", () => {
    const base = [dir("usr"), file("usr/python", 3_000_000), file("usr/lib.so", 1_000_000)];
    const w = wasteSummary(walkLayers(layers(base, [file("big", MB10)], [whiteout("big")])));
    expect(w.wastedBytes).toBe(MB10);
    expect(w.hiddenBytes).toBe(MB10);
    // cumulative: every byte written, plus the 10 MB the deletion deleted
    expect(w.cumulativeBytes).toBe(4_000_000 + MB10 + MB10);
    expect(w.minimumBytes).toBe(4_000_000 + MB10);
    expect(w.efficiency).toBeCloseTo(14 / 24, 10);
    expect(w.topPaths).toEqual([
      { path: "big", count: 2, cumulativeBytes: 2 * MB10, minimumBytes: MB10, wastedBytes: MB10 },
    ]);
  });

  it("counts cumulative − smallest copy, not dive's whole cumulative", () => {
    // written 3 times: 100, 40, 100 → cumulative 240, smallest 40: wasted 200 (dive: 240)
    const w = wasteSummary(walkLayers(layers([file("f", 100)], [file("f", 40)], [file("f", 100)])));
    expect(w.wastedBytes).toBe(200);
    expect(w.hiddenBytes).toBe(140); // what a squash reclaims: the two hidden versions
    expect(w.efficiency).toBeCloseTo(40 / 240, 10);
  });

  it("is 1 for an image without files and without waste", () => {
    expect(wasteSummary(walkLayers(layers([dir("x")]))).efficiency).toBe(1);
    expect(wasteSummary(walkLayers(layers([file("a", 5)], [file("b", 6)]))).wastedBytes).toBe(0);
  });
});

describe("shortenInstruction", () => {
  it.each([
    ['/bin/sh -c #(nop)  CMD ["sh"]', 'CMD ["sh"]'],
    ["/bin/sh -c echo hi > /x", "RUN echo hi > /x"],
    ["|2 PY=3.11 EXTRA= /bin/sh -c pip install -r r.txt", "RUN pip install -r r.txt"],
    ["RUN /bin/sh -c pip install x # buildkit", "RUN pip install x"],
    ["COPY requirements.txt /tmp/ # buildkit", "COPY requirements.txt /tmp/"],
    [
      "/bin/sh -c #(nop) COPY file:0123456789abcdef0123456789abcdef in /app ",
      "COPY file:01234567… in /app",
    ],
    ["(Imported from -)", "(Imported from -)"],
    ["", ""],
  ])("%s → %s", (input, expected) => {
    expect(shortenInstruction(input)).toBe(expected);
  });

  it("cuts long instructions", () => {
    const s = shortenInstruction(`/bin/sh -c ${"x".repeat(200)}`, 40);
    expect(s).toHaveLength(40);
    expect(s.endsWith("…")).toBe(true);
  });
});

describe("dive's numbers beside ours", () => {
  it("a deleted directory: one observation at the directory for dive, one per file for us", () => {
    const w = wasteSummary(
      walkLayers(
        layers(
          [dir("etc"), file("etc/os", 10)],
          [dir("junk"), file("junk/a", 1000), file("junk/b", 2000), file("big", 500)],
          [whiteout("junk"), file("big", 500), dir("d"), file("d/x", 1), opaque("d")],
        ),
      ),
    );
    // ours: junk/a and junk/b written then deleted (3000), big written twice (500)
    expect(w.wastedBytes).toBe(3500);
    // dive: junk/a, junk/b and junk seen once each; only big twice (both copies counted)
    expect(w.dive.wastedBytes).toBe(1000);
    const visible = 10 + 500 + 1;
    // ours: Σ cumulative = 10 + 2·1000 + 2·2000 + 2·500 + 1, Σ minimum = 10 + 1000 + 2000 + 500 + 1
    expect(w.efficiency).toBeCloseTo((visible + 3000) / (visible + 500 + 6000), 12);
    // dive: Σ cumulative = 10 + 1000 + 2000 + 3000 (junk) + 1000 + 1, Σ minimum = 10 + 1000 + 2000 + 3000 + 500 + 1
    expect(w.dive.efficiency).toBeCloseTo((visible + 6000) / (visible + 500 + 6000), 12);
    expect(w.userSizeBytes).toBe(3500 + 501);
  });
});
