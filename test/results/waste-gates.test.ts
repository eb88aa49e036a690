// Waste gates: the rule objects, dive's .dive-ci format, and the gates in `check`.

import { describe, expect, it } from "vitest";
import { budgetsFromConfig, budgetsFromFlags } from "../../src/results/budget.js";
import { compareRuns } from "../../src/results/compare.js";
import { parseDiveCi, parseHumanizeBytes } from "../../src/results/dive-ci.js";
import {
  diveDisagreement,
  evaluateWaste,
  maxWastedGate,
  maxWastedRatioGate,
  minEfficiencyGate,
  parseEfficiency,
  parseWastedRatio,
  type WasteFacts,
} from "../../src/results/waste-gates.js";
import type { RungInspection } from "../../src/types.js";
import { makeRecord, makeRung } from "../fixtures/records.js";

const facts: WasteFacts = {
  wastedBytes: 150_000,
  efficiency: 0.9,
  userSizeBytes: 1_000_000,
  diveWastedBytes: 300_000,
  topWastedPaths: [
    { path: "app/big.bin", wastedBytes: 100_000 },
    { path: "tmp/cache.bin", wastedBytes: 50_000 },
  ],
};

describe("waste gates", () => {
  it("judge with shrinkbench's numbers and say where dive's formula differs", () => {
    const wasted = maxWastedGate(200_000).evaluate(facts);
    expect(wasted).toMatchObject({ passed: true, dive: { passed: false } });
    expect(diveDisagreement(wasted)).toBe(
      "wasted ≤ 200kB: dive's formula would fail it (dive: 300kB; shrinkbench: 150kB)",
    );
    const over = maxWastedGate(149_999).evaluate(facts);
    expect(over.passed).toBe(false);
    expect(over.message).toBe(
      "wastes 150kB (150000 bytes), over its 150kB (149999 bytes) limit; most wasted: /app/big.bin 100kB, /tmp/cache.bin 50kB",
    );
    expect(diveDisagreement(over)).toBeUndefined();

    // 15% ours, 30% dive's
    expect(maxWastedRatioGate(0.2).evaluate(facts)).toMatchObject({ passed: true, dive: { passed: false } });
    expect(maxWastedRatioGate(0.1).evaluate(facts).passed).toBe(false);
    expect(minEfficiencyGate(0.9).evaluate(facts).passed).toBe(true);
    expect(minEfficiencyGate(0.95).evaluate(facts).passed).toBe(false);
    // dive counts a deleted directory once: its efficiency may be higher
    const eff = minEfficiencyGate(0.95).evaluate({ ...facts, diveEfficiency: 0.97 });
    expect(diveDisagreement(eff)).toBe(
      "efficiency ≥ 0.95: dive's formula would pass it (dive: 0.97; shrinkbench: 0.9 (90.0%))",
    );
  });

  it("do not judge a share without the user's bytes (an older record), and say so", () => {
    const [r] = evaluateWaste({ maxWastedRatio: 0.01 }, { ...facts, userSizeBytes: undefined });
    expect(r).toMatchObject({ passed: true, actual: "unknown" });
  });

  it("validate their values when made", () => {
    expect(parseWastedRatio("5%", "x")).toBeCloseTo(0.05);
    expect(parseWastedRatio("0.05", "x")).toBeCloseTo(0.05);
    expect(() => parseWastedRatio("5", "--max-wasted-percent")).toThrow(/not between 0 and 1/);
    expect(parseEfficiency("95%", "x")).toBeCloseTo(0.95);
    expect(() => parseEfficiency("1.5", "--min-efficiency")).toThrow(/not between 0 and 1/);
    expect(() => budgetsFromFlags({ maxWasted: "slim=20" })).not.toThrow();
    expect(() => budgetsFromFlags({ maxWasted: "20 parsecs" })).toThrow(/--max-wasted/);
  });
});

describe(".dive-ci", () => {
  it("reads dive's rules, comments and quotes, with dive's defaults for the rest", () => {
    const r = parseDiveCi(
      "# dive CI rules\nrules:\n  lowestEfficiency: 0.95 # ratio\n  highestWastedBytes: '20MB'\n",
      ".dive-ci",
    );
    expect(r.limits).toEqual({ minEfficiency: 0.95, maxWastedBytes: 20_000_000, maxWastedRatio: 0.1 });
    expect(r.rules.map((x) => x.origin)).toEqual([".dive-ci:3", ".dive-ci:4", "dive's default"]);
    expect(parseDiveCi("rules:\n  lowestEfficiency: disabled\n", "f").limits).toEqual({
      maxWastedRatio: 0.1,
    });
  });

  it("refuses what dive would refuse, with the line", () => {
    expect(() => parseDiveCi("rules:\n  lowestEfficiency: 1.2\n", "f")).toThrow(/f:2: lowestEfficiency/);
    expect(() => parseDiveCi("rules:\n  lowestEfficency: 0.9\n", "f")).toThrow(/f:2: unknown rule lowestEfficency/);
    expect(() => parseDiveCi("- nope\n", "f")).toThrow(/f:1: cannot read/);
  });

  it("reads sizes as go-humanize does", () => {
    expect(parseHumanizeBytes("20MB", "x")).toBe(20_000_000);
    expect(parseHumanizeBytes("20M", "x")).toBe(20_000_000);
    expect(parseHumanizeBytes("20MiB", "x")).toBe(20 * 1024 * 1024);
    expect(parseHumanizeBytes("1.5 gb", "x")).toBe(1_500_000_000);
    expect(parseHumanizeBytes("1,000", "x")).toBe(1_000);
    expect(() => parseHumanizeBytes("MB", "x")).toThrow(/not a size/);
  });
});

describe("check with waste budgets", () => {
  const inspection = (over: Partial<RungInspection> = {}): RungInspection => ({
    wastedBytes: 30_000_000,
    efficiency: 0.8,
    hiddenBytes: 0,
    duplicateSavingsBytes: 0,
    categories: [],
    topDistributions: [{ name: "numpy", bytes: 30_000_000 }],
    findings: [],
    userSizeBytes: 200_000_000,
    diveWastedBytes: 45_000_000,
    topWastedPaths: [{ path: "root/.cache/pip/x", wastedBytes: 30_000_000 }],
    ...over,
  });
  const record = (i?: RungInspection, size?: number) =>
    makeRecord({ rungs: [{ ...makeRung("slim", size ? { size } : {}), ...(i ? { inspection: i } : {}) }] });

  it("fails a rung over its waste budget, naming the paths, and notes dive's other verdict", () => {
    const report = compareRuns(record(inspection()), record(inspection()), budgetsFromFlags({ maxWasted: "slim=40MB" }));
    const slim = report.rungs[0]!;
    expect(slim.failed).toBe(false);
    expect(slim.notes).toContain("wasted ≤ 40MB: dive's formula would fail it (dive: 45MB; shrinkbench: 30MB)");

    const failing = compareRuns(
      record(inspection()),
      record(inspection()),
      budgetsFromConfig({ "*": { minEfficiency: 0.9, maxWastedPercent: "10%" } }, "cfg.json"),
    );
    expect(failing.exitCode).toBe(1);
    expect(failing.rungs[0]!.problems.map((p) => p.kind)).toEqual(["too-much-waste", "low-efficiency"]);
    expect(failing.rungs[0]!.problems[0]!.message).toContain("/root/.cache/pip/x 30MB");
  });

  it("notes a waste budget it could not check, and what grew when a rung is over its size budget", () => {
    const noInspection = compareRuns(record(), record(), budgetsFromFlags({ maxWasted: "1MB" }));
    expect(noInspection.rungs[0]!.notes[0]).toMatch(/waste budgets not checked/);

    const grew = compareRuns(
      record(inspection(), 400_000_000),
      record(inspection({ topDistributions: [{ name: "numpy", bytes: 80_000_000 }] }), 450_000_000),
      budgetsFromFlags({ maxGrowth: "5%" }),
    );
    expect(grew.rungs[0]!.status).toBe("grew-over-budget");
    expect(grew.rungs[0]!.notes).toContain("grew most (distributions): numpy +50MB");
  });
});
