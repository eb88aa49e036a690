import { describe, expect, it } from "vitest";
import { cacheDir, parseProbeOutput } from "../../src/run/python-env.js";

describe("the marker probe's output", () => {
  const env = {
    implementation_name: "cpython",
    implementation_version: "3.11.2",
    os_name: "posix",
    platform_machine: "x86_64",
    platform_release: "6.1.0",
    platform_system: "Linux",
    platform_version: "#1 SMP",
    python_full_version: "3.11.2",
    platform_python_implementation: "CPython",
    python_version: "3.11",
    sys_platform: "linux",
  };

  it("reads the environment line among other output", () => {
    expect(parseProbeOutput(`warning: x\nSHRINKBENCH_ENV ${JSON.stringify(env)}\n`)).toEqual(env);
  });

  it("refuses output without every variable as a string", () => {
    expect(parseProbeOutput("python3: not found")).toBeUndefined();
    expect(
      parseProbeOutput(`SHRINKBENCH_ENV ${JSON.stringify({ ...env, python_version: 3 })}`),
    ).toBeUndefined();
    expect(parseProbeOutput("SHRINKBENCH_ENV {not json")).toBeUndefined();
  });

  it("caches under SHRINKBENCH_CACHE_DIR, else XDG_CACHE_HOME", () => {
    expect(cacheDir({ SHRINKBENCH_CACHE_DIR: "/c" })).toBe("/c");
    expect(cacheDir({ XDG_CACHE_HOME: "/x" })).toBe("/x/shrinkbench");
  });
});
