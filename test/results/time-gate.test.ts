import { describe, expect, it } from "vitest";

import { compareRuns } from "../../src/results/compare.js";
import {
  checkBuildTimes,
  DEFAULT_SINGLE_SAMPLE_MARGIN,
  timeGateFromFlags,
  type TimeGate,
} from "../../src/results/time-gate.js";
import type { RunRecord } from "../../src/types.js";
import { InputError } from "../../src/errors.js";
import { makeRecord, makeRung } from "../fixtures/records.js";

/** A record of slim (the reference) and one other rung, with their build samples per round. */
function record(runId: string, slim: number[], other: number[], id = "slim-strip"): RunRecord {
  const rung = (name: string, samples: number[]) =>
    makeRung(name, {
      buildSeconds: samples[0],
      ...(samples.length > 1 ? { buildSamples: samples } : {}),
    });
  return makeRecord({ runId, rungs: [rung("slim", slim), rung(id, other)] });
}

const gate = (growth: string, margin?: string): TimeGate =>
  timeGateFromFlags({ maxBuildRatioGrowth: [growth], buildRatioMargin: margin })!;

describe("the build-time gate", () => {
  it("is off unless asked: no flag, no time check, whatever the seconds did", () => {
    expect(timeGateFromFlags({})).toBeUndefined();
    const base = record("a", [10], [20]);
    const cur = record("b", [10], [90]);
    const report = compareRuns(base, cur, []);
    expect(report.passed).toBe(true);
    expect(report.rungs.every((r) => r.buildTime === undefined)).toBe(true);
  });

  it("ignores absolute seconds: a machine twice as slow keeps the ratios and passes", () => {
    const base = record("a", [10, 11, 10], [20, 22, 21]);
    const cur = record("b", [20, 22, 20], [40, 44, 42]);
    const [t] = checkBuildTimes(base, cur, gate("10%"));
    expect(t).toMatchObject({ rung: "slim-strip", reference: "slim", verdict: "ok" });
    expect(t!.growth).toBeCloseTo(0, 10);
  });

  it("fails a ratio grown past the limit beyond both runs' measured spread", () => {
    // ratios 2.0–2.1 before, 3.0–3.1 after
    const base = record("a", [10, 10, 10], [20, 21, 20.5]);
    const cur = record("b", [10, 10, 10], [30, 31, 30.5]);
    const report = compareRuns(base, cur, [], { timeGate: gate("20%") });
    const strip = report.rungs.find((r) => r.rung === "slim-strip")!;
    expect(strip.status).toBe("build-time-grew");
    expect(strip.failed).toBe(true);
    expect(strip.buildTime!.verdict).toBe("grew");
    expect(strip.problems[0]!.message).toBe(
      "build time 2.05× → 3.05× slim's (+48.8%, over its 20.0% budget, beyond the noise: " +
        "baseline 2.00×–2.10× over 3 samples, current 3.00×–3.10× over 3 samples)",
    );
    expect(report.exitCode).toBe(1);
    expect(report.verdict).toMatch(/^❌ .*slim-strip build time 2\.05× → 3\.05×/);
  });

  it("does not fail a growth over the limit whose ranges overlap: within the noise", () => {
    const base = record("a", [10, 10, 10], [20, 30, 25]);
    const cur = record("b", [10, 10, 10], [28, 36, 32]);
    const report = compareRuns(base, cur, [], { timeGate: gate("20%") });
    const strip = report.rungs.find((r) => r.rung === "slim-strip")!;
    expect(strip.buildTime!.verdict).toBe("within-noise");
    expect(strip.buildTime!.growth).toBeCloseTo(0.28, 10);
    expect(strip.failed).toBe(false);
    expect(strip.notes.join()).toMatch(/within the noise/);
    expect(report.exitCode).toBe(0);
  });

  it("with one sample a side, says the spread is unknown and uses the stated margin", () => {
    expect(DEFAULT_SINGLE_SAMPLE_MARGIN).toBe(0.5);
    // 2.0 → 2.6 (+30%): over 20%, but 2.6/1.5 = 1.73 < 2.0*1.5 = 3.0: within ±50%
    const within = checkBuildTimes(record("a", [10], [20]), record("b", [10], [26]), gate("20%"));
    expect(within[0]!.verdict).toBe("within-noise");
    expect(within[0]!.message).toMatch(/baseline one sample, ±50\.0% assumed/);
    // 2.0 → 4.6 (+130%): 4.6/1.5 = 3.07 > 3.0: beyond
    const beyond = checkBuildTimes(record("a", [10], [20]), record("b", [10], [46]), gate("20%"));
    expect(beyond[0]!.verdict).toBe("grew");
    // a smaller stated margin: 2.6/1.1 = 2.36 > 2.2
    const tight = checkBuildTimes(
      record("a", [10], [20]),
      record("b", [10], [26]),
      gate("20%", "10%"),
    );
    expect(tight[0]!.verdict).toBe("grew");
  });

  it("mixes a measured side with a one-sample side", () => {
    // baseline measured 2.0–2.1; current one sample 3.3 → band 2.2–4.95: 2.2 > 2.1, beyond
    const t = checkBuildTimes(
      record("a", [10, 10, 10], [20, 21, 20.5]),
      record("b", [10], [33]),
      gate("20%"),
    );
    expect(t[0]!.verdict).toBe("grew");
    expect(t[0]!.current!.measured).toBe(false);
    expect(t[0]!.baseline!.measured).toBe(true);
  });

  it("never gates the reference rung itself, and says so when there is no reference", () => {
    const base = record("a", [10], [20]);
    const cur = record("b", [10], [20]);
    expect(checkBuildTimes(base, cur, gate("5%")).map((t) => t.rung)).toEqual(["slim-strip"]);
    const noSlim = makeRecord({ runId: "c", rungs: [makeRung("slim-strip", {})] });
    const [t] = checkBuildTimes(base, noSlim, gate("5%"));
    expect(t!.verdict).toBe("no-ratio");
    expect(t!.message).toMatch(/no ratio to slim in the current run/);
  });

  it("takes per-rung limits over the one for every rung, and notes unknown rung ids", () => {
    const base = record("a", [10, 10, 10], [20, 21, 20.5]);
    const cur = record("b", [10, 10, 10], [30, 31, 30.5]);
    const g = timeGateFromFlags({
      maxBuildRatioGrowth: ["20%", "slim-strip=60%", "slim-typo=5%"],
    })!;
    const report = compareRuns(base, cur, [], { timeGate: g });
    expect(report.rungs.find((r) => r.rung === "slim-strip")!.buildTime!.verdict).toBe("ok");
    expect(report.notes).toContain(
      '--max-build-ratio-growth slim-typo=5% names rung "slim-typo", which is in neither run',
    );
  });

  it("refuses bad flags as input errors with a hint", () => {
    expect(() => timeGateFromFlags({ maxBuildRatioGrowth: ["20"] })).toThrow(InputError);
    expect(() => timeGateFromFlags({ maxBuildRatioGrowth: ["=20%"] })).toThrow(/no rung id/);
    expect(() => timeGateFromFlags({ buildRatioMargin: "10%" })).toThrow(
      /without --max-build-ratio-growth/,
    );
    expect(() => timeGateFromFlags({ maxBuildRatioGrowth: "20%", buildRatioMargin: "x" })).toThrow(
      InputError,
    );
  });
});
