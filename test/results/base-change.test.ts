import { describe, expect, it } from "vitest";

import { budgetsFromFlags, type BudgetFlags } from "../../src/results/budget.js";
import { compareRuns, type CheckReport, type RungCheck } from "../../src/results/compare.js";
import { renderCheckMarkdown } from "../../src/report/check.js";
import type { BaseImageRecord, RunRecord, RungResult } from "../../src/types.js";
import { MB, makeRecord, makeRung } from "../fixtures/records.js";

const SLIM = "shrinkbench/python:3.11-slim";
const FULL = "shrinkbench/python:3.11-full";
const id = (c: string) => `sha256:${c.repeat(64)}`;

function slimBase(c: string, sizeBytes: number): BaseImageRecord {
  return { ref: SLIM, id: id(c), repoDigest: `python@${id("9")}`, sizeBytes };
}
const FULL_BASE: BaseImageRecord = { ref: FULL, id: id("f"), sizeBytes: 1_020 * MB };

/** A slim-based rung of `size` bytes on a base of `base` bytes. */
function slimRung(rung: string, size: number, base: number): RungResult {
  return makeRung(rung, { size, image: { baseSizeBytes: base, addedBytes: size - base } });
}

/** A FROM scratch rung (measured against a base of 0 bytes and 0 layers, as the runner does). */
function scratchRung(size: number): RungResult {
  return makeRung("scratch", {
    size,
    image: { baseSizeBytes: 0, baseLayers: 0, addedBytes: size },
  });
}

function record(
  runId: string,
  slim: BaseImageRecord | undefined,
  rungs: RungResult[],
): RunRecord {
  return makeRecord({
    runId,
    rungs,
    ...(slim ? { baseImages: { slim, full: FULL_BASE } } : {}),
  });
}

function check(baseline: RunRecord, current: RunRecord, flags: BudgetFlags = {}): CheckReport {
  return compareRuns(baseline, current, budgetsFromFlags(flags));
}

function rung(report: CheckReport, id: string): RungCheck {
  const found = report.rungs.find((r) => r.rung === id);
  if (!found) throw new Error(`no rung ${id}`);
  return found;
}

// The baseline: slim base a (130 MB); slim adds 359 MB, multi-stage 58 MB, scratch is 40 MB.
const baseline = record("base", slimBase("a", 130 * MB), [
  makeRung("full", { base: "full", size: 1_690 * MB }),
  slimRung("slim", 489 * MB, 130 * MB),
  slimRung("multi-stage", 188 * MB, 130 * MB),
  scratchRung(40 * MB),
]);

describe("a base image that moved", () => {
  it("up: says so per rung with how much of the growth is the base's; above-base passes, total fails", () => {
    const current = record("cur", slimBase("b", 142 * MB), [
      makeRung("full", { base: "full", size: 1_690 * MB }),
      slimRung("slim", 504 * MB, 142 * MB), // +15 MB: +12 MB base, +3 MB above it
      slimRung("multi-stage", 200 * MB, 142 * MB), // +12 MB: all of it the base's
      scratchRung(40 * MB),
    ]);
    const total = check(baseline, current, { maxGrowth: "2%" });
    expect(total.exitCode).toBe(1);
    expect(rung(total, "slim").status).toBe("grew-over-budget");
    expect(rung(total, "slim").notes).toContain(
      "base image changed (aaaaaaaaaaaa → bbbbbbbbbbbb): +12MB of the +15MB",
    );
    expect(rung(total, "multi-stage").notes).toContain(
      "base image changed (aaaaaaaaaaaa → bbbbbbbbbbbb): +12MB of the +12MB",
    );
    // The full base did not move: nothing to say.
    expect(rung(total, "full").notes).toEqual([]);
    expect(rung(total, "full").base?.changed).toBe(false);
    expect(rung(total, "slim").base).toMatchObject({
      role: "slim",
      changed: true,
      scratch: false,
      deltaBytes: 12 * MB,
      baseline: { ref: SLIM, id: id("a"), sizeBytes: 130 * MB },
      current: { ref: SLIM, id: id("b"), sizeBytes: 142 * MB },
    });

    const above = check(baseline, current, { maxGrowthAboveBase: "2%" });
    expect(above.exitCode).toBe(0);
    expect(rung(above, "slim").aboveBase).toEqual({
      baselineBytes: 359 * MB,
      currentBytes: 362 * MB,
      deltaBytes: 3 * MB,
      deltaRatio: (3 * MB) / (359 * MB),
    });
    expect(rung(above, "multi-stage").aboveBase?.deltaBytes).toBe(0);
    const md = renderCheckMarkdown(above);
    expect(md).toContain("+15MB (+3.1%), base +12MB");
    expect(md).toContain("+2% above base");
  });

  it("down: a shrinking base hides growth above it, which the above-base budget catches", () => {
    const current = record("cur", slimBase("c", 120 * MB), [
      makeRung("full", { base: "full", size: 1_690 * MB }),
      slimRung("slim", 484 * MB, 120 * MB), // -5 MB in all: -10 MB base, +5 MB above it
      slimRung("multi-stage", 178 * MB, 120 * MB),
      scratchRung(40 * MB),
    ]);
    const report = check(baseline, current, { maxGrowth: "1%", maxGrowthAboveBase: "1%" });
    const slim = rung(report, "slim");
    expect(slim.deltaBytes).toBe(-5 * MB);
    expect(slim.status).toBe("grew-above-base");
    expect(slim.problems.map((p) => p.message)).toEqual([
      "grew above its base +5MB (+1.4%), 359MB → 364MB, over its +1% above-base budget",
    ]);
    expect(slim.notes).toContain(
      "base image changed (aaaaaaaaaaaa → cccccccccccc): -10MB of the -5MB",
    );
    expect(report.exitCode).toBe(1);
    expect(report.verdict).toContain("slim grew above its base +5MB");
    // An absolute above-base budget.
    expect(check(baseline, current, { maxGrowthAboveBase: "slim=5MB" }).exitCode).toBe(0);
    expect(check(baseline, current, { maxGrowthAboveBase: "slim=4MB" }).exitCode).toBe(1);
  });

  it("unchanged: no note, and the above-base growth is the whole growth", () => {
    const current = record("cur", slimBase("a", 130 * MB), [
      makeRung("full", { base: "full", size: 1_690 * MB }),
      slimRung("slim", 499 * MB, 130 * MB),
      slimRung("multi-stage", 188 * MB, 130 * MB),
      scratchRung(40 * MB),
    ]);
    const report = check(baseline, current, { maxGrowth: "5%", maxGrowthAboveBase: "5%" });
    const slim = rung(report, "slim");
    expect(slim.base).toMatchObject({ changed: false, deltaBytes: 0 });
    expect(slim.aboveBase?.deltaBytes).toBe(slim.deltaBytes);
    expect(report.rungs.flatMap((r) => r.notes)).toEqual([]);
    expect(report.notes).toEqual([]);
    expect(report.exitCode).toBe(0);
  });

  it("a rung FROM scratch: none of the base's size is in it, all its growth is its own", () => {
    const current = record("cur", slimBase("b", 142 * MB), [
      makeRung("full", { base: "full", size: 1_690 * MB }),
      slimRung("slim", 489 * MB, 130 * MB),
      slimRung("multi-stage", 188 * MB, 130 * MB),
      scratchRung(43 * MB),
    ]);
    const report = check(baseline, current, { maxGrowthAboveBase: "5%" });
    const scratch = rung(report, "scratch");
    expect(scratch.base).toMatchObject({ changed: true, scratch: true, deltaBytes: 0 });
    expect(scratch.notes).toContain(
      "base image changed (aaaaaaaaaaaa → bbbbbbbbbbbb): the rung is FROM scratch, none of the base's bytes are in it",
    );
    expect(scratch.aboveBase).toMatchObject({ baselineBytes: 40 * MB, deltaBytes: 3 * MB });
    expect(scratch.status).toBe("grew-above-base");
    // The slim rungs: another image of the same size.
    expect(rung(report, "slim").notes).toEqual([
      "base image changed (aaaaaaaaaaaa → bbbbbbbbbbbb), same size",
    ]);
    expect(renderCheckMarkdown(report)).not.toContain("base 0B");
  });

  it("an old baseline without digests: says the digest is unknown and compares base sizes", () => {
    const old = record("old", undefined, baseline.rungs);
    const moved = record("cur", slimBase("b", 142 * MB), [
      makeRung("full", { base: "full", size: 1_690 * MB }),
      slimRung("slim", 504 * MB, 142 * MB),
      slimRung("multi-stage", 188 * MB, 130 * MB),
      scratchRung(40 * MB),
    ]);
    const report = check(old, moved, { maxGrowth: "2%", maxGrowthAboveBase: "2%" });
    expect(report.notes).toEqual([
      "the baseline recorded its base images by tag only (written before base digests were " +
        "recorded): a moved base shows only where its size changed; `check --update-baseline` records them",
    ]);
    expect(rung(report, "slim").notes).toContain(
      "base image changed (digest unknown → bbbbbbbbbbbb; the baseline recorded it by tag only, " +
        "its size went 130MB → 142MB): +12MB of the +15MB",
    );
    expect(rung(report, "slim").status).toBe("grew-over-budget");
    expect(rung(report, "slim").problems.map((p) => p.kind)).toEqual(["grew-over-budget"]);
    // Same base size: it may or may not be the same image; nothing to attribute.
    expect(rung(report, "multi-stage").base?.changed).toBeUndefined();
    expect(rung(report, "multi-stage").notes).toEqual([]);
    // Both old: nothing is said about digests at all, as before.
    expect(check(old, record("old2", undefined, old.rungs)).notes).toEqual([]);
  });

  it("a base recorded for another tag than the rung used is not that rung's base", () => {
    const current = record("cur", slimBase("b", 142 * MB), [
      makeRung("full", { base: "full", size: 1_690 * MB }),
      makeRung("slim", { size: 489 * MB, baseImage: "other/python:3.11-slim" }),
      slimRung("multi-stage", 188 * MB, 130 * MB),
      scratchRung(40 * MB),
    ]);
    const slim = rung(check(baseline, current), "slim");
    expect(slim.base?.current.id).toBeUndefined();
    expect(slim.notes).toEqual([`base image changed: ${SLIM} → other/python:3.11-slim`]);
  });
});
