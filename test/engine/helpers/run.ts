// Options and I/O for calling `run` in-process from an engine test: the CLI's defaults, quiet,
// JSON on stdout, everything under a test's own folder.
import { readFileSync } from "node:fs";
import type { RunIO, RunOptions } from "../../../src/commands/run.js";
import { BUILDERS, type Builder } from "../../../src/docker/engine.js";

/**
 * The builder the engine tests build with: SHRINKBENCH_TEST_BUILDER=buildkit|classic, BuildKit
 * when unset (what users get). Run a file under both:
 * `SHRINKBENCH_TEST_BUILDER=classic npx vitest run --project engine test/engine/run.test.ts`.
 */
export function testBuilder(env: NodeJS.ProcessEnv = process.env): Builder {
  const value = env.SHRINKBENCH_TEST_BUILDER ?? "buildkit";
  if (!BUILDERS.includes(value as Builder))
    throw new Error(`SHRINKBENCH_TEST_BUILDER=${value}: expected one of ${BUILDERS.join(", ")}`);
  return value as Builder;
}

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
    builder: testBuilder(),
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

/**
 * The modern ladder's rungs a run with the test builder SKIPs: under classic, those whose
 * `needs` is BuildKit (RUN --mount); none under BuildKit.
 */
export function buildKitOnlyRungs(): Set<string> {
  if (testBuilder() !== "classic") return new Set();
  const ladder = JSON.parse(readFileSync("variants/modern.json", "utf8")) as {
    rungs: { id: string; needs?: string }[];
  };
  return new Set(ladder.rungs.filter((r) => r.needs === "buildkit").map((r) => r.id));
}
