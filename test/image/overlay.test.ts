// The overlay model: whiteout names, and a stack's visible paths.

import { describe, expect, it } from "vitest";
import { classifyWhiteout, LayerStack, type MergeEntry } from "../../src/image/overlay.js";
import { normalizePath, resolvePath } from "../../src/image/paths.js";

describe("classifyWhiteout", () => {
  it("tells whiteouts, opaque markers and aufs metadata apart", () => {
    expect(classifyWhiteout("etc/.wh.issue")).toEqual({ kind: "whiteout", target: "etc/issue" });
    expect(classifyWhiteout(".wh.app")).toEqual({ kind: "whiteout", target: "app" });
    expect(classifyWhiteout("d/.wh..wh..opq")).toEqual({ kind: "opaque", dir: "d" });
    expect(classifyWhiteout(".wh..wh.plnk")).toEqual({ kind: "meta" });
    expect(classifyWhiteout("etc/issue")).toBeNull();
  });
});

describe("LayerStack", () => {
  const f = (name: string): MergeEntry => ({ name, kind: "file" });
  const d = (name: string): MergeEntry => ({ name, kind: "dir" });

  it("applies a layer's whiteouts to lower layers only, and reports what it removed", () => {
    const removed: [string, number, string | undefined][] = [];
    const stack = new LayerStack((path, _node, layer, replacedBy) =>
      removed.push([path, layer, replacedBy]),
    );
    stack.apply(0, [d("etc/"), f("etc/issue"), f("etc/motd"), d("app/"), f("app/a")]);
    stack.apply(1, [f("etc/.wh.issue"), f("etc/issue"), f("etc/motd"), f("app/.wh..wh..opq")]);
    expect([...stack.nodes.keys()].sort()).toEqual(["app", "etc", "etc/issue", "etc/motd"]);
    expect(stack.nodes.get("etc/issue")?.layer).toBe(1);
    expect(removed).toEqual([
      ["etc/issue", 1, undefined],
      ["app/a", 1, undefined],
      ["etc/motd", 1, "file"],
    ]);
  });

  it("replaces a directory by a file, children included", () => {
    const stack = new LayerStack();
    stack.apply(0, [d("x/"), f("x/y"), f("x/z")]);
    stack.apply(1, [f("x")]);
    expect([...stack.nodes.keys()]).toEqual(["x"]);
    expect(stack.nodes.get("x")?.kind).toBe("file");
  });
});

describe("paths", () => {
  it("normalises entry names", () => {
    expect(normalizePath("./usr/bin/")).toBe("usr/bin");
    expect(normalizePath("/etc")).toBe("etc");
    expect(normalizePath(".")).toBe("");
  });

  it("resolves a target against a directory, never above the root", () => {
    expect(resolvePath("usr/lib/python3/site-packages", "../../../bin/x")).toBe("usr/bin/x");
    expect(resolvePath("a/b", "/etc/passwd")).toBe("etc/passwd");
    expect(resolvePath("a", "../../../x")).toBe("x");
    expect(resolvePath("blobs/sha256", "./c")).toBe("blobs/sha256/c");
  });
});
