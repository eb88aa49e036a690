// The timing flags of `run` (--reference-rung, --repeat), refused before the engine is touched.
import { describe, expect, it } from "vitest";
import { prepareRun, type RunOptions } from "../../src/commands/run.js";
import { InputError } from "../../src/errors.js";

const opts = (over: Partial<RunOptions>): RunOptions => ({
  requirements: "test/fixtures/small/requirements.txt",
  ladder: "modern",
  rungs: [],
  out: "unused",
  format: "json",
  extraIndexUrls: [],
  findLinks: [],
  noHostPipConfig: true,
  keepImages: false,
  concurrency: 1,
  buildTimeout: 1,
  smokeTimeout: 1,
  pullTimeout: 1,
  quiet: true,
  verbose: false,
  ...over,
});

describe("--reference-rung", () => {
  it("must name a rung of the run", async () => {
    const p = prepareRun(opts({ referenceRung: "nope" }));
    await expect(p).rejects.toThrow(InputError);
    await expect(p).rejects.toThrow("--reference-rung nope: not a rung of this run");
    await expect(prepareRun(opts({ referenceRung: "full" }))).resolves.toBeDefined();
  });
});

describe("--repeat", () => {
  it("must be a whole number of at least 1", async () => {
    for (const repeat of [0, 1.5, -2]) {
      await expect(prepareRun(opts({ repeat }))).rejects.toThrow(
        `--repeat ${repeat}: expected a whole number of at least 1`,
      );
    }
    await expect(prepareRun(opts({ repeat: 3 }))).resolves.toBeDefined();
  });
});
