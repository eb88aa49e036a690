import { describe, expect, it } from "vitest";
import { addPhases, formatPhases, PhaseClock, runCost } from "../../src/run/phases.js";
import type { RungResult } from "../../src/types.js";

const rung = (extra: Partial<RungResult>): RungResult => ({
  rung: "r",
  title: "r",
  base: "slim",
  baseImage: "b",
  status: "PASS",
  startedAt: "2026-01-01T00:00:00Z",
  finishedAt: "2026-01-01T00:00:01Z",
  ...extra,
});

describe("PhaseClock", () => {
  it("adds up a phase timed twice and keeps the phases in a rung's order", async () => {
    let t = 0;
    const clock = new PhaseClock(() => t);
    await clock.time("smoke", async () => {
      t += 1500;
    });
    await clock.time("cleanup", async () => {
      t += 250;
    });
    await clock.time("build", async () => {
      t += 10_000;
    });
    await clock.time("cleanup", async () => {
      t += 250.4;
    });
    expect(clock.result()).toEqual({ build: 10, smoke: 1.5, cleanup: 0.5 });
    expect(Object.keys(clock.result())).toEqual(["build", "smoke", "cleanup"]);
  });

  it("counts a step that throws", async () => {
    let t = 0;
    const clock = new PhaseClock(() => t);
    await expect(
      clock.time("inspect", async () => {
        t += 2000;
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(clock.result()).toEqual({ inspect: 2 });
  });
});

describe("addPhases", () => {
  it("sums two rounds, and keeps one side when the other is absent", () => {
    expect(addPhases({ build: 1, smoke: 2 }, { build: 3, post: 1 })).toEqual({
      build: 4,
      post: 1,
      smoke: 2,
    });
    expect(addPhases(undefined, { build: 3 })).toEqual({ build: 3 });
    expect(addPhases({ build: 3 }, undefined)).toEqual({ build: 3 });
  });
});

describe("runCost", () => {
  it("puts the wall clock against every round's build calls and post steps", () => {
    const cost = runCost(
      [
        rung({ buildSeconds: 10, phaseSeconds: { build: 10.5, smoke: 3, cleanup: 1 } }),
        rung({
          buildSeconds: 20,
          buildSamples: [20, 22],
          postSeconds: 4,
          postSamples: [4, 4],
          phaseSeconds: { build: 43, post: 8, smoke: 6 },
        }),
        rung({ status: "SKIPPED" }),
      ],
      100,
    );
    expect(cost.buildSeconds).toBe(52);
    expect(cost.postSeconds).toBe(8);
    expect(cost.ratio).toBeCloseTo(100 / 60);
    expect(cost.phases).toEqual({ build: 53.5, post: 8, smoke: 9, cleanup: 1 });
    expect(cost.outsideSeconds).toBeCloseTo(100 - 71.5);
  });

  it("has no ratio when nothing was built", () => {
    expect(runCost([rung({ status: "SKIPPED" })], 5).ratio).toBeUndefined();
  });
});

describe("formatPhases", () => {
  it("names each phase with its seconds", () => {
    expect(formatPhases({ build: 12.34, smoke: 3.06 })).toBe("build 12.3 s, smoke 3.1 s");
  });
});
