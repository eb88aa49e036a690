import { describe, expect, it } from "vitest";

import { recommend } from "../../src/results/recommend.js";
import {
  renderRecommendationMarkdown,
  renderRecommendationText,
} from "../../src/report/recommendation.js";
import { renderMarkdown } from "../../src/report/run.js";
import { LADDER } from "../fixtures/ladder-results.js";
import { MB, makeRecord } from "../fixtures/records.js";

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
});
