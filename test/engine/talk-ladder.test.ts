// The talk's first rungs need the project folder: without .dockerignore everything goes into
// the image, with it the ignored folders stay out. Its alpine rungs need a base image that
// cannot be had here: they are SKIPPED with that reason, and the ladder goes on.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand, type RunOptions } from "../../src/commands/run.js";
import { quietIO, runOptions } from "./helpers/run.js";
import { DockerEngine } from "../../src/docker/docker-engine.js";
import { resolveEndpoint } from "../../src/docker/endpoint.js";

const engine = new DockerEngine(resolveEndpoint(undefined));
const io = quietIO();
const JUNK = 5_000_000;
let dir: string;
let app: string;
const runIds: string[] = [];

function options(overrides: Partial<RunOptions>): RunOptions {
  return runOptions(dir, {
    ladder: "talk-2020",
    rungs: ["full-no-dockerignore", "full", "alpine"],
    buildTimeout: 600,
    pullTimeout: 10,
    inspect: false,
    ...overrides,
  });
}

beforeAll(async () => {
  await engine.info();
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-talk-"));
  app = join(dir, "project");
  await mkdir(join(app, ".git"), { recursive: true });
  await mkdir(join(app, "data"), { recursive: true });
  await writeFile(join(app, "app.py"), "print('hello')\n");
  // What a real project folder carries and an image should not: history and data.
  await writeFile(join(app, ".git", "pack"), Buffer.alloc(JUNK, 1));
  await writeFile(join(app, "data", "big.csv"), Buffer.alloc(JUNK, 2));
  await writeFile(join(app, ".dockerignore"), ".git\ndata/\n");
});

afterAll(async () => {
  for (const id of runIds)
    await engine.removeLeftovers({ runId: id }, { images: true, cache: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the talk-2020 ladder", () => {
  it("measures the .dockerignore rungs with --app, and skips alpine for want of a base", async () => {
    const outcome = await runCommand(options({ app, name: "with-app" }), io);
    runIds.push(outcome.record.runId);
    const [raw, ignored, alpine] = outcome.record.rungs;
    expect(raw!.status, raw!.reason).toBe("PASS");
    expect(ignored!.status, ignored!.reason).toBe("PASS");
    // The ignored folders cost their bytes twice over: in the context and in the image.
    expect(raw!.contextBytes! - ignored!.contextBytes!).toBeGreaterThan(2 * JUNK);
    const grew = raw!.image!.sizeBytes - ignored!.image!.sizeBytes;
    expect(grew).toBeGreaterThanOrEqual(2 * JUNK);
    expect(grew).toBeLessThan(2 * JUNK + 100_000);
    expect(alpine!.status).toBe("SKIPPED");
    expect(alpine!.reason).toMatch(/base image unavailable: alpine/);
    // A skipped rung is not a failure.
    expect(outcome.exitCode).toBe(0);
  });

  it("skips the .dockerignore rungs without --app, saying why", async () => {
    const outcome = await runCommand(
      options({ rungs: ["full-no-dockerignore", "full"], name: "no-app" }),
      io,
    );
    runIds.push(outcome.record.runId);
    for (const r of outcome.record.rungs) {
      expect(r.status).toBe("SKIPPED");
      expect(r.reason).toMatch(/--app DIR/);
    }
  });
});
