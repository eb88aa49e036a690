import { describe, expect, it } from "vitest";

import { parseRunRecord, serializeRunRecord } from "../../src/results/record.js";
import {
  recommend,
  recommendationLines,
  renderRecommendationMarkdown,
  renderRecommendationText,
} from "../../src/results/recommend.js";
import { renderMarkdown } from "../../src/report/run.js";
import type { RungResult } from "../../src/types.js";
import { MB, makeRecord, makeRung } from "../fixtures/records.js";

/** A PASS rung of `size` MB that builds in `build` s and imports in `imp` s. */
function rung(
  id: string,
  size: number,
  build: number,
  imp?: number,
  over: Partial<RungResult> = {},
) {
  const r = makeRung(id, { size: size * MB, buildSeconds: build, ...over });
  if (imp !== undefined) r.smoke = { ...r.smoke!, importSeconds: imp };
  return r;
}

// A ladder like the talk's: each rung smaller, most of them slower to build.
const LADDER: RungResult[] = [
  rung("full", 1440, 36, 1.3),
  rung("slim", 579, 46, 1.4),
  rung("slim-single-layer", 453, 35, 1.5),
  rung("slim-prune", 428, 88, 1.2),
  rung("slim-prune-nopyc", 370, 80, 4.9),
  rung("minimal", 260, 95, 1.2),
  rung("traced", 120, 110, 1.1),
  rung("broken", 50, 10, 0.1, { status: "FAILED", reason: "smoke test failed" }),
  makeRung("alpine", { status: "SKIPPED", image: null, buildSeconds: undefined }),
];

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

describe("rendering the recommendation", () => {
  const rec = recommend(LADDER, {
    budgetBytes: 300 * MB,
    caveats: { traced: "only as safe as the smoke test's coverage" },
  });

  it("prints each pick with its size, build time and import time", () => {
    const text = renderRecommendationText(rec, LADDER);
    expect(text).toMatch(
      /Pareto frontier: +traced, minimal, slim-prune-nopyc, slim-prune, slim-single-layer, slim, full\n/,
    );
    expect(text).toMatch(/smallest: +traced \(120MB, build 1m50s, import 1\.10s\)\n/);
    expect(text).toMatch(
      /fastest to build: +slim-single-layer \(453MB, build 35\.0s, import 1\.50s\)/,
    );
    expect(text).toMatch(/best within 300MB: minimal \(260MB, build 1m35s, import 1\.20s\)/);
    expect(text).toMatch(/warning: +traced: only as safe as the smoke test's coverage/);
  });

  it("renders a markdown section, and the run's markdown includes it", () => {
    const md = renderRecommendationMarkdown(rec, LADDER).join("\n");
    expect(md).toMatch(/^## Recommendation/);
    expect(md).toContain("- smallest: traced (120MB");
    expect(md).toContain("- **warning**: traced: only as safe");
    const record = makeRecord({ rungs: LADDER, recommendation: rec });
    expect(renderMarkdown(record)).toContain("## Recommendation");
    expect(renderMarkdown(makeRecord())).not.toContain("## Recommendation");
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
