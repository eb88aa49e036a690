// No secret in an image (issue 5, item 5): a run whose index URL carries credentials, served by
// a stand-in private index on 127.0.0.1 that requires them. Every rung image is searched for
// the token: the whole `docker save` stream (gzip layers unpacked too), `docker history
// --no-trunc`, the image config, and the run's results, logs and output.
import Docker from "dockerode";
import { readFile, rm, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand, type RunOptions } from "../../src/commands/run.js";
import { resolveEndpoint } from "../../src/docker/endpoint.js";
import type { RunRecord } from "../../src/types.js";
import { startFakeIndex, type FakeIndex } from "../helpers/fake-index.js";
import { removeByLabel } from "./helpers/docker.js";
import { filesUnder, scanImage, tokenScanner } from "./helpers/secret-scan.js";

const TOKEN = "s3cr3t-token";
const docker = new Docker(resolveEndpoint(undefined).modem);

let upstream: FakeIndex;
let outDir: string;
let record: RunRecord;
let exitCode: number;
let printed = "";

beforeAll(async () => {
  upstream = await startFakeIndex({ root: "/opt/pypi", auth: { user: "user", password: TOKEN } });
  outDir = await mkdtemp(join(tmpdir(), "shrinkbench-secrets-"));
  const options: RunOptions = {
    requirements: "test/fixtures/small/requirements.txt",
    ladder: "modern",
    rungs: ["slim", "slim-multistage", "slim-squash"],
    out: outDir,
    name: "secrets",
    format: "json",
    indexUrl: `http://user:${TOKEN}@${upstream.origin.slice("http://".length)}/simple/`,
    extraIndexUrls: [],
    findLinks: [],
    noHostPipConfig: true,
    keepImages: true,
    concurrency: 1,
    buildTimeout: 900,
    smokeTimeout: 120,
    pullTimeout: 30,
    quiet: false,
    verbose: true,
  };
  const io = {
    stdout: (s: string) => void (printed += s),
    stderr: (s: string) => void (printed += s),
    isTTY: false,
    env: process.env,
  };
  const outcome = await runCommand(options, io);
  record = outcome.record;
  exitCode = outcome.exitCode;
});

afterAll(async () => {
  if (record) await removeByLabel(docker, record.runId);
  await upstream?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe("an index URL with credentials", () => {
  it("(the scanner finds the token across chunk boundaries)", () => {
    const s = tokenScanner(TOKEN);
    for (const part of ["xx s3cr", "3t-to", "ken yy s3cr3t-token"]) s.push(Buffer.from(part));
    expect(s.hits).toBe(2);
  });

  it("the run passes, installing from the private index through the proxy", () => {
    expect(exitCode, JSON.stringify(record.rungs.map((r) => [r.rung, r.status, r.reason]))).toBe(0);
    expect(record.rungs.map((r) => [r.rung, r.status])).toEqual([
      ["slim", "PASS"],
      ["slim-squash", "PASS"],
      ["slim-multistage", "PASS"],
    ]);
    // The upstream really was used, always with the credentials, and each file fetched once.
    expect(upstream.fileRequests()).toBeGreaterThanOrEqual(4);
    const files = [...upstream.counts].filter(([p]) => p.startsWith("/packages/"));
    expect(
      files.every(([, n]) => n === 1),
      JSON.stringify(files),
    ).toBe(true);
    expect(upstream.log.every((r) => r.authorization?.startsWith("Basic "))).toBe(true);
    expect(record.packageServer?.downloads).toBe(files.length);
    expect(record.sources.indexUrl).toBe(`http://user:***@${upstream.origin.slice(7)}/simple/`);
  });

  it("never appears in any layer of any rung image (docker save, gzip layers unpacked)", async () => {
    for (const r of record.rungs) {
      const found = await scanImage(docker, r.image!.id, TOKEN);
      expect(found.entries, r.rung).toBeGreaterThan(2);
      expect({ rung: r.rung, raw: found.rawHits, gzip: found.gzipHits }).toEqual({
        rung: r.rung,
        raw: 0,
        gzip: 0,
      });
    }
  });

  it("never appears in the image config or docker history --no-trunc", async () => {
    for (const r of record.rungs) {
      const image = docker.getImage(r.image!.id);
      const config = JSON.stringify(await image.inspect());
      const history = JSON.stringify(await image.history());
      expect(config, r.rung).not.toContain(TOKEN);
      expect(history, r.rung).not.toContain(TOKEN);
      // What the builds were given instead: the run's loopback server (the multi-stage image
      // keeps no builder step in its history, the squashed one no step at all).
      if (r.rung === "slim")
        expect(history, r.rung).toMatch(/PIP_INDEX_URL=http:\/\/127\.0\.0\.1:\d+\/r0\/simple\//);
    }
  });

  it("never appears in the results, the logs or the output (shown masked)", async () => {
    const files = await filesUnder(outDir);
    expect(files.some((f) => f.endsWith(".log"))).toBe(true);
    for (const f of files) expect(await readFile(f, "utf8"), f).not.toContain(TOKEN);
    expect(printed).not.toContain(TOKEN);
    expect(printed.length).toBeGreaterThan(0);
  });
});
