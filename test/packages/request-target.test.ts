// Routing a request target to a mount: the first line of defence against path traversal.
import { describe, expect, it } from "vitest";
import { parseTarget } from "../../src/packages/request-target.js";

describe("parseTarget", () => {
  it("splits the mount prefix from decoded segments, keeping the query and trailing slash", () => {
    expect(parseTarget("/i0/simple/six/?x=1")).toEqual({
      prefix: "i0",
      segments: ["simple", "six"],
      trailingSlash: true,
      urlPath: "/i0/simple/six/",
      query: "?x=1",
    });
    expect(parseTarget("/f0/a%20b.whl")?.segments).toEqual(["a b.whl"]);
  });

  it("accepts an absolute-form target (a proxy-style request line)", () => {
    expect(parseTarget("http://127.0.0.1:8080/r0/simple/")?.prefix).toBe("r0");
  });

  it("refuses traversal, dot files and smuggled separators, plain or encoded", () => {
    for (const bad of [
      "/i0/../etc/passwd",
      "/i0/%2e%2e/x",
      "/i0/.git/config",
      "/i0/a%2fb",
      "/i0/a%5cb",
      "/i0/a%00b",
      "/i0/%zz",
      "relative",
    ]) {
      expect(parseTarget(bad), bad).toBeUndefined();
    }
  });
});
