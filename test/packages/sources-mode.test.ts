// Choosing how builds reach their packages, from where the engines are.
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { chooseSourcesMode, parseSourcesMode } from "../../src/packages/sources-mode.js";

describe("parseSourcesMode", () => {
  it("reads auto, server and wheelhouse; auto when not given", () => {
    expect(parseSourcesMode(undefined)).toBe("auto");
    expect(parseSourcesMode("Server")).toBe("server");
    expect(parseSourcesMode("wheelhouse")).toBe("wheelhouse");
  });
  it("refuses anything else, naming the choices", () => {
    expect(() => parseSourcesMode("context")).toThrow(InputError);
    expect(() => parseSourcesMode("context")).toThrow(/auto, server or wheelhouse/);
  });
});

describe("chooseSourcesMode", () => {
  it("auto: the package server when every engine is on this machine", () => {
    expect(chooseSourcesMode("auto", [])).toEqual({
      mode: "server",
      reason: "every engine is on this machine",
    });
  });
  it("auto: a wheelhouse as soon as one engine is on another machine, naming it", () => {
    const c = chooseSourcesMode("auto", ["ssh://builder@build2", "tcp://docker:2375"]);
    expect(c.mode).toBe("wheelhouse");
    expect(c.reason).toBe("ssh://builder@build2, tcp://docker:2375 are on another machine");
  });
  it("an explicit mode wins; server on a remote engine says what it needs", () => {
    expect(chooseSourcesMode("wheelhouse", []).mode).toBe("wheelhouse");
    const c = chooseSourcesMode("server", ["tcp://docker:2375"]);
    expect(c.mode).toBe("server");
    expect(c.reason).toMatch(/forwarded port/);
  });
});
