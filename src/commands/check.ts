// `shrinkbench check`: compare a run record with a baseline record against size and waste
// budgets (waste: --max-wasted, --max-wasted-percent, --min-efficiency, dive's .dive-ci); print
// a markdown or JSON report; exit 0 within budget, 1 when a budget is exceeded or a rung newly
// fails. Bad input (a missing or malformed record, a bad budget) throws an InputError (exit 2).

import { existsSync } from "node:fs";
import { appendFile } from "node:fs/promises";

import {
  budgetsFromConfig,
  budgetsFromFlags,
  budgetsFromRulesFile,
  type BudgetFlags,
  type Budgets,
} from "../results/budget.js";
import { renderCheckJson, renderCheckMarkdown } from "../report/check.js";
import { compareRuns, type CheckReport } from "../results/compare.js";
import { CONFIG_FILE, loadConfig, type Config } from "../config.js";
import { EXIT, InputError } from "../errors.js";
import { loadDiveCi } from "../results/dive-ci.js";
import { readRunRecord, writeRunRecord } from "../results/record.js";
import { timeGateFromFlags, type TimeGateFlags } from "../results/time-gate.js";
import type { RunRecord } from "../types.js";
import { timesMeasured } from "../run/sizes-only.js";
import { runCommand, type RunIO, type RunOptions } from "./run.js";

export interface CheckOptions extends BudgetFlags, TimeGateFlags {
  /** The baseline run record. May be absent only with updateBaseline (the first baseline). */
  baseline: string;
  /** The run record to check. */
  current: string;
  format: "markdown" | "json";
  /** Write the current run as the new baseline (atomically), accepting its sizes. */
  updateBaseline?: boolean;
  /**
   * The project config: a path (must exist), an already loaded Config, or absent for
   * shrinkbench.config.json in the working directory when there is one.
   */
  config?: string | Config;
  /** dive's .dive-ci rules file: its waste rules apply to every rung, below the flags. */
  ciConfig?: string;
  env?: NodeJS.ProcessEnv;
  stdout: (s: string) => void;
}

async function loadBudgets(opts: CheckOptions): Promise<Budgets> {
  // Flags first: a bad flag is reported before any file is read.
  const flags = budgetsFromFlags(opts);
  const config = typeof opts.config === "object" ? opts.config : await loadConfig(opts.config);
  const fromConfig = budgetsFromConfig(config.budgets, config.file ?? CONFIG_FILE);
  const fromRules = opts.ciConfig
    ? budgetsFromRulesFile((await loadDiveCi(opts.ciConfig)).limits, `--ci-config ${opts.ciConfig}`)
    : [];
  // Within the flags' level the last given wins: the rules file before the flags.
  return [...fromRules, ...flags, ...fromConfig];
}

/** Runs the check and returns the exit code: 0 within budget, 1 a budget exceeded. */
export async function checkCommand(opts: CheckOptions): Promise<number> {
  const env = opts.env ?? process.env;
  const timeGate = timeGateFromFlags(opts);
  const budgets = await loadBudgets(opts);
  const current = await readRunRecord(opts.current);

  if (opts.updateBaseline && current.interrupted) {
    throw new InputError(
      `${opts.current}: this run was interrupted; it will not become the baseline`,
      "run the whole ladder, then update the baseline",
    );
  }

  if (!existsSync(opts.baseline) && !opts.updateBaseline) {
    throw new InputError(
      `${opts.baseline}: no such file (the baseline run record)`,
      `check the path, or make this run the first baseline: shrinkbench check --baseline ` +
        `${opts.baseline} --current ${opts.current} --update-baseline`,
    );
  }
  let baseline: RunRecord;
  try {
    baseline = await readRunRecord(opts.baseline);
  } catch (err) {
    if (!(opts.updateBaseline && err instanceof InputError)) throw err;
    // No baseline yet, or one that is not a valid record: nothing to compare with; replace it.
    const why = existsSync(opts.baseline)
      ? `The baseline was not a valid run record (${err.message}): replaced it`
      : `No baseline at ${opts.baseline}: wrote it`;
    await writeRunRecord(opts.baseline, current);
    const text = `${why} with run ${current.runId}.\n`;
    opts.stdout(
      opts.format === "json"
        ? JSON.stringify(
            { baselineUpdated: opts.baseline, runId: current.runId, note: why },
            null,
            2,
          ) + "\n"
        : text,
    );
    await appendStepSummary(env, text);
    return EXIT.ok;
  }

  const report: CheckReport = compareRuns(baseline, current, budgets, {
    baselineFile: opts.baseline,
    currentFile: opts.current,
    ...(timeGate ? { timeGate } : {}),
  });
  let exitCode: number = report.exitCode;
  if (opts.updateBaseline) {
    await writeRunRecord(opts.baseline, current);
    report.baselineUpdated = opts.baseline;
    // Updating the baseline accepts the current sizes: that is what the user asked for.
    exitCode = EXIT.ok;
  }

  const markdown = renderCheckMarkdown(report) + sizesOnlyNote(current);
  opts.stdout(opts.format === "json" ? renderCheckJson(report) : markdown);
  await appendStepSummary(env, markdown);
  return exitCode;
}

/**
 * `check REQUIREMENTS` without --current: run the ladder first (with `run`'s flags, quietly),
 * then check the record it wrote. An interrupted run is not checked: its exit code is returned.
 */
export async function runThenCheck(
  run: RunOptions,
  check: Omit<CheckOptions, "current" | "stdout">,
  io: RunIO,
): Promise<number> {
  if (run.sizesOnly && check.maxBuildRatioGrowth !== undefined && check.maxBuildRatioGrowth.length)
    throw new InputError(
      "--sizes-only with --max-build-ratio-growth: a sizes-only run measures no build time",
      "gate build time on a cold run (drop --sizes-only), or drop --max-build-ratio-growth",
    );
  const outcome = await runCommand(
    { ...run, format: "table", quiet: true },
    { ...io, stdout: () => undefined },
  );
  if (outcome.record.interrupted) return outcome.exitCode;
  return checkCommand({ ...check, current: outcome.files.json, stdout: io.stdout });
}

/** A sizes-only record holds no time: nothing about time is judged from it (run/sizes-only.ts). */
function sizesOnlyNote(current: RunRecord): string {
  return timesMeasured(current)
    ? ""
    : "\n_Sizes only (`--sizes-only`): cached builds, two at a time; no time was measured._\n";
}

/** Appends to the file named by GITHUB_STEP_SUMMARY, when it is set. */
async function appendStepSummary(env: NodeJS.ProcessEnv, markdown: string): Promise<void> {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  try {
    await appendFile(file, markdown + "\n", "utf8");
  } catch (err) {
    throw new InputError(
      `GITHUB_STEP_SUMMARY: cannot append to ${file}: ${(err as Error).message}`,
      "unset GITHUB_STEP_SUMMARY outside GitHub Actions",
    );
  }
}
