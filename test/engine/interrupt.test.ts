// Ctrl-C and SIGTERM on a real run: the build in progress stops, nothing the run created is
// left behind, what was measured is written, and the exit code says how it ended.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveEndpoint } from "../../src/docker/endpoint.js";
import { RUN_LABEL } from "../../src/ladder/plan.js";
import { parseRunRecord } from "../../src/results/record.js";
import { removeByLabel } from "./helpers/docker.js";

const docker = new Docker(resolveEndpoint(undefined).modem);
let dir: string;

beforeAll(async () => {
  await docker.version();
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-interrupt-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; at: number }>;
}

function start(name: string): Started {
  // The full rung's install takes long enough to be interrupted in the middle of its build.
  const child = spawn(
    process.execPath,
    [
      "dist/bin.js",
      "run",
      "test/fixtures/small/requirements.txt",
      "-r",
      "full",
      "-r",
      "slim",
      "--out",
      dir,
      "--name",
      name,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let err = "";
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  child.stdout!.resume();
  // A process that dies of SIGINT reports signal SIGINT, which a shell shows as 130 too.
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on("exit", (code, signal) =>
      resolve({
        code: code ?? (signal ? 128 + (signal === "SIGINT" ? 2 : 15) : null),
        at: Date.now(),
      }),
    ),
  );
  return { child, stderr: () => err, exited };
}

async function waitFor(started: Started, pattern: RegExp, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pattern.test(started.stderr())) {
    if (Date.now() > until) throw new Error(`never saw ${pattern}; stderr:\n${started.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function leftovers(runId: string): Promise<{ containers: number; images: number }> {
  const filters = { label: [`${RUN_LABEL}=${runId}`] };
  const containers = await docker.listContainers({ all: true, filters });
  // all: the untagged images of a build's steps too.
  const images = await docker.listImages({ all: true, filters });
  return { containers: containers.length, images: images.length };
}

describe("interrupting a run", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "%s stops the build, cleans up, writes the partial record, exits %i",
    async (signal, expected) => {
      const name = `interrupted-${signal}`;
      const run = start(name);
      await waitFor(run, /full: building step [3-9]/);
      const sentAt = Date.now();
      run.child.kill(signal);
      const { code, at } = await run.exited;
      expect(code).toBe(expected);
      expect(at - sentAt).toBeLessThan(30_000);

      const record = parseRunRecord(await readFile(join(dir, `${name}.json`), "utf8"), name);
      expect(record.interrupted).toBe(true);
      expect(record.rungs.map((r) => r.rung)).toEqual(["full", "slim"]);
      expect(record.rungs[0]!.status).toBe("FAILED");
      expect(record.rungs[0]!.reason).toMatch(/interrupted/);
      expect(record.rungs[1]!.status).toBe("SKIPPED");
      expect(await leftovers(record.runId)).toEqual({ containers: 0, images: 0 });
      // The build's own intermediate container goes too. It carries the run label (every stage
      // labels its first step), so only this run's objects are counted: other users of the
      // engine come and go meanwhile.
      await new Promise((r) => setTimeout(r, 2000));
      expect(await leftovers(record.runId)).toEqual({ containers: 0, images: 0 });
    },
  );

  it("a second Ctrl-C exits at once", async () => {
    const run = start("double");
    await waitFor(run, /full: building/);
    run.child.kill("SIGINT");
    await waitFor(run, /Ctrl-C again/);
    const sentAt = Date.now();
    run.child.kill("SIGINT");
    const { code, at } = await run.exited;
    expect(code).toBe(130);
    expect(at - sentAt).toBeLessThan(2000);
    // Whatever the first interrupt had not finished cleaning is still labelled: clean it.
    const record = JSON.parse(await readFile(join(dir, "double.json"), "utf8").catch(() => "{}"));
    if (record.runId) await removeByLabel(docker, record.runId);
  });
});
