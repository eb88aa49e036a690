import { describe, expect, it } from "vitest";

import { budgetsFromConfig, budgetsFromFlags, type BudgetFlags } from "../../src/results/budget.js";
import { compareRuns, type CheckReport, type RungCheck } from "../../src/results/compare.js";
import type { RunRecord } from "../../src/types.js";
import { MB, makeRecord, makeRung } from "../fixtures/records.js";

const baseline = makeRecord({ runId: "base" });

/** The baseline with some rungs replaced (by id) or appended. */
function current(...rungs: ReturnType<typeof makeRung>[]): RunRecord {
  const byId = new Map(rungs.map((r) => [r.rung, r]));
  const kept = baseline.rungs.map((r) => byId.get(r.rung) ?? r);
  const added = rungs.filter((r) => !baseline.rungs.some((b) => b.rung === r.rung));
  return makeRecord({ runId: "cur", rungs: [...kept, ...added] });
}

function check(cur: RunRecord, flags: BudgetFlags = {}, base: RunRecord = baseline): CheckReport {
  return compareRuns(base, cur, budgetsFromFlags(flags), {
    baselineFile: "results/baseline.json",
    currentFile: "results/current.json",
  });
}

function rung(report: CheckReport, id: string): RungCheck {
  const found = report.rungs.find((r) => r.rung === id);
  if (!found) throw new Error(`no rung ${id}`);
  return found;
}

describe("compareRuns", () => {
  it("passes identical runs, with a zero change per rung", () => {
    const report = check(current(), { maxGrowth: "5%" });
    expect(report.exitCode).toBe(0);
    expect(report.passed).toBe(true);
    expect(report.rungs.map((r) => [r.rung, r.status, r.deltaBytes])).toEqual([
      ["full", "ok", 0],
      ["slim", "ok", 0],
      ["multi-stage", "ok", 0],
    ]);
    expect(report.verdict).toBe("✅ shrinkbench check passed: 3 rungs within budget");
    expect(report.notes).toEqual([]);
    expect(report.baseline).toMatchObject({ file: "results/baseline.json", runId: "base" });
    expect(report.current).toMatchObject({ file: "results/current.json", runId: "cur" });
  });

  it("passes a growth inside the tolerance and reports the change", () => {
    const report = check(current(makeRung("slim", { size: 489 * MB + 19_560_000 })), {
      maxGrowth: "5%",
    });
    const slim = rung(report, "slim");
    expect(slim.status).toBe("ok");
    expect(slim.deltaBytes).toBe(19_560_000);
    expect(slim.deltaRatio).toBeCloseTo(0.04, 10);
    expect(report.exitCode).toBe(0);
    expect(report.verdict).toBe(
      "✅ shrinkbench check passed: 3 rungs within budget; largest change slim +19.6MB (+4.0%)",
    );
  });

  it("passes a growth of exactly the budget", () => {
    const report = check(current(makeRung("slim", { size: 489 * MB * 1.05 })), {
      maxGrowth: "5%",
    });
    expect(rung(report, "slim").status).toBe("ok");
  });

  it("fails a growth over the tolerance, naming the rung and the bytes", () => {
    const report = check(current(makeRung("slim", { size: 534 * MB })), { maxGrowth: "5%" });
    const slim = rung(report, "slim");
    expect(slim.status).toBe("grew-over-budget");
    expect(slim.failed).toBe(true);
    expect(slim.deltaBytes).toBe(45 * MB);
    expect(slim.problems).toEqual([
      {
        kind: "grew-over-budget",
        message: "grew +45MB (+9.2%), 489MB → 534MB, over its +5% budget",
      },
    ]);
    expect(report.exitCode).toBe(1);
    expect(report.verdict).toBe(
      "❌ shrinkbench check failed: slim grew +45MB (+9.2%), 489MB → 534MB, over its +5% budget",
    );
    expect(rung(report, "full").status).toBe("ok");
  });

  it("prints enough digits to show why a growth just over the budget fails", () => {
    const report = check(current(makeRung("slim", { size: Math.round(489 * MB * 1.0504) })), {
      maxGrowth: "5%",
    });
    expect(rung(report, "slim").problems[0]!.message).toMatch(/^grew \+24.6MB \(\+5.04%\)/);
  });

  it("checks an absolute growth budget, printing exact bytes when sizes print alike", () => {
    const over = check(current(makeRung("slim", { size: 489 * MB + 20_000_001 })), {
      maxGrowth: "slim=20MB",
    });
    expect(rung(over, "slim").problems[0]!.message).toBe(
      "grew +20MB (20000001 bytes, +4.1%), 489MB → 509MB, over its +20MB (20000000 bytes) budget",
    );
    const inside = check(current(makeRung("slim", { size: 489 * MB + 20 * MB })), {
      maxGrowth: "slim=20MB",
    });
    expect(inside.exitCode).toBe(0);
  });

  it("passes a shrinking rung", () => {
    const report = check(current(makeRung("full", { base: "full", size: 1_200 * MB })), {
      maxGrowth: "0%",
    });
    expect(rung(report, "full")).toMatchObject({ status: "ok", deltaBytes: -490 * MB });
    expect(report.verdict).toMatch(/largest change full -490MB \(-29.0%\)$/);
  });

  it("fails a rung over its max size, with or without a baseline change", () => {
    const report = check(current(), { maxSize: ["2GB", "slim=300MB"] });
    expect(rung(report, "slim").status).toBe("over-max-size");
    expect(rung(report, "slim").problems[0]!.message).toBe("is 489MB, over its 300MB limit");
    expect(rung(report, "full").status).toBe("ok");
    expect(report.exitCode).toBe(1);

    const close = check(current(makeRung("slim", { size: 300_400_000 })), {
      maxSize: "slim=300MB",
    });
    expect(rung(close, "slim").problems[0]!.message).toBe(
      "is 300MB (300400000 bytes), over its 300MB (300000000 bytes) limit",
    );
  });

  it("fails a rung with too many layers", () => {
    const report = check(current(), { maxLayers: "slim=8" });
    expect(rung(report, "slim")).toMatchObject({
      status: "too-many-layers",
      problems: [{ kind: "too-many-layers", message: "has 9 layers, over its limit of 8" }],
    });
    expect(report.exitCode).toBe(1);
  });

  it("lists every broken budget, the first one as the status", () => {
    const report = check(current(makeRung("slim", { size: 600 * MB, layers: 20 })), {
      maxGrowth: "5%",
      maxSize: "500MB",
      maxLayers: "10",
    });
    const slim = rung(report, "slim");
    expect(slim.status).toBe("grew-over-budget");
    expect(slim.problems.map((p) => p.kind)).toEqual([
      "grew-over-budget",
      "over-max-size",
      "too-many-layers",
    ]);
    expect(slim.budget).toEqual({
      maxGrowth: { kind: "ratio", ratio: 0.05 },
      maxSizeBytes: 500 * MB,
      maxLayers: 10,
    });
  });

  it("fails a rung that passed in the baseline and fails now, even without budgets", () => {
    const report = check(
      current(makeRung("slim", { status: "FAILED", reason: "smoke test: No module named numpy" })),
    );
    expect(rung(report, "slim")).toMatchObject({
      status: "newly-failing",
      failed: true,
      problems: [
        {
          kind: "newly-failing",
          message: "passed in the baseline and FAILED now: smoke test: No module named numpy",
        },
      ],
    });
    expect(report.exitCode).toBe(1);
    expect(report.verdict).toMatch(/^❌ .*slim passed in the baseline and FAILED now/);
  });

  it("reports, without failing, a rung that failed in the baseline too", () => {
    const failed = makeRung("slim", { status: "FAILED", reason: "build error" });
    const report = check(current(failed), {}, current(failed));
    expect(rung(report, "slim")).toMatchObject({ status: "still-failing", failed: false });
    expect(report.exitCode).toBe(0);
    expect(report.verdict).toBe(
      "✅ shrinkbench check passed: 2 rungs within budget (1 still failing)",
    );
  });

  it("checks a rung fixed since the baseline against absolute budgets only", () => {
    const base = current(makeRung("slim", { status: "FAILED", reason: "build error" }));
    const report = check(current(), { maxGrowth: "1%", maxSize: "slim=400MB" }, base);
    const slim = rung(report, "slim");
    expect(slim.deltaBytes).toBeUndefined();
    expect(slim.status).toBe("over-max-size");
    expect(slim.notes).toEqual([
      "FAILED in the baseline: build error: no baseline size to compare growth with",
    ]);
  });

  it("reports a new rung, and applies absolute budgets to it", () => {
    const added = makeRung("squashed", { size: 170 * MB });
    const report = check(current(added), { maxGrowth: "5%" });
    expect(rung(report, "squashed")).toMatchObject({
      status: "new-rung",
      failed: false,
      notes: ["new rung: not in the baseline"],
    });
    expect(rung(report, "squashed").baseline).toBeUndefined();
    expect(report.exitCode).toBe(0);
    expect(report.verdict).toBe("✅ shrinkbench check passed: 3 rungs within budget (1 new rung)");

    const over = check(current(added), { maxSize: "squashed=100MB" });
    expect(rung(over, "squashed").status).toBe("over-max-size");
    expect(over.exitCode).toBe(1);

    const failing = check(current(makeRung("squashed", { status: "FAILED", reason: "x" })));
    expect(rung(failing, "squashed")).toMatchObject({ status: "new-rung", failed: false });
    expect(rung(failing, "squashed").notes).toEqual(["new rung, FAILED: x"]);
  });

  it("reports a rung missing from the current run where it was in the baseline", () => {
    const cur = makeRecord({ rungs: [baseline.rungs[0]!, baseline.rungs[2]!] });
    const report = check(cur, { maxGrowth: "5%" });
    expect(report.rungs.map((r) => [r.rung, r.status])).toEqual([
      ["full", "ok"],
      ["slim", "missing-rung"],
      ["multi-stage", "ok"],
    ]);
    expect(rung(report, "slim").current).toBeUndefined();
    expect(rung(report, "slim").baseline?.sizeBytes).toBe(489 * MB);
    expect(report.exitCode).toBe(0);
    expect(report.verdict).toBe(
      "✅ shrinkbench check passed: 2 rungs within budget (1 missing rung)",
    );
  });

  it("puts a missing first rung first", () => {
    const cur = makeRecord({ rungs: [baseline.rungs[1]!, baseline.rungs[2]!] });
    expect(check(cur).rungs.map((r) => r.rung)).toEqual(["full", "slim", "multi-stage"]);
  });

  it("reports a skipped rung without failing", () => {
    const skipped = makeRung("slim", {
      status: "SKIPPED",
      reason: "base image unavailable",
      image: null,
    });
    const report = check(current(skipped), { maxSize: "1MB" });
    expect(rung(report, "slim")).toMatchObject({
      status: "skipped",
      failed: false,
      notes: ["skipped in the current run: base image unavailable"],
    });
    expect(rung(report, "full").status).toBe("over-max-size");
  });

  it("notes a changed requirements hash with the names added and removed", () => {
    const cur = makeRecord({
      requirements: {
        file: "requirements.txt",
        hash: "sha256:2222222222222222ab",
        names: ["numpy", "requests"],
      },
    });
    const report = check(cur);
    expect(report.requirementsChanged).toBe(true);
    expect(report.notes).toEqual([
      "requirements changed (hash 111111111111 → 222222222222): added requests; removed pandas",
    ]);
    expect(report.exitCode).toBe(0);

    const pins = check(
      makeRecord({ requirements: { ...baseline.requirements, hash: "sha256:33333333333333" } }),
    );
    expect(pins.notes[0]).toMatch(/same package names, different pins or files$/);
    expect(check(current()).requirementsChanged).toBe(false);
  });

  it("notes a changed ladder, an interrupted run and a changed base image", () => {
    const cur = makeRecord({
      ladder: { name: "talk-2020", file: "variants/talk-2020.json" },
      interrupted: true,
      rungs: [
        makeRung("full", { base: "full", size: 1_690 * MB, baseImage: "python:3.11" }),
        ...baseline.rungs.slice(1),
      ],
    });
    const report = check(cur);
    expect(report.notes).toEqual([
      "ladder changed: modern → talk-2020",
      "the current run was interrupted: rungs it did not reach are missing",
    ]);
    expect(rung(report, "full").notes).toEqual([
      "base image changed: shrinkbench/python:3.11-full → python:3.11",
    ]);
  });

  it("notes a budget for a rung that is in neither run", () => {
    const report = check(current(), { maxSize: "slimm=300MB" });
    expect(report.notes).toEqual([
      'budget --max-size slimm=300MB names rung "slimm", which is in neither run',
    ]);
  });

  it("applies config budgets, with flags overriding them", () => {
    const config = budgetsFromConfig(
      { "*": { maxGrowth: "5%" }, slim: { maxSize: "400MB" } },
      "shrinkbench.config.json",
    );
    const cur = current(makeRung("slim", { size: 500 * MB }));
    expect(compareRuns(baseline, cur, config).rungs[1]!.problems.map((p) => p.kind)).toEqual([
      "over-max-size",
    ]);
    const flags = budgetsFromFlags({ maxSize: "slim=1GB" });
    expect(compareRuns(baseline, cur, [...flags, ...config]).exitCode).toBe(0);
  });

  it("has no ratio for a baseline of zero bytes", () => {
    const base = current(makeRung("slim", { size: 0 }));
    const report = check(current(makeRung("slim", { size: MB })), { maxGrowth: "5%" }, base);
    expect(rung(report, "slim")).toMatchObject({ deltaBytes: MB, status: "grew-over-budget" });
    expect(rung(report, "slim").deltaRatio).toBeUndefined();
    expect(rung(report, "slim").problems[0]!.message).toBe(
      "grew +1MB, 0B → 1MB, over its +5% budget",
    );
  });
});
