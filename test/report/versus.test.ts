// Every rung against your own Dockerfile: the numbers (results/versus.ts) and how they read in the
// table, the markdown, the chart and the recommendation.
import { describe, expect, it } from "vitest";

import { versus, versusYours, yoursOf } from "../../src/results/versus.js";
import { buildVersusCell, sizeVersusCell, switchLine } from "../../src/report/versus.js";
import { renderMarkdown, renderTable, tableRows } from "../../src/report/run.js";
import { renderLadderSvg } from "../../src/report/chart.js";
import { renderHtmlReport } from "../../src/report/html.js";
import { recommend } from "../../src/results/recommend.js";
import { renderRecommendationText } from "../../src/report/recommendation.js";
import { MB, makeRecord, makeRung } from "../fixtures/records.js";

const YOURS = makeRung("yours", {
  base: "full",
  size: 1_010 * MB,
  buildSeconds: 16.6,
  rebuildSeconds: 16.6,
  rebuildRequirementsSeconds: 12.0,
  smoke: { passed: true, description: "", seconds: 1, outputTail: [], importSeconds: 0.4 },
});
const SLIM = makeRung("slim", {
  size: 146 * MB,
  buildSeconds: 15.6,
  rebuildSeconds: 0.6,
  rebuildRequirementsSeconds: 16.8,
  smoke: { passed: true, description: "", seconds: 1, outputTail: [], importSeconds: 0.6 },
});
const FAILED = makeRung("broken", { status: "FAILED", image: null, reason: "build failed" });

describe("a rung against yours", () => {
  it("is the difference in bytes, cold build and both warm rebuilds", () => {
    expect(versus(SLIM, YOURS)).toEqual({
      rung: "slim",
      bytes: -864 * MB,
      ratio: 146 / 1010,
      coldSeconds: expect.closeTo(-1.0, 6),
      warmSeconds: expect.closeTo(-16.0, 6),
      warmRequirementsSeconds: expect.closeTo(4.8, 6),
    });
    expect(versus(FAILED, YOURS)).toEqual({ rung: "broken" });
  });

  it("counts only a yours that produced an image", () => {
    expect(yoursOf([SLIM])).toBeUndefined();
    expect(yoursOf([{ ...YOURS, image: undefined, status: "FAILED" }, SLIM])).toBeUndefined();
    expect(versusYours([YOURS, SLIM, FAILED]).map((v) => v.rung)).toEqual(["slim", "broken"]);
    expect(versusYours([SLIM, FAILED])).toEqual([]);
  });

  it("reads as cells and as one line", () => {
    const v = versus(SLIM, YOURS);
    expect(sizeVersusCell(v)).toBe("-864MB (-85.5%)");
    expect(buildVersusCell(v)).toBe("-1.0s (warm -16.0s, +req +4.8s)");
    expect(sizeVersusCell(undefined)).toBe("-");
    expect(buildVersusCell({ rung: "x" })).toBe("-");
    expect(switchLine(v)).toBe(
      "864MB smaller (-85.5%), cold build 1.0s faster, warm rebuild after an app change 16.0s faster, after a requirements change 4.8s slower",
    );
    expect(switchLine({ rung: "x", bytes: 0, ratio: 1, coldSeconds: 0.01 })).toBe(
      "the same size, cold build the same",
    );
  });
});

describe("a run with yours", () => {
  const record = makeRecord({ rungs: [YOURS, SLIM, FAILED] });

  it("has the columns 'vs yours' and 'build vs yours' in the table and the markdown", () => {
    const rows = tableRows(record);
    expect(rows.map((r) => [r.sizeVsYours, r.buildVsYours])).toEqual([
      ["-", "-"],
      ["-864MB (-85.5%)", "-1.0s (warm -16.0s, +req +4.8s)"],
      ["-", "-"],
    ]);
    const head = renderTable(record).split("\n")[0]!;
    expect(head).toMatch(/vs previous +vs yours +% of first .*build time +build vs yours +import/);
    expect(renderMarkdown(record)).toMatch(
      /\| slim \| slim \| 146MB \| -864MB \| -864MB \(-85\.5%\) \| .* \| -1\.0s \(warm -16\.0s, \+req \+4\.8s\) \|/,
    );
  });

  it("has no such columns without yours", () => {
    expect(renderTable(makeRecord())).not.toMatch(/vs yours/);
    expect(tableRows(makeRecord())[0]!.sizeVsYours).toBeUndefined();
  });

  it("labels each bar of the chart with its change against yours", () => {
    const svg = renderLadderSvg(record);
    expect(svg).toMatch(/class="bar-label" data-rung="slim">-864MB<\/text>/);
    expect(svg).toMatch(/class="bar-label" data-rung="slim">15\.6s \(-1\.0s\)<\/text>/);
    expect(svg).not.toMatch(/data-rung="yours">[-+][0-9]/);
    expect(svg).toMatch(/against yours, your Dockerfile/);
    expect(renderLadderSvg(makeRecord())).not.toMatch(/yours/);
  });

  it("has a 'vs yours' column in the HTML report", () => {
    const html = renderHtmlReport(record);
    expect(html).toMatch(/<th>vs yours: size; build<\/th>/);
    expect(html).toMatch(
      /<td class="num">-864MB \(-85\.5%\); -1\.0s \(warm -16\.0s, \+req \+4\.8s\)<\/td>/,
    );
    expect(renderHtmlReport(makeRecord())).not.toMatch(/vs yours/);
  });

  it("says in one line per frontier rung what switching from yours buys", () => {
    const rec = recommend(record.rungs);
    expect(rec.frontier).toEqual(["slim", "yours"]);
    const text = renderRecommendationText(rec, record.rungs);
    expect(text).toMatch(
      /\n {2}yours → slim: +864MB smaller \(-85\.5%\), cold build 1\.0s faster, warm rebuild after an app change 16\.0s faster, after a requirements change 4\.8s slower\n/,
    );
    expect(text.match(/yours →/g)).toHaveLength(1);
  });
});
