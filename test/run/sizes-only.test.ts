import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { sizesOnlyPlan, timesMeasured, withoutTimes } from "../../src/run/sizes-only.js";
import type { RungResult } from "../../src/types.js";

const timed: RungResult = {
  rung: "slim",
  title: "slim",
  base: "slim",
  baseImage: "b",
  status: "PASS",
  image: {
    id: "sha256:1",
    tag: "t",
    sizeBytes: 100,
    baseSizeBytes: 50,
    addedBytes: 50,
    layers: 3,
    baseLayers: 1,
  },
  buildSeconds: 12,
  postSeconds: 3,
  buildSamples: [12],
  postSamples: [3],
  buildRatio: 1,
  buildRatioSamples: [1],
  buildLoad: [{ loadBefore: 1, loadAfter: 1, cpus: 2, concurrentBuilds: 1 }],
  busy: "1 other build(s) of this run at the same time",
  rebuildSeconds: 1,
  smoke: {
    passed: true,
    description: "import six",
    seconds: 2,
    outputTail: ["ok: import six (six)"],
    importSeconds: 0.4,
    importSamples: [0.4],
  },
  phaseSeconds: { build: 12.5, smoke: 2 },
  startedAt: "2026-01-01T00:00:00Z",
  finishedAt: "2026-01-01T00:00:20Z",
};

describe("withoutTimes", () => {
  it("drops every time about the rung, keeps sizes, the verdict and the run's own cost", () => {
    const r = withoutTimes(timed);
    expect(r.image).toEqual(timed.image);
    expect(r.status).toBe("PASS");
    expect(r.phaseSeconds).toEqual({ build: 12.5, smoke: 2 });
    for (const key of [
      "buildSeconds",
      "postSeconds",
      "buildSamples",
      "postSamples",
      "buildRatio",
      "buildRatioSamples",
      "buildLoad",
      "busy",
      "rebuildSeconds",
    ]) {
      expect(r).not.toHaveProperty(key);
    }
    expect(r.smoke).toEqual({
      passed: true,
      description: "import six",
      seconds: 2,
      outputTail: ["ok: import six (six)"],
    });
    // The result it came from is left alone.
    expect(timed.buildSeconds).toBe(12);
    expect(timed.smoke?.importSeconds).toBe(0.4);
  });
});

describe("sizesOnlyPlan", () => {
  it("builds 2 at a time, or more when asked", () => {
    expect(sizesOnlyPlan({ concurrency: 1 }).concurrency).toBe(2);
    expect(sizesOnlyPlan({ concurrency: 3 }).concurrency).toBe(3);
  });

  it("refuses flags that ask for times (bad input, exit 2)", () => {
    expect(() => sizesOnlyPlan({ concurrency: 1, repeat: 3 })).toThrow(InputError);
    expect(() => sizesOnlyPlan({ concurrency: 1, rebuild: true })).toThrow(/--rebuild/);
    expect(() => sizesOnlyPlan({ concurrency: 1, repeat: 1 })).not.toThrow();
  });
});

describe("timesMeasured", () => {
  it("is false only for a sizes-only record", () => {
    expect(timesMeasured({ sizesOnly: true })).toBe(false);
    expect(timesMeasured({})).toBe(true);
  });
});
