// The base image's python as pip on this machine must target it.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  parseTargetPython,
  TARGET_MARKER,
  TARGET_SCRIPT,
  targetKey,
  targetPipArgs,
  type TargetPython,
} from "../../src/packages/target-python.js";

const T: TargetPython = {
  version: "3.11",
  implementation: "cp",
  abis: ["cp311", "abi3", "none"],
  platforms: ["manylinux_2_36_x86_64", "manylinux2014_x86_64", "linux_x86_64", "any"],
};

describe("parseTargetPython", () => {
  it("reads the marked JSON line among other output", () => {
    const out = `warning: something\n${TARGET_MARKER}${JSON.stringify(T)}\n`;
    expect(parseTargetPython(out)).toEqual(T);
  });
  it("says what the image answered when the line is missing or malformed", () => {
    expect(() => parseTargetPython("python3: not found")).toThrow(/python3: not found/);
    expect(() => parseTargetPython(`${TARGET_MARKER}{"version":3}`)).toThrow(/unexpected/);
  });
});

describe("targetPipArgs", () => {
  it("asks for binaries for that python and platform; none and any are pip's own", () => {
    expect(targetPipArgs(T)).toEqual([
      "--only-binary=:all:",
      "--python-version",
      "3.11",
      "--implementation",
      "cp",
      "--abi",
      "cp311",
      "--abi",
      "abi3",
      "--platform",
      "manylinux_2_36_x86_64",
      "--platform",
      "manylinux2014_x86_64",
      "--platform",
      "linux_x86_64",
    ]);
  });
  it("keys equal targets equally", () => {
    expect(targetKey({ ...T })).toBe(targetKey(T));
    expect(targetKey({ ...T, version: "3.12" })).not.toBe(targetKey(T));
  });
});

const python = (() => {
  try {
    execFileSync("python3", ["-c", "import pip"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!python)("the script, run by this machine's python", () => {
  it("answers with this python's version and tags", () => {
    const out = execFileSync("python3", ["-c", TARGET_SCRIPT], { encoding: "utf8" });
    const t = parseTargetPython(out);
    expect(t.version).toMatch(/^3\.\d+$/);
    expect(t.implementation).toBe("cp");
    expect(t.abis[0]).toBe(`cp${t.version.replace(".", "")}`);
    expect(t.platforms).toContain("any");
  });
});
