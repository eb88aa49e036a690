import { describe, expect, it } from "vitest";

import { compareTimes, median, quantile, summarize } from "../../src/results/stats.js";

describe("summarize", () => {
  it("gives median, range, half the IQR and the coefficient of variation", () => {
    const s = summarize([50, 53, 57, 49, 61])!;
    expect(s.n).toBe(5);
    expect(s.median).toBe(53);
    expect([s.min, s.max]).toEqual([49, 61]);
    // quartiles by linear interpolation: 50 and 57
    expect(s.halfIqr).toBeCloseTo(3.5);
    expect(s.cv).toBeCloseTo(5 / 54, 6); // sd 5 (n - 1), mean 54
  });

  it("has no spread for one sample and nothing for none", () => {
    expect(summarize([42])).toEqual({ n: 1, median: 42, min: 42, max: 42, halfIqr: 0, cv: 0 });
    expect(summarize([])).toBeUndefined();
  });

  it("interpolates the median of an even count and ignores the order given", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2);
  });

  it("keeps one slow outlier out of the spread", () => {
    const s = summarize([22.0, 22.7, 45.9])!;
    expect(s.median).toBe(22.7);
    expect(s.halfIqr).toBeLessThan(s.max - s.min);
  });
});

describe("compareTimes", () => {
  it("names a winner only when the ranges do not overlap", () => {
    expect(compareTimes(summarize([30, 32, 31]), summarize([40, 41, 39]))).toBe(-1);
    expect(compareTimes(summarize([40, 41, 39]), summarize([30, 32, 31]))).toBe(1);
    expect(compareTimes(summarize([30, 36, 31]), summarize([35, 41, 39]))).toBe(0);
  });

  it("treats single samples at face value, equal ones as a tie", () => {
    expect(compareTimes(summarize([30]), summarize([31]))).toBe(-1);
    expect(compareTimes(summarize([30]), summarize([30]))).toBe(0);
  });

  it("counts a missing time as worst", () => {
    expect(compareTimes(summarize([99]), undefined)).toBe(-1);
    expect(compareTimes(undefined, summarize([1]))).toBe(1);
    expect(compareTimes(undefined, undefined)).toBe(0);
  });
});
