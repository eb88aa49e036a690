import { describe, expect, it } from "vitest";
import { summarizeInspection } from "../../src/image/summary.js";
import { INSPECT_SCHEMA, INSPECT_VERSION, type InspectReport } from "../../src/image/types.js";
import { inspectionMarkdown } from "../../src/report/run.js";
import { makeRecord, makeRung } from "../fixtures/records.js";

function report(): InspectReport {
  return {
    schema: INSPECT_SCHEMA,
    schemaVersion: INSPECT_VERSION,
    image: { ref: "x", id: "sha256:1", repoTags: [] },
    layers: [],
    totals: { layers: 2, sizeBytes: 100, tarBytes: 120, files: 3, visibleBytes: 90 },
    waste: {
      wastedBytes: 10_000_000,
      efficiency: 0.75,
      cumulativeBytes: 40,
      minimumBytes: 30,
      hiddenBytes: 12_000_000,
      topPaths: [{ path: "a", count: 2, cumulativeBytes: 2, minimumBytes: 1, wastedBytes: 1 }],
      userSizeBytes: 80,
      userWastedRatio: 0.125,
      dive: { wastedBytes: 20_000_000, userWastedRatio: 0.25, efficiency: 0.75 },
    },
    python: {
      distributions: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"].map((name, i) => ({
        name,
        site: "/s",
        bytes: 1_000_000 * (11 - i),
        files: 1,
        source: "RECORD" as const,
      })),
      categories: [
        { id: "tests", title: "tests", bytes: 5_000_000, files: 2 },
        { id: "pip-cache", title: "pip cache", bytes: 0, files: 0 },
      ],
    },
    duplicates: { groups: [], totalGroups: 0, duplicateFiles: 0, savingsBytes: 3_080_000 },
    findings: [
      {
        id: "pip-cache",
        bytes: 9,
        message: "pip cache in /root/.cache/pip: 9B",
        advice: "use --no-cache-dir",
        layers: [1],
      },
    ],
  };
}

describe("summarizeInspection", () => {
  it("keeps the totals, the non-empty categories, the ten largest packages, the findings and what the waste gates need", () => {
    const s = summarizeInspection(report());
    expect(s.wastedBytes).toBe(10_000_000);
    expect(s.hiddenBytes).toBe(12_000_000);
    expect(s.efficiency).toBe(0.75);
    expect(s.duplicateSavingsBytes).toBe(3_080_000);
    expect(s.categories.map((c) => c.id)).toEqual(["tests"]);
    expect(s.topDistributions.map((d) => d.name)).toEqual("abcdefghij".split(""));
    expect(s.userSizeBytes).toBe(80);
    expect(s.diveWastedBytes).toBe(20_000_000);
    expect(s.topWastedPaths).toEqual([{ path: "a", wastedBytes: 1 }]);
    expect(s.layerBytes).toEqual([]);
    expect(s.findings[0]).toEqual({
      id: "pip-cache",
      bytes: 9,
      message: "pip cache in /root/.cache/pip: 9B",
      advice: "use --no-cache-dir",
    });
  });
});

describe("inspectionMarkdown", () => {
  it("is empty when no rung was inspected", () => {
    expect(inspectionMarkdown(makeRecord())).toEqual([]);
  });

  it("has a row per inspected rung with the measured numbers", () => {
    const record = makeRecord({
      rungs: [{ ...makeRung("slim"), inspection: summarizeInspection(report()) }, makeRung("full")],
    });
    const text = inspectionMarkdown(record).join("\n");
    expect(text).toMatch(/## Where the bytes are/);
    expect(text).toMatch(/\| slim \| 10MB \| 12MB \| 75(\.0)?% \| 3.08MB \|/);
    expect(text).toMatch(/pip cache in \/root\/\.cache\/pip: 9B — use --no-cache-dir/);
    expect(text).not.toMatch(/\| full \|/);
  });
});
