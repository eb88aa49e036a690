// The timing flags of `run` (--reference-rung, --repeat), refused before the engine is touched.
import { describe, expect, it } from "vitest";
import { prepareRun } from "../../src/commands/run.js";
import { InputError } from "../../src/errors.js";
import { offlineRunOptions } from "../fixtures/run-options.js";

const opts = offlineRunOptions;

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
