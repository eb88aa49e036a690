import { describe, expect, it } from "vitest";
import { cacheDir, parseProbeOutput } from "../../src/packages/python-env.js";
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

describe("one probe per base image", () => {
  it("answers the marker check and the wheelhouse's target from one container, then from the cache", async () => {
    const { mkdtemp, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { probeBaseImage, probePythonEnvironment } =
      await import("../../src/packages/python-env.js");
    const { parseTargetPython, TARGET_MARKER } =
      await import("../../src/packages/target-python.js");
    const target = { version: "3.11", implementation: "cp", abis: ["cp311"], platforms: ["any"] };
    const runs: string[][] = [];
    const engine = {
      host: "fake",
      inspectImage: async () => ({ id: `sha256:${"a".repeat(64)}`, size: 1, layers: 1 }),
      runContainer: async (r: { cmd: string[] }) => {
        runs.push(r.cmd);
        return {
          exitCode: 0,
          timedOut: false,
          seconds: 0.1,
          output: `SHRINKBENCH_ENV ${JSON.stringify(BOOKWORM_PY311)}\n${TARGET_MARKER}${JSON.stringify(target)}\n`,
        };
      },
    } as never;
    const cache = await mkdtemp(join(tmpdir(), "shrinkbench-probe-"));
    try {
      const first = await probePythonEnvironment(engine, "base:1", { labels: {}, cache });
      expect(first).toEqual({ env: BOOKWORM_PY311, cached: false });
      const second = await probeBaseImage(engine, "base:1", { labels: {}, cache });
      expect(second.cached).toBe(true);
      expect(parseTargetPython(second.output)).toEqual(target);
      expect(runs).toHaveLength(1);
      // One interpreter runs both scripts.
      expect(runs[0]!.at(-1)).toContain("SHRINKBENCH_ENV");
      expect(runs[0]!.at(-1)).toContain(TARGET_MARKER);
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });
});
