import { describe, expect, it } from "vitest";
import { cacheDir, parseProbeOutput } from "../../src/run/python-env.js";
import { BOOKWORM_PY311 } from "../fixtures/marker-env.js";

describe("the marker probe's output", () => {
  const env = BOOKWORM_PY311;

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
