import { describe, expect, it } from "vitest";

import { recommend } from "../../src/results/recommend.js";
import { renderTradeoffSvg } from "../../src/report/tradeoff-chart.js";
import { rung } from "../fixtures/ladder-results.js";
import { makeRecord } from "../fixtures/records.js";

const rungs = [
  rung("full", 1440, 40, 1.3, { buildSamples: [40, 38, 45] }),
  rung("slim", 579, 30, 1.4, { buildSamples: [30, 31, 29] }),
  rung("small<&>", 200, 90, 1.1),
  rung("broken", 50, 10, 0.1, { status: "FAILED", reason: "smoke test failed" }),
];
const record = makeRecord({ rungs, recommendation: recommend(rungs) });

function attrs(svg: string, cls: string): Record<string, string>[] {
  return [...svg.matchAll(new RegExp(`<[a-z]+ class="${cls}"([^>]*)>`, "g"))].map((m) =>
    Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])),
  );
}

describe("renderTradeoffSvg", () => {
  const svg = renderTradeoffSvg(record);

  it("draws one point per passing rung in each panel, bigger images higher up", () => {
    const points = attrs(svg, "point");
    expect(points.map((p) => p["data-rung"])).toEqual([
      "full",
      "slim",
      "small&lt;&amp;&gt;",
      "full",
      "slim",
      "small&lt;&amp;&gt;",
    ]);
    const [full, slim, small] = points.map((p) => Number(p.cy));
    expect(full!).toBeLessThan(slim!);
    expect(slim!).toBeLessThan(small!);
    // build panel: slim (30 s) left of full (40 s) left of small (90 s)
    const [fx, sx, smx] = points.map((p) => Number(p.cx));
    expect(sx!).toBeLessThan(fx!);
    expect(fx!).toBeLessThan(smx!);
  });

  it("spans the samples' min–max with an error bar, only where there is a spread", () => {
    const bars = attrs(svg, "errorbar");
    expect(bars.filter((b) => b["data-rung"] === "full")[0]).toMatchObject({
      "data-min": "38",
      "data-max": "45",
    });
    expect(bars.some((b) => b["data-rung"]!.startsWith("small"))).toBe(false);
  });

  it("marks and joins the frontier", () => {
    const points = attrs(svg, "point");
    expect(points.filter((p) => p["data-frontier"] === "true").map((p) => p["data-rung"])).toEqual(
      expect.arrayContaining(["slim", "small&lt;&amp;&gt;"]),
    );
    expect(attrs(svg, "frontier").length).toBeGreaterThanOrEqual(1);
    expect(svg).not.toContain("<small");
  });

  it("says so when no rung passed", () => {
    expect(renderTradeoffSvg(makeRecord({ rungs: [rungs[3]!] }))).toContain(
      "no passing rung with this time",
    );
  });
});
