import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { checkCommand, runThenCheck, type CheckOptions } from "../../src/commands/check.js";
import { defaultBases, type Config } from "../../src/config.js";
import { InputError } from "../../src/errors.js";
import { serializeRunRecord } from "../../src/results/record.js";
import type { RunRecord } from "../../src/types.js";
import { MB, makeRecord, makeRung, recordJson } from "../fixtures/records.js";
import { offlineRunOptions } from "../fixtures/run-options.js";

let dir: string;
let out: string[];
let baselinePath: string;
let currentPath: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-check-"));
  out = [];
  baselinePath = join(dir, "results", "baseline.json");
  currentPath = join(dir, "current.json");
  await writeRecord(baselinePath, makeRecord({ runId: "base" }));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeRecord(path: string, record: RunRecord | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, typeof record === "string" ? record : serializeRunRecord(record));
}

/** The current run: the baseline with the slim rung at `slimBytes`. */
async function writeCurrent(slimBytes: number, extra: Partial<RunRecord> = {}): Promise<void> {
  const base = makeRecord();
  await writeRecord(
    currentPath,
    makeRecord({
      runId: "cur",
      rungs: [base.rungs[0]!, makeRung("slim", { size: slimBytes }), base.rungs[2]!],
      ...extra,
    }),
  );
}

const noConfig: Config = { bases: defaultBases() };

function run(opts: Partial<CheckOptions> = {}): Promise<number> {
  return checkCommand({
    baseline: baselinePath,
    current: currentPath,
    format: "markdown",
    config: noConfig,
    env: {},
    stdout: (s) => out.push(s),
    ...opts,
  });
}

async function rejection(p: Promise<unknown>): Promise<InputError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  return err as InputError;
}

describe("checkCommand", () => {
  it("exits 0 for a growth inside the tolerance and prints the markdown report", async () => {
    await writeCurrent(489 * MB + 10 * MB);
    expect(await run({ maxGrowth: "5%" })).toBe(0);
    expect(out.join("")).toMatch(/^\*\*✅ shrinkbench check passed: 3 rungs within budget/);
    expect(out.join("")).toContain("| `slim` Rung slim | 489MB | 499MB | +10MB (+2.0%) | +5% |");
  });

  it("exits 1 for a growth over the budget, naming the rung and the bytes", async () => {
    await writeCurrent(534 * MB);
    expect(await run({ maxGrowth: "5%" })).toBe(1);
    expect(out.join("")).toMatch(/^\*\*❌ shrinkbench check failed: slim grew \+45MB \(\+9.2%\)/);
  });

  it("gates your own Dockerfile (the rung yours) like any rung", async () => {
    const yours = (size: number) => makeRung("yours", { base: "full", size });
    await writeRecord(baselinePath, makeRecord({ runId: "base", rungs: [yours(1_010 * MB)] }));
    await writeRecord(currentPath, makeRecord({ runId: "cur", rungs: [yours(1_200 * MB)] }));
    expect(await run({ maxGrowth: "5%" })).toBe(1);
    expect(out.join("")).toMatch(/^\*\*❌ shrinkbench check failed: yours grew \+190MB/);
  });

  it("takes budgets from the config file, and flags over them", async () => {
    await writeCurrent(534 * MB);
    const configPath = join(dir, "shrinkbench.config.json");
    await writeFile(configPath, JSON.stringify({ budgets: { slim: { maxSize: "500MB" } } }));
    expect(await run({ config: configPath })).toBe(1);
    expect(out.join("")).toContain("slim is 534MB, over its 500MB limit");
    expect(await run({ config: configPath, maxSize: "slim=600MB" })).toBe(0);
  });

  it("compares a sizes-only run with a cold baseline, and says no time was measured", async () => {
    await writeCurrent(489 * MB + 10 * MB, { sizesOnly: true });
    expect(await run({ maxGrowth: "5%" })).toBe(0);
    expect(out.join("")).toContain("| `slim` Rung slim | 489MB | 499MB | +10MB (+2.0%) | +5% |");
    expect(out.join("")).toContain("Sizes only (`--sizes-only`)");
    out = [];
    await writeCurrent(489 * MB);
    expect(await run({ maxGrowth: "5%" })).toBe(0);
    expect(out.join("")).not.toContain("Sizes only");
  });

  it("refuses --sizes-only with --max-build-ratio-growth before anything is built", async () => {
    const err = await rejection(
      runThenCheck(
        offlineRunOptions({ sizesOnly: true }),
        { baseline: baselinePath, format: "markdown", maxBuildRatioGrowth: ["20%"] },
        { stdout: () => undefined, stderr: () => undefined, isTTY: false, env: {} },
      ),
    );
    expect(err.message).toContain("--sizes-only with --max-build-ratio-growth");
  });

  it("prints JSON with --format json", async () => {
    await writeCurrent(534 * MB);
    expect(await run({ format: "json", maxGrowth: "5%" })).toBe(1);
    const data = JSON.parse(out.join("")) as { exitCode: number; rungs: { status: string }[] };
    expect(data.exitCode).toBe(1);
    expect(data.rungs.map((r) => r.status)).toEqual(["ok", "grew-over-budget", "ok"]);
  });

  it("appends the markdown to GITHUB_STEP_SUMMARY when it is set", async () => {
    await writeCurrent(489 * MB);
    const summary = join(dir, "step-summary.md");
    await writeFile(summary, "# earlier step\n");
    expect(await run({ format: "json", env: { GITHUB_STEP_SUMMARY: summary } })).toBe(0);
    const text = await readFile(summary, "utf8");
    expect(text).toMatch(/^# earlier step\n\*\*✅ shrinkbench check passed/);
    expect(text).toContain("| Rung | Baseline | Current | Change | Budget | Status |");
    // stdout still carries JSON only.
    expect(() => JSON.parse(out.join("")) as unknown).not.toThrow();
  });

  it("names the file of an unwritable GITHUB_STEP_SUMMARY", async () => {
    await writeCurrent(489 * MB);
    const summary = join(dir, "no", "such", "dir", "summary.md");
    const err = await rejection(run({ env: { GITHUB_STEP_SUMMARY: summary } }));
    expect(err.message).toContain(`GITHUB_STEP_SUMMARY: cannot append to ${summary}`);
  });

  describe("bad input exits 2 with a message naming the file and the field", () => {
    it("a baseline with a wrongly typed field", async () => {
      await writeCurrent(489 * MB);
      await writeRecord(
        baselinePath,
        recordJson((d) => {
          ((d.rungs as Record<string, unknown>[])[1]!.image as Record<string, unknown>).sizeBytes =
            "489MB";
        }),
      );
      const err = await rejection(run());
      expect(err.exitCode).toBe(2);
      expect(err.message).toBe(
        `${baselinePath}: rungs[1].image.sizeBytes: expected a number, got "489MB"`,
      );
    });

    it("a baseline of another schema", async () => {
      await writeCurrent(489 * MB);
      await writeRecord(baselinePath, JSON.stringify({ schema: "dive/ci", rules: [] }));
      const err = await rejection(run());
      expect(err.exitCode).toBe(2);
      expect(err.message).toBe(
        `${baselinePath}: not a shrinkbench run record: schema: expected ` +
          `"shrinkbench/run-record", got "dive/ci"`,
      );
    });

    it("a baseline written by a newer shrinkbench", async () => {
      await writeCurrent(489 * MB);
      await writeRecord(
        baselinePath,
        recordJson((d) => (d.schemaVersion = 7)),
      );
      const err = await rejection(run());
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(/schemaVersion: this record was written by a newer shrinkbench/);
    });

    it("a malformed baseline", async () => {
      await writeCurrent(489 * MB);
      await writeRecord(baselinePath, '{\n  "schema": "shrinkbench/run-record",\n');
      const err = await rejection(run());
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(new RegExp(`^${baselinePath}:3:1: malformed JSON`));
    });

    it("a missing baseline, with a hint to create one", async () => {
      await writeCurrent(489 * MB);
      const missing = join(dir, "nope.json");
      const err = await rejection(run({ baseline: missing }));
      expect(err.exitCode).toBe(2);
      expect(err.message).toBe(`${missing}: no such file (the baseline run record)`);
      expect(err.hint).toContain("--update-baseline");
    });

    it("a malformed current record", async () => {
      await writeRecord(
        currentPath,
        recordJson((d) => delete d.rungs),
      );
      const err = await rejection(run());
      expect(err.message).toBe(
        `${currentPath}: rungs: expected an array, got nothing (the field is missing)`,
      );
    });

    it("a bad budget flag, before any file is read", async () => {
      const err = await rejection(run({ current: join(dir, "absent.json"), maxSize: "300M" }));
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(/^--max-size: "300M" has an ambiguous unit/);
    });

    it("a bad budget in the config file", async () => {
      await writeCurrent(489 * MB);
      const config: Config = {
        ...noConfig,
        file: "shrinkbench.config.json",
        budgets: { "*": { maxLayers: -1 } },
      };
      const err = await rejection(run({ config }));
      expect(err.message).toMatch(/^shrinkbench.config.json: budgets\.\*\.maxLayers: /);
    });
  });

  describe("--update-baseline", () => {
    it("writes the current run as the new baseline and accepts its sizes", async () => {
      await writeCurrent(534 * MB);
      expect(await run({ maxGrowth: "5%", updateBaseline: true })).toBe(0);
      expect(out.join("")).toMatch(/^\*\*❌ shrinkbench check failed: slim grew/);
      expect(out.join("")).toContain(
        `- baseline updated: the current run was written to \`${baselinePath}\``,
      );
      expect(await readFile(baselinePath, "utf8")).toBe(await readFile(currentPath, "utf8"));
      expect(await readdir(join(dir, "results"))).toEqual(["baseline.json"]);

      out = [];
      expect(await run({ maxGrowth: "5%" })).toBe(0);
    });

    it("creates the first baseline when there is none", async () => {
      await writeCurrent(489 * MB);
      const first = join(dir, "new", "baseline.json");
      expect(await run({ baseline: first, updateBaseline: true })).toBe(0);
      expect(out.join("")).toBe(`No baseline at ${first}: wrote it with run cur.\n`);
      expect(await readFile(first, "utf8")).toBe(await readFile(currentPath, "utf8"));
    });

    it("replaces a baseline that is not a valid run record, saying why", async () => {
      await writeCurrent(489 * MB);
      await writeRecord(
        baselinePath,
        recordJson((d) => (d.schemaVersion = 0)),
      );
      expect(await run({ updateBaseline: true, format: "json" })).toBe(0);
      const data = JSON.parse(out.join("")) as Record<string, string>;
      expect(data).toMatchObject({ baselineUpdated: baselinePath, runId: "cur" });
      expect(data.note).toContain("schemaVersion: unsupported run record version 0");
      expect(await readFile(baselinePath, "utf8")).toBe(await readFile(currentPath, "utf8"));
    });

    it("refuses an interrupted run as the baseline", async () => {
      await writeCurrent(489 * MB, { interrupted: true });
      const before = await readFile(baselinePath, "utf8");
      const err = await rejection(run({ updateBaseline: true }));
      expect(err.message).toBe(
        `${currentPath}: this run was interrupted; it will not become the baseline`,
      );
      expect(await readFile(baselinePath, "utf8")).toBe(before);
    });
  });
});

describe("check --max-build-ratio-growth", () => {
  beforeEach(async () => {
    const base = makeRecord();
    // multi-stage built in 100 s where slim took 36.2 s: its ratio to slim went 1.00× → 2.76×
    await writeRecord(
      currentPath,
      makeRecord({
        runId: "cur",
        rungs: [base.rungs[0]!, base.rungs[1]!, { ...base.rungs[2]!, buildSeconds: 100 }],
      }),
    );
  });

  it("does not gate on build time unless asked", async () => {
    expect(await run()).toBe(0);
    expect(out.join("")).not.toMatch(/build time/);
  });

  it("fails a rung whose ratio to slim grew beyond the limit and the noise", async () => {
    expect(await run({ maxBuildRatioGrowth: ["20%"] })).toBe(1);
    const md = out.join("");
    expect(md).toMatch(/\| ❌ build time grew \|/);
    expect(md).toMatch(/1\.00× → 2\.76× slim's \(\+176%, over its 20\.0% budget, beyond the noise/);
    expect(md).toMatch(/one sample, ±50\.0% assumed/);
  });

  it("refuses a margin without a limit before reading any record", async () => {
    const err = await rejection(run({ buildRatioMargin: "10%", current: join(dir, "none.json") }));
    expect(err.message).toMatch(/--build-ratio-margin without --max-build-ratio-growth/);
  });
});
