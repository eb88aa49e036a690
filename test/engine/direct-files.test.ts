// Direct references to wheels, installed by real builds (issue 13): a wheel on disk named by a
// relative path and by a file:// URL, and a wheel behind basic auth on 127.0.0.1 named by
// `name @ http://user:token@…`. The package server serves all three; the import test finds
// each module; and no image holds the token or the host folder (docker save: layers and
// config; history; inspect).
import Docker from "dockerode";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/commands/run.js";
import { resolveEndpoint } from "../../src/docker/endpoint.js";
import type { RunRecord } from "../../src/types.js";
import { tinyWheel } from "../fixtures/tiny-wheel.js";
import { startPrivateFiles, type PrivateFiles } from "../helpers/private-files.js";
import { removeByLabel } from "./helpers/docker.js";
import { quietIO, runOptions } from "./helpers/run.js";
import { scanImage } from "./helpers/secret-scan.js";

const TOKEN = "wh33l-t0ken";
const docker = new Docker(resolveEndpoint(undefined).modem);
const byPath = tinyWheel("tiny-path", "1.0", 1);
const byFileUrl = tinyWheel("tiny-fileurl", "1.0", 2);
const remote = tinyWheel("tiny-remote", "2.0", 3);

let dir: string;
let upstream: PrivateFiles;
let record: RunRecord | undefined;
let exitCode = -1;
let printed = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-direct-files-"));
  await mkdir(join(dir, "proj", "wheels"), { recursive: true });
  await mkdir(join(dir, "elsewhere"));
  await writeFile(join(dir, "proj", "wheels", byPath.fileName), byPath.bytes);
  await writeFile(join(dir, "elsewhere", byFileUrl.fileName), byFileUrl.bytes);
  upstream = await startPrivateFiles(
    { user: "user", password: TOKEN },
    { [`/private/${remote.fileName}`]: remote.bytes },
  );
  const requirements = join(dir, "proj", "requirements.txt");
  await writeFile(
    requirements,
    [
      `./wheels/${byPath.fileName}`,
      `tiny-fileurl @ file://${join(dir, "elsewhere", byFileUrl.fileName)}`,
      `tiny-remote @ http://user:${TOKEN}@${upstream.hostPort}/private/${remote.fileName}#sha256=${remote.sha256}`,
      "",
    ].join("\n"),
  );
  const io = quietIO({
    stdout: (s) => void (printed += s),
    stderr: (s) => void (printed += s),
    env: { ...process.env, SHRINKBENCH_CACHE_DIR: join(dir, "cache") },
  });
  const outcome = await runCommand(
    runOptions(join(dir, "out"), {
      requirements,
      rungs: ["slim", "slim-multistage"],
      noHostPipConfig: true,
      keepImages: true,
      quiet: false,
      verbose: true,
    }),
    io,
  );
  record = outcome.record;
  exitCode = outcome.exitCode;
}, 1_200_000);

afterAll(async () => {
  if (record) await removeByLabel(docker, record.runId);
  await upstream?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("direct references to wheels", () => {
  it("installs a wheel by relative path, by file:// URL and by URL with credentials", () => {
    expect(exitCode, JSON.stringify(record?.rungs.map((r) => [r.rung, r.status, r.reason]))).toBe(
      0,
    );
    expect(record!.rungs.map((r) => [r.rung, r.status])).toEqual([
      ["slim", "PASS"],
      ["slim-multistage", "PASS"],
    ]);
    // The import test imported each wheel's module (names from the direct references).
    expect(record!.requirements.names).toEqual(["tiny-path", "tiny-fileurl", "tiny-remote"]);
    // The proxy fetched the private wheel with the credentials, once for the whole run.
    expect(upstream.log.filter((r) => r.authorization === upstream.authorization)).toHaveLength(1);
  });

  it("never puts the token or the host folder in an image (layers, config, history)", async () => {
    for (const r of record!.rungs) {
      const id = r.image!.id;
      const scan = await scanImage(docker, id, TOKEN);
      expect(scan.entries, r.rung).toBeGreaterThan(2);
      expect([scan.rawHits, scan.gzipHits], r.rung).toEqual([0, 0]);
      const folder = await scanImage(docker, id, dir);
      expect([folder.rawHits, folder.gzipHits], r.rung).toEqual([0, 0]);
      const history = JSON.stringify(await docker.getImage(id).history());
      const inspect = JSON.stringify(await docker.getImage(id).inspect());
      for (const text of [history, inspect]) {
        expect(text).not.toContain(TOKEN);
        expect(text).not.toContain(dir);
      }
    }
    expect(printed).not.toContain(TOKEN);
  });
});
