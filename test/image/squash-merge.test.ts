import { describe, expect, it } from "vitest";
import {
  LayerStack,
  opaqueName,
  whiteoutName,
  type MergeEntry,
  type MergeKind,
} from "../../src/image/overlay.js";
import { normalizePath } from "../../src/image/paths.js";
import { planSquash, type SquashPlan } from "../../src/image/squash-merge.js";

// --- helpers: write the merged layer the way squash.ts does, then compare stacks ---------

interface Written extends MergeEntry {
  /** Which original content this entry carries: "a:<layer>:<entry>". */
  origin?: string;
}

/** The merged layer's entries: header-only ops first, then each added layer's ops in `order`. */
function writeMerged(plan: SquashPlan, added: MergeEntry[][], order?: number[]): Written[] {
  const out: Written[] = [];
  const emit = (op: SquashPlan["headerOnly"][number]) => {
    switch (op.op) {
      case "copy": {
        const e = added[op.layer]?.[op.entry] as MergeEntry;
        out.push({ ...e, origin: `a:${op.layer}:${op.entry}` });
        break;
      }
      case "whiteout":
        out.push({ name: whiteoutName(op.path), kind: "file" });
        break;
      case "opaque":
        out.push({ name: opaqueName(op.dir), kind: "file" });
        break;
      case "materialize": {
        const e = added[op.layer]?.[op.entry] as MergeEntry;
        out.push({ name: e.name, kind: "file", origin: `a:${op.layer}:${op.source}` });
        break;
      }
      case "relink": {
        const e = added[op.layer]?.[op.entry] as MergeEntry;
        out.push({ name: e.name, kind: "hardlink", linkname: op.target });
        break;
      }
    }
  };
  plan.headerOnly.forEach(emit);
  for (const layer of order ?? added.map((_, i) => i)) {
    const ops = plan.onEntry[layer] as Map<number, SquashPlan["headerOnly"]>;
    added[layer]?.forEach((_, i) => ops.get(i)?.forEach(emit));
  }
  return out;
}

/** The visible tree: path → kind and content identity (hardlinks resolved to their file). */
function visible(layers: Written[][], baseCount: number): Map<string, string> {
  const stack = new LayerStack();
  layers.forEach((l, i) => stack.apply(i, l));
  const identity = (layer: number, entry: number): string => {
    const list = layers[layer] as Written[];
    let at = entry;
    for (let hops = 0; hops < 10; hops++) {
      const e = list[at] as Written;
      if (e.kind !== "hardlink") {
        if (layer < baseCount) return `b:${layer}:${at}`;
        return e.origin ?? `a:${layer - baseCount}:${at}`;
      }
      const target = normalizePath(e.linkname ?? "");
      let earlier = -1;
      list.forEach((x, i) => {
        if (i < at && normalizePath(x.name) === target) earlier = i;
      });
      if (earlier < 0) return `dangling:${target}`;
      at = earlier;
    }
    return "loop";
  };
  const out = new Map<string, string>();
  for (const [path, node] of stack.nodes) {
    const kind: MergeKind = node.kind === "hardlink" ? "file" : node.kind;
    out.set(path, `${kind} ${node.entry < 0 ? "implied" : identity(node.layer, node.entry)}`);
  }
  return out;
}

function check(base: MergeEntry[][], added: MergeEntry[][]) {
  const plan = planSquash(base, added);
  const expected = visible([...base, ...added], base.length);
  const orders = [added.map((_, i) => i), added.map((_, i) => i).reverse()];
  for (const order of orders) {
    const merged = writeMerged(plan, added, order);
    // no name twice; every hardlink links to something written before it
    const names = merged.map((m) => normalizePath(m.name));
    expect(new Set(names).size).toBe(names.length);
    merged.forEach((m, i) => {
      if (m.kind === "hardlink") {
        expect(names.slice(0, i)).toContain(normalizePath(m.linkname ?? ""));
      }
    });
    expect(visible([...base, merged], base.length)).toEqual(expected);
  }
  return { plan, merged: writeMerged(plan, added) };
}

const f = (name: string): MergeEntry => ({ name, kind: "file" });
const d = (name: string): MergeEntry => ({ name, kind: "dir" });
const l = (name: string, linkname: string): MergeEntry => ({ name, kind: "hardlink", linkname });
const s = (name: string): MergeEntry => ({ name, kind: "symlink" });

const base = [
  [
    d("etc/"),
    f("etc/issue"),
    f("etc/os-release"),
    d("usr/"),
    d("usr/lib/"),
    d("usr/lib/py/"),
    f("usr/lib/py/a.py"),
    f("usr/lib/py/b.py"),
    d("usr/share/"),
    d("usr/share/doc/"),
    f("usr/share/doc/x"),
    d("usr/share/doc/y/"),
    f("usr/share/doc/y/z"),
  ],
];

const names = (merged: MergeEntry[]) => merged.map((m) => normalizePath(m.name));

// --- examples --------------------------------------------------------------------------

describe("planSquash", () => {
  it("keeps the top-most version of a path overwritten across layers", () => {
    const added = [
      [d("app/"), f("app/x")],
      [d("app/"), f("app/x"), f("app/y")],
    ];
    const { plan, merged } = check(base, added);
    expect(names(merged)).toEqual(["app", "app/x", "app/y"]);
    expect(plan.onEntry[0]?.size).toBe(0);
    expect(plan.stats).toMatchObject({ whiteouts: 0, opaque: 0 });
  });

  it("whites out a deleted base file, but not a file added then deleted", () => {
    const added = [
      [d("tmp/"), f("tmp/scratch")],
      [d("etc/"), f("etc/.wh.issue"), d("tmp/"), f("tmp/.wh.scratch")],
    ];
    const { merged } = check(base, added);
    expect(names(merged)).toEqual(["etc", "etc/.wh.issue", "tmp"]);
  });

  it("whites out only the outermost of a deleted base tree", () => {
    const added = [[d("usr/share/"), f("usr/share/.wh.doc")]];
    const { merged } = check(base, added);
    expect(names(merged)).toEqual(["usr/share", "usr/share/.wh.doc"]);
  });

  it("turns an opaque directory into one opaque marker", () => {
    const added = [[d("usr/lib/py/"), f("usr/lib/py/.wh..wh..opq"), f("usr/lib/py/c.py")]];
    const { merged } = check(base, added);
    expect(names(merged)).toEqual(["usr/lib/py", "usr/lib/py/.wh..wh..opq", "usr/lib/py/c.py"]);
  });

  it("marks a base directory deleted and created again as opaque", () => {
    const added = [
      [d("usr/lib/"), f("usr/lib/.wh.py")],
      [d("usr/lib/"), d("usr/lib/py/"), f("usr/lib/py/a.py")],
    ];
    const { merged } = check(base, added);
    expect(names(merged)).toEqual([
      "usr/lib",
      "usr/lib/py",
      "usr/lib/py/.wh..wh..opq",
      "usr/lib/py/a.py",
    ]);
  });

  it("does not make a base directory opaque when the added layers only touched it", () => {
    const added = [[d("etc/"), f("etc/new.conf")]];
    const { plan } = check(base, added);
    expect(plan.stats.opaque).toBe(0);
  });

  it("applies whiteouts to lower layers only, whatever their place in the tar", () => {
    const added = [[d("etc/"), f("etc/issue"), f("etc/.wh.issue")]];
    const { merged } = check(base, added);
    expect(names(merged)).toEqual(["etc", "etc/issue"]);
  });

  it("handles a file replaced by a directory and a directory by a file", () => {
    const added = [
      [d("etc/"), d("etc/issue/"), f("etc/issue/part"), d("usr/share/"), f("usr/share/doc")],
    ];
    const { merged } = check(base, added);
    expect(names(merged)).toEqual([
      "etc",
      "etc/issue",
      "usr/share",
      "etc/issue/part",
      "usr/share/doc",
    ]);
  });

  it("keeps a hardlink whose target is written before it", () => {
    const added = [[d("app/"), f("app/a"), l("app/b", "app/a")]];
    const { plan, merged } = check(base, added);
    expect(merged.map((m) => m.kind)).toEqual(["dir", "file", "hardlink"]);
    expect(plan.stats.materialized).toBe(0);
  });

  it("turns a hardlink into a file when its target was overwritten later", () => {
    const added = [
      [d("app/"), f("app/a"), l("app/b", "app/a"), l("app/c", "app/a")],
      [d("app/"), f("app/a")],
    ];
    const { plan, merged } = check(base, added);
    expect(plan.stats.materialized).toBe(2);
    const b = merged.find((m) => m.name === "app/b");
    const c = merged.find((m) => m.name === "app/c");
    expect(b).toMatchObject({ kind: "file", origin: "a:0:1" });
    expect(c).toMatchObject({ kind: "hardlink", linkname: "app/b" });
  });

  it("turns a hardlink into a file when its target was deleted", () => {
    const added = [
      [d("app/"), f("app/a"), l("app/b", "app/a")],
      [d("app/"), f("app/.wh.a")],
    ];
    const { merged } = check(base, added);
    expect(merged.find((m) => m.name === "app/b")).toMatchObject({ kind: "file", origin: "a:0:1" });
    expect(names(merged)).not.toContain("app/a");
  });

  it("writes an empty plan for no added layers", () => {
    const { plan, merged } = check(base, []);
    expect(merged).toEqual([]);
    expect(plan.onEntry).toEqual([]);
  });
});

// --- random stacks: the merged layer always gives the same tree ---------------------------

function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const UNIVERSE = ["a", "a/b", "a/b/c", "a/b/d", "a/e", "f", "f/g", "f/g/h", "i"];

function randomLayer(rand: () => number): MergeEntry[] {
  const out: MergeEntry[] = [];
  const has = (n: string) => out.some((e) => normalizePath(e.name) === n);
  /** Adds directory entries for p's parents; false when one of them is a non-directory here. */
  const withParents = (p: string): boolean => {
    const parts = p.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      const there = out.find((e) => normalizePath(e.name) === dir);
      if (there && there.kind !== "dir") return false;
      if (!there) out.push(d(`${dir}/`));
    }
    return true;
  };
  const pick = () => UNIVERSE[Math.floor(rand() * UNIVERSE.length)] as string;
  const ops = 1 + Math.floor(rand() * 5);
  for (let k = 0; k < ops; k++) {
    const p = pick();
    const r = rand();
    if (r < 0.3) {
      if (has(p) || !withParents(p)) continue;
      out.push(f(p));
    } else if (r < 0.45) {
      if (has(p) || !withParents(p)) continue;
      out.push(d(`${p}/`));
    } else if (r < 0.5) {
      if (has(p) || !withParents(p)) continue;
      out.push(s(p));
    } else if (r < 0.7) {
      const wh = whiteoutName(p);
      if (has(wh) || !withParents(p)) continue;
      out.push(f(wh));
    } else if (r < 0.8) {
      if (has(p) || has(opaqueName(p)) || !withParents(p)) continue;
      out.push(d(`${p}/`), f(opaqueName(p)));
    } else {
      const q = pick();
      if (p === q || has(p) || has(q) || !withParents(p)) continue;
      out.push(f(p));
      if (has(q) || !withParents(q)) continue;
      out.push(l(q, p));
    }
  }
  return out;
}

describe("planSquash on random stacks", () => {
  it("gives the same visible tree as the unsquashed stack (1500 cases)", () => {
    for (let seed = 1; seed <= 1500; seed++) {
      const rand = rng(seed);
      const b = Array.from({ length: 1 + Math.floor(rand() * 2) }, () => randomLayer(rand));
      const a = Array.from({ length: Math.floor(rand() * 4) }, () => randomLayer(rand));
      try {
        check(b, a);
      } catch (err) {
        throw new Error(`seed ${seed}: ${(err as Error).message}\n${JSON.stringify({ b, a })}`, {
          cause: err,
        });
      }
    }
  });
});
