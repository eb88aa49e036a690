// One clear error before the first build: a requirement no source has stops the run with exit 2
// (an InputError) naming the line, the sources tried and the versions that exist; no rung is
// built.
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/commands/run.js";
import { InputError } from "../../src/errors.js";
import { quietIO, runOptions } from "./helpers/run.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-precheck-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the pre-build resolve", () => {
  it("stops an impossible requirement with exit 2 before any rung builds", async () => {
    const req = join(dir, "requirements.txt");
    await writeFile(req, "six\nnumpy>=99\n");
    const t0 = performance.now();
    const run = runCommand(
      runOptions(join(dir, "out"), { requirements: req, rungs: ["slim", "slim-multistage"] }),
      quietIO({ env: { ...process.env, SHRINKBENCH_CACHE_DIR: join(dir, "cache") } }),
    );
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(
      /requirements\.txt:2: numpy>=99: no source has a matching distribution for numpy>=99; sources tried: .+; versions that exist there: (\d[^,]*, )*\d/,
    );
    // Seconds, not a ladder's worth of failed builds; and no record was written: nothing ran.
    expect((performance.now() - t0) / 1000).toBeLessThan(60);
    expect(existsSync(join(dir, "out"))).toBe(false);
  });
});
