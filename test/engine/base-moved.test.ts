// A base tag that moves between the baseline and the current run: `check` names the change,
// attributes the growth to the base, and the above-base budget passes where the total one fails.
// The moving tag is a test-only name: first the slim stand-in itself, then an image FROM it with
// one extra file. The shared stand-in is only tagged and untagged, never removed.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { checkCommand } from "../../src/commands/check.js";
import { pruneCacheRecords } from "../../src/docker/leftovers.js";
import { runCommand } from "../../src/commands/run.js";
import type { RunRecord } from "../../src/types.js";
import { buildImage, engine, newRunId, removeByLabel, RUN_LABEL, SLIM } from "./helpers/docker.js";
import { quietIO, runOptions } from "./helpers/run.js";

const docker = engine();
const testId = newRunId("base-moved");
const REPO = "shrinkbench-test/moving-base";
const TAG = testId;
const MOVING = `${REPO}:${TAG}`;
const EXTRA_BYTES = 6_000_000;
const runIds: string[] = [];
let dir: string;
let baseline: RunRecord;
let current: RunRecord;
let movedId: string;
let movedSince = 0;
let slimId: string;

async function run(name: string): Promise<RunRecord> {
  const outcome = await runCommand(
    runOptions(dir, {
      requirements: join(dir, "requirements.txt"),
      rungs: ["slim"],
      name,
      config: join(dir, "shrinkbench.config.json"),
      inspect: false,
    }),
    quietIO(),
  );
  runIds.push(outcome.record.runId);
  expect(outcome.exitCode, JSON.stringify(outcome.record.rungs)).toBe(0);
  return outcome.record;
}

async function check(flags: { maxGrowth?: string; maxGrowthAboveBase?: string }) {
  let text = "";
  const code = await checkCommand({
    baseline: join(dir, "baseline.json"),
    current: join(dir, "current.json"),
    format: "markdown",
    config: { bases: baseline.bases },
    env: {},
    stdout: (s) => (text += s),
    ...flags,
  });
  return { code, text };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-base-moved-"));
  await writeFile(join(dir, "requirements.txt"), "six\n");
  await writeFile(
    join(dir, "shrinkbench.config.json"),
    JSON.stringify({ bases: { slim: MOVING, full: "shrinkbench/python:3.11-full" } }),
  );
  slimId = (await docker.getImage(SLIM).inspect()).Id;
  await docker.getImage(SLIM).tag({ repo: REPO, tag: TAG });
  baseline = await run("baseline");

  // The tag moves: an image FROM the stand-in with one more file, under the same name.
  movedSince = Date.now() - 2000;
  movedId = await buildImage(docker, {
    dockerfile: `FROM ${SLIM}\nCOPY extra.bin /opt/extra.bin\n`,
    files: { "extra.bin": randomBytes(EXTRA_BYTES) },
    labels: { [RUN_LABEL]: testId },
    tag: MOVING,
  });
  current = await run("current");
}, 1_800_000);

afterAll(async () => {
  // Untag first: the first image under the test's name is the shared stand-in (untag only).
  await docker
    .getImage(MOVING)
    .remove({ noprune: true })
    .catch(() => undefined);
  for (const id of runIds) await removeByLabel(docker, id);
  await removeByLabel(docker, testId);
  // The moved base is the test's own, and so are BuildKit's records of it, which no run may
  // prune (a base's are the user's): its COPY's (the extra file's bytes) and the record a
  // build FROM it made ("from local").
  if (movedSince) {
    const df = (await docker.df()) as {
      BuildCache: { ID: string; Description: string; Size: number; CreatedAt: string }[];
    };
    await pruneCacheRecords(
      docker,
      df.BuildCache.filter(
        (r) =>
          Date.parse(r.CreatedAt) >= movedSince &&
          (r.Size === EXTRA_BYTES || r.Description.startsWith("from local")),
      ).map((r) => r.ID),
    );
  }
  if (dir) await rm(dir, { recursive: true, force: true });
  // The stand-in is still there, with its own tag.
  await docker.getImage(SLIM).inspect();
});

describe("a base tag that moved between the baseline and the current run", () => {
  it("is recorded by image id in each run", () => {
    expect(baseline.baseImages?.slim).toMatchObject({ ref: MOVING, id: slimId });
    expect(current.baseImages?.slim).toMatchObject({ ref: MOVING, id: movedId });
    expect(current.baseImages!.slim!.sizeBytes - baseline.baseImages!.slim!.sizeBytes).toBe(
      EXTRA_BYTES,
    );
  });

  it("is named by check with its share of the growth; the above-base budget passes, the total fails", async () => {
    const grew = current.rungs[0]!.image!.sizeBytes - baseline.rungs[0]!.image!.sizeBytes;
    expect(grew).toBeGreaterThanOrEqual(EXTRA_BYTES);
    const short = (id: string) => id.replace("sha256:", "").slice(0, 12);

    const total = await check({ maxGrowth: "1%" });
    expect(total.code, total.text).toBe(1);
    expect(total.text).toMatch(/grew \+6(\.\d+)?MB/);
    expect(total.text).toMatch(
      new RegExp(
        `base image changed \\(${short(slimId)} → ${short(movedId)}\\): \\+6(\\.\\d+)?MB of the \\+6(\\.\\d+)?MB`,
      ),
    );

    const above = await check({ maxGrowthAboveBase: "1%" });
    expect(above.code, above.text).toBe(0);
    expect(above.text).toContain(`base image changed (${short(slimId)} → ${short(movedId)})`);
    expect(above.text).toContain("+1% above base");

    // The record on disk is what check read.
    const onDisk = JSON.parse(await readFile(join(dir, "current.json"), "utf8")) as RunRecord;
    expect(onDisk.baseImages?.slim?.id).toBe(movedId);
  });
});
