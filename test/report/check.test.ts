import { describe, expect, it } from "vitest";

import { budgetsFromFlags } from "../../src/results/budget.js";
import {
  CHECK_REPORT_SCHEMA,
  renderCheckJson,
  renderCheckMarkdown,
} from "../../src/report/check.js";
import { compareRuns } from "../../src/results/compare.js";
import { MB, makeRecord, makeRung } from "../fixtures/records.js";

const baseline = makeRecord({ runId: "base-run" });
const current = makeRecord({
  runId: "cur-run",
  requirements: {
    file: "requirements.txt",
    hash: "sha256:2222222222222222",
    names: ["numpy", "pandas", "requests"],
  },
  rungs: [
    makeRung("full", { base: "full", size: 1_690 * MB, layers: 12 }),
    makeRung("slim", { size: 534 * MB, title: "Slim | pip --no-cache-dir" }),
    makeRung("multi-stage", { status: "FAILED", reason: "smoke test failed" }),
    makeRung("alpine", { status: "SKIPPED", reason: "base image unavailable", image: null }),
  ],
});
const report = compareRuns(baseline, current, budgetsFromFlags({ maxGrowth: "5%" }), {
  baselineFile: "results/baseline.json",
  currentFile: "results/current.json",
});

describe("renderCheckMarkdown", () => {
  const md = renderCheckMarkdown(report);
  const lines = md.split("\n");

  it("puts the one-line verdict first", () => {
    expect(lines[0]).toBe(
      "**❌ shrinkbench check failed: slim grew +45MB (+9.2%), 489MB → 534MB, over its +5% budget; " +
        "multi-stage passed in the baseline and FAILED now: smoke test failed**",
    );
  });

  it("has a table row per rung: baseline, current, change, budget, status", () => {
    expect(lines.slice(2, 8)).toEqual([
      "| Rung | Baseline | Current | Change | Budget | Status |",
      "| :--- | ---: | ---: | ---: | :--- | :--- |",
      "| `full` Rung full | 1.69GB | 1.69GB | 0B (0.0%) | +5% | ✅ ok |",
      "| `slim` Slim \\| pip --no-cache-dir | 489MB | 534MB | +45MB (+9.2%) | +5% | ❌ grew over budget |",
      "| `multi-stage` Rung multi-stage | 188MB | FAILED | — | +5% | ❌ newly failing |",
      "| `alpine` Rung alpine | — | SKIPPED | — | +5% | ⏭️ skipped |",
    ]);
  });

  it("lists the problems and notes under the table", () => {
    expect(md).toContain(
      "- ❌ `slim` grew +45MB (+9.2%), 489MB → 534MB, over its +5% budget\n" +
        "- ❌ `multi-stage` passed in the baseline and FAILED now: smoke test failed\n" +
        "- `alpine`: skipped in the current run: base image unavailable\n" +
        "- requirements changed (hash 111111111111 → 222222222222): added requests\n",
    );
  });

  it("ends with the runs compared and the units", () => {
    expect(lines.at(-2)).toBe(
      "<sub>Baseline: run `base-run`, ladder `modern`, 2024-03-05T07:08:09.000Z, " +
        "`results/baseline.json` · current: run `cur-run`, ladder `modern`, " +
        "2024-03-05T07:08:09.000Z, `results/current.json` · sizes as `docker images` prints " +
        "them (1 MB = 1,000,000 bytes)</sub>",
    );
    expect(md.endsWith("</sub>\n")).toBe(true);
  });

  it("renders a passing report without a details list", () => {
    const ok = renderCheckMarkdown(compareRuns(baseline, makeRecord()));
    expect(ok.split("\n")[0]).toBe("**✅ shrinkbench check passed: 3 rungs within budget**");
    expect(ok).toContain("| `slim` Rung slim | 489MB | 489MB | 0B (0.0%) | none | ✅ ok |");
    expect(ok).not.toMatch(/^- /m);
  });

  it("escapes what would break a table or inject HTML", () => {
    const weird = makeRecord({
      rungs: [makeRung("a|b", { title: "<img src=x>\nline", size: 1 })],
    });
    const out = renderCheckMarkdown(compareRuns(weird, weird));
    expect(out).toContain("| `a\\|b` &lt;img src=x> line | 1B | 1B | 0B (0.0%) | none | ✅ ok |");
  });

  it("says when the baseline was updated", () => {
    const updated = { ...report, baselineUpdated: "results/baseline.json" };
    expect(renderCheckMarkdown(updated)).toContain(
      "- baseline updated: the current run was written to `results/baseline.json`",
    );
  });
});

describe("renderCheckJson", () => {
  it("carries a schema name, exact bytes and the exit code", () => {
    const data = JSON.parse(renderCheckJson(report)) as Record<string, unknown>;
    expect(data.schema).toBe(CHECK_REPORT_SCHEMA);
    expect(data.schemaVersion).toBe(1);
    expect(data.exitCode).toBe(1);
    expect(data.passed).toBe(false);
    const rungs = data.rungs as Record<string, unknown>[];
    expect(rungs[1]).toMatchObject({
      rung: "slim",
      status: "grew-over-budget",
      deltaBytes: 45 * MB,
      baseline: { sizeBytes: 489 * MB },
      current: { sizeBytes: 534 * MB },
      budget: { maxGrowth: { kind: "ratio", ratio: 0.05 } },
    });
    expect(renderCheckJson(report).endsWith("}\n")).toBe(true);
  });
});
