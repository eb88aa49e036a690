// Several engines in one run: a second dockerd of the test's own (its own data root, exec root,
// pidfile and socket, no bridge) with only the slim base image, loaded from the main engine
// by streaming `docker save` into `docker load`. Rungs go to the least-busy engine that has
// their base images; the record names the engine of every rung.
import Docker from "dockerode";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as cli } from "../../src/cli/main.js";
import { runCommand, type RunOptions } from "../../src/commands/run.js";
import { quietIO, runOptions } from "./helpers/run.js";
import { resolveEndpoint } from "../../src/docker/endpoint.js";
import type { RunRecord } from "../../src/types.js";
import { removeByLabel, SLIM } from "./helpers/docker.js";
import { copyImage, startOwnEngine, type OwnEngine } from "./helpers/dockerd.js";

const main = resolveEndpoint(undefined);
const mainDocker = new Docker(main.modem);
let own: OwnEngine;
let outDir: string;
let record: RunRecord;
let exitCode: number;

beforeAll(async () => {
  own = await startOwnEngine();
  await copyImage(mainDocker, own.docker, SLIM);
  outDir = await mkdtemp(join(tmpdir(), "shrinkbench-engines-"));
  const options: RunOptions = runOptions(outDir, {
    // The full rung can only run on the main engine: the second one has no full image.
    rungs: ["full", "slim", "slim-single-layer"],
    name: "engines",
    dockerHosts: [main.host, own.host],
    // Kept, so that `clean` with both hosts has something to remove on each.
    keepImages: true,
    pullTimeout: 10,
  });
  const io = quietIO();
  const outcome = await runCommand(options, io);
  record = outcome.record;
  exitCode = outcome.exitCode;
});

afterAll(async () => {
  if (record) {
    await removeByLabel(mainDocker, record.runId);
    if (own) await removeByLabel(own.docker, record.runId);
  }
  await own?.stop();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe("a ladder across two engines", () => {
  it("passes every rung", () => {
    expect(exitCode, JSON.stringify(record.rungs.map((r) => [r.rung, r.status, r.reason]))).toBe(0);
    expect(record.rungs.map((r) => [r.rung, r.status])).toEqual([
      ["full", "PASS"],
      ["slim", "PASS"],
      ["slim-single-layer", "PASS"],
    ]);
  });

  it("uses both engines, names each rung's engine, and sends a rung only where its base is", () => {
    const byRung = Object.fromEntries(record.rungs.map((r) => [r.rung, r.engine]));
    expect(new Set(Object.values(byRung))).toEqual(new Set([main.host, own.host]));
    expect(byRung.full).toBe(main.host);
    expect(record.engines?.map((e) => e.host)).toEqual([main.host, own.host]);
    expect(record.engine.host).toBe(main.host);
  });

  it("keeps each image on the engine that built it, and clean removes them from both", async () => {
    const filters = { label: [`org.shrinkbench.run=${record.runId}`] };
    // Which engine frees up first decides where the third rung goes: count from the record.
    const on = (host: string) => record.rungs.filter((r) => r.engine === host).length;
    expect((await mainDocker.listImages({ filters })).length).toBe(on(main.host));
    expect((await own.docker.listImages({ filters })).length).toBe(on(own.host));
    let printed = "";
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => ((printed += s), true)) as typeof process.stdout.write;
    let code: number;
    try {
      code = await cli([
        "clean",
        "--run",
        record.runId,
        "--docker-host",
        main.host,
        "--docker-host",
        own.host,
      ]);
    } finally {
      process.stdout.write = write;
    }
    expect(code).toBe(0);
    expect(printed).toContain(
      `${main.host}: run ${record.runId}: removed ${on(main.host)} image(s)`,
    );
    expect(printed).toContain(`${own.host}: run ${record.runId}: removed ${on(own.host)} image(s)`);
    for (const d of [mainDocker, own.docker]) {
      expect(await d.listContainers({ all: true, filters })).toEqual([]);
      expect(await d.listImages({ filters })).toEqual([]);
    }
  });
});
