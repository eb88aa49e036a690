// Options and I/O for calling `run` in-process from an engine test: the CLI's defaults, quiet,
// JSON on stdout, everything under a test's own folder.
import type { RunIO, RunOptions } from "../../../src/commands/run.js";

export const SMALL_REQUIREMENTS = "test/fixtures/small/requirements.txt";

export function runOptions(out: string, overrides: Partial<RunOptions> = {}): RunOptions {
  return {
    requirements: SMALL_REQUIREMENTS,
    ladder: "modern",
    rungs: [],
    out,
    format: "json",
    extraIndexUrls: [],
    findLinks: [],
    noHostPipConfig: false,
    keepImages: false,
    concurrency: 1,
    buildTimeout: 900,
    smokeTimeout: 120,
    pullTimeout: 30,
    quiet: true,
    verbose: false,
    ...overrides,
  };
}

/** Prints nothing; pass `stderr` to watch progress lines. */
export function quietIO(overrides: Partial<RunIO> = {}): RunIO {
  return {
    stdout: () => undefined,
    stderr: () => undefined,
    isTTY: false,
    env: process.env,
    ...overrides,
  };
}
