import { describe, expect, it } from "vitest";

import { parseRunRecord, serializeRunRecord } from "../../src/results/record.js";
import { recommend } from "../../src/results/recommend.js";
import { recommendationLines, renderRecommendationText } from "../../src/report/recommendation.js";
import { LADDER, rung } from "../fixtures/ladder-results.js";
import { MB, makeRecord } from "../fixtures/records.js";

describe("recommend", () => {
  it("keeps on the frontier only the rungs nothing beats on size, build time and import time", () => {
    const rec = recommend(LADDER);
    // full: slim-single-layer is smaller and faster to build but slower to import, so full stays.
    // slim: slim-single-layer beats it on size and build time, but not import time... 1.4 < 1.5.
    // slim-prune: minimal is smaller, imports as fast, but builds slower: it stays.
    // slim-prune-nopyc: minimal is smaller but slower to build: it stays (80 s < 95 s).
    expect(rec.frontier).toEqual([
      "traced",
      "minimal",
      "slim-prune-nopyc",
      "slim-prune",
      "slim-single-layer",
      "slim",
      "full",
    ]);
  });

  it("drops a rung that another beats on all three", () => {
    const rec = recommend([rung("a", 100, 50, 1), rung("b", 200, 60, 1.5), rung("c", 100, 50, 1)]);
    expect(rec.frontier).toEqual(["a", "c"]); // equal rungs do not dominate each other
    const rec2 = recommend([rung("a", 100, 50, 1), rung("b", 100, 50, 1.1)]);
    expect(rec2.frontier).toEqual(["a"]);
  });

  it("never recommends a FAILED or SKIPPED rung, however small", () => {
    const rec = recommend(LADDER);
    expect(rec.frontier).not.toContain("broken");
    expect(rec.frontier).not.toContain("alpine");
    expect(rec.smallest).toBe("traced");
    expect(rec.fastestImport).toBe("traced");
  });

  it("names the fastest to build, with the post steps (squash) counted", () => {
    expect(recommend(LADDER).fastestBuild).toBe("slim-single-layer");
    const squashed = rung("slim-squash", 453, 30, 1.5, { postSeconds: 20 });
    expect(recommend([...LADDER, squashed]).fastestBuild).toBe("slim-single-layer");
  });

  it("breaks ties: smallest by build time, fastest build by size", () => {
    const rec = recommend([rung("a", 100, 60, 1), rung("b", 100, 50, 1), rung("c", 300, 50, 1)]);
    expect(rec.smallest).toBe("b");
    expect(rec.fastestBuild).toBe("b");
  });

  it("counts a missing import time as worst and names no fastest import without any", () => {
    const old = [rung("a", 100, 60), rung("b", 200, 50)];
    const rec = recommend(old);
    expect(rec.frontier).toEqual(["a", "b"]);
    expect(rec.fastestImport).toBeUndefined();
    expect(recommend([rung("a", 100, 60), rung("b", 200, 60, 1)]).frontier).toEqual(["a", "b"]);
  });

  it("picks the fastest build within a size budget, on the frontier", () => {
    const rec = recommend(LADDER, { budgetBytes: 450 * MB });
    expect(rec.budget).toEqual({ bytes: 450 * MB, best: "slim-prune-nopyc" });
    expect(rec.frontier).toContain(rec.budget!.best);
    expect(recommend(LADDER, { budgetBytes: 453 * MB }).budget!.best).toBe("slim-single-layer");
  });

  it("says so when nothing fits the budget", () => {
    const rec = recommend(LADDER, { budgetBytes: 100 * MB });
    expect(rec.budget).toEqual({ bytes: 100 * MB });
    const lines = recommendationLines(rec, LADDER);
    expect(lines).toContainEqual(["best within 100MB", "none: no passing rung fits the budget"]);
  });

  it("repeats the caveat of every passing rung that has one", () => {
    const rec = recommend(LADDER, {
      caveats: { traced: "only as safe as the test's coverage", broken: "never shown" },
    });
    expect(rec.notes).toEqual(["traced: only as safe as the test's coverage"]);
  });

  it("is empty when nothing passed", () => {
    const rec = recommend([LADDER[7]!, LADDER[8]!]);
    expect(rec).toEqual({ frontier: [], notes: [] });
    expect(renderRecommendationText(rec, [])).toContain("none: no rung passed its smoke test");
  });
});

describe("the recommendation in the run record", () => {
  const rec = recommend(LADDER, {
    budgetBytes: 300 * MB,
    caveats: { traced: "only as safe as the smoke test's coverage" },
  });

  it("round-trips through the run record, and a bad one names the field", () => {
    const record = makeRecord({ rungs: LADDER, recommendation: rec });
    expect(parseRunRecord(serializeRunRecord(record), "r.json").recommendation).toEqual(rec);
    const bad = JSON.parse(serializeRunRecord(record)) as Record<string, unknown>;
    bad.recommendation = { frontier: "traced", notes: [] };
    expect(() => parseRunRecord(JSON.stringify(bad), "r.json")).toThrow(
      /r\.json: recommendation\.frontier/,
    );
  });
});

describe("claims beyond the noise (--repeat)", () => {
  const rep = (id: string, size: number, builds: number[], imports: number[], over = {}) =>
    rung(id, size, builds[0]!, imports[0], {
      buildSamples: builds,
      buildSeconds: builds[1],
      ...over,
    });
  const withImports = (r: ReturnType<typeof rep>, imports: number[]) => {
    r.smoke = { ...r.smoke!, importSamples: imports };
    return r;
  };
  // The two runs: full and slim-single-layer traded places; repeated, they overlap.
  const ladder = [
    withImports(rep("full", 1440, [45.9, 22.0, 24.1], [1.3]), [1.3, 1.2, 1.4]),
    withImports(rep("slim", 579, [30, 31, 32], [1.4]), [1.4, 1.3, 1.5]),
    withImports(rep("slim-single-layer", 453, [53.1, 22.7, 25.0], [1.5]), [1.5, 1.2, 1.4]),
    withImports(rep("minimal", 260, [95, 99, 97], [1.2]), [1.2, 1.3, 1.2]),
  ];

  it("says the rungs tie when their ranges overlap, and names the fastest by median", () => {
    const rec = recommend(ladder);
    expect(rec.samples).toBe(3);
    expect(rec.fastestBuild).toBe("full");
    expect(rec.ties?.build).toEqual(["full", "slim-single-layer", "slim"]);
    expect(rec.ties?.import).toBeDefined();
    const text = renderRecommendationText(rec, ladder);
    expect(text).toMatch(
      /fastest to build: +tie: full, slim-single-layer, slim \(within the noise of 3 samples each\)/,
    );
  });

  it("drops from the frontier a bigger rung whose times are within the noise of a smaller one", () => {
    const rec = recommend(ladder);
    expect(rec.frontier).not.toContain("full");
    expect(rec.frontier).not.toContain("slim");
    expect(rec.frontier).toEqual(["minimal", "slim-single-layer"]);
  });

  it("recommends the smallest rung without a caveat within the noise of the fastest, with one reason", () => {
    const rec = recommend(ladder, { caveats: { minimal: "strips things" } });
    expect(rec.recommended).toBe("slim-single-layer");
    expect(rec.reason).toBe(
      "the smallest rung without a caveat whose build and import times are within the noise of the fastest (3 samples each)",
    );
    const text = renderRecommendationText(rec, ladder);
    expect(text).toMatch(/recommended: +slim-single-layer \(453MB, build 25\.0s ±[\d.]+, import/);
  });

  it("with one sample each, recommends the fastest build and says no spread was measured", () => {
    const rec = recommend(LADDER);
    expect(rec.samples).toBe(1);
    expect(rec.ties).toBeUndefined();
    expect(rec.recommended).toBe("slim-single-layer");
    expect(rec.reason).toMatch(/one sample each: no spread measured/);
    expect(renderRecommendationText(rec, LADDER)).toMatch(
      /fastest to build: +slim-single-layer \(.*\) \(one sample each: no spread measured\)/,
    );
  });

  it("round-trips ties, samples and the recommended rung through the record", () => {
    const rec = recommend(ladder);
    const record = makeRecord({ rungs: ladder, recommendation: rec, repeat: 3 });
    expect(parseRunRecord(serializeRunRecord(record), "r.json")).toEqual(record);
  });
});
