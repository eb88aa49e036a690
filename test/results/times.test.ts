import { describe, expect, it } from "vitest";

import { coldBuildSamples, importSamples, withBuildRatios } from "../../src/results/times.js";
import { makeRung } from "../fixtures/records.js";

describe("timing samples of a rung", () => {
  it("reads an old record's single values as one sample, post steps included", () => {
    const r = makeRung("a", { buildSeconds: 30, postSeconds: 5 });
    r.smoke!.importSeconds = 1.5;
    expect(coldBuildSamples(r)).toEqual([35]);
    expect(importSamples(r)).toEqual([1.5]);
    expect(coldBuildSamples(makeRung("b", { buildSeconds: undefined }))).toEqual([]);
  });

  it("adds each round's post step to that round's build", () => {
    const r = makeRung("a", { buildSeconds: 31, buildSamples: [30, 31, 40], postSamples: [1, 2, 3] });
    expect(coldBuildSamples(r)).toEqual([31, 33, 43]);
  });
});

describe("withBuildRatios", () => {
  const rungs = [
    makeRung("full", { buildSamples: [40, 60, 44], buildSeconds: 44 }),
    makeRung("slim", { buildSamples: [20, 30, 22], buildSeconds: 22 }),
    makeRung("broken", { status: "FAILED", buildSamples: [10] }),
  ];

  it("divides by the reference rung's time in the same round", () => {
    const out = withBuildRatios(rungs, "slim");
    expect(out.reference).toBe("slim");
    // a round twice as slow for both leaves the ratio alone
    expect(out.rungs[0]!.buildRatioSamples).toEqual([2, 2, 2]);
    expect(out.rungs[0]!.buildRatio).toBe(2);
    expect(out.rungs[1]!.buildRatio).toBe(1);
    expect(out.rungs[2]!.buildRatio).toBeUndefined();
  });

  it("leaves the rungs alone when the reference did not pass or is absent", () => {
    expect(withBuildRatios(rungs, "nope")).toEqual({ rungs });
    const failed = rungs.map((r) => (r.rung === "slim" ? { ...r, status: "FAILED" as const } : r));
    expect(withBuildRatios(failed, "slim").reference).toBeUndefined();
  });
});
