// `shrinkbench merge` on files: the merged record is written as `run` writes one (JSON, markdown,
// chart, HTML, the rungs' logs beside it), and `report` and `check` accept it; refusals exit 2.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";
import { checkCommand } from "../../src/commands/check.js";
import { mergeCommand } from "../../src/commands/merge.js";
import { reportCommand } from "../../src/commands/report.js";
import { readRunRecord, writeRunRecord } from "../../src/results/record.js";
import type { RunRecord } from "../../src/types.js";
import { makeRecord, makeRung, MB } from "../fixtures/records.js";

let dir: string;

const SPLIT = [["full"], ["slim"]];

function shardRecord(k: number): RunRecord {
  const id = SPLIT[k - 1]![0]!;
  return makeRecord({
    runId: `run-${k}`,
    rungs: [
      makeRung(id, {
        base: id === "full" ? "full" : "slim",
        size: (id === "full" ? 1_200 : 480) * MB,
        logFile: `shard-${k}/logs/${id}.log`,
      }),
    ],
    shard: {
      index: k,
      count: 2,
      ladderRungs: ["full", "slim"],
      ladderHash: "sha256:abc",
      rungs: [id],
      split: SPLIT,
      weights: "estimate",
    },
  });
}

async function writeShard(k: number, folder = join(dir, "shards")): Promise<string> {
  const record = shardRecord(k);
  const file = join(folder, `shard-${k}.json`);
  await writeRunRecord(file, record);
  const log = join(folder, record.rungs[0]!.logFile!);
  await mkdir(join(log, ".."), { recursive: true });
  await writeFile(log, `build log of shard ${k}\n`);
  return file;
}

const quiet = { stdout: () => undefined, stderr: () => undefined, env: {} };

async function cli(...args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  const e = vi
    .spyOn(process.stderr, "write")
    .mockImplementation((s) => ((stderr += String(s)), true));
  try {
    return { code: await main(args), stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-merge-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("merge command", () => {
  it("writes one record, its report files and the shards' logs; report and check accept it", async () => {
    const files = [await writeShard(1), await writeShard(2)];
    const out = join(dir, "merged");
    let table = "";
    const result = await mergeCommand(
      { files, out, name: "current", format: "table", allowPartial: false },
      { ...quiet, stdout: (s) => (table += s) },
    );
    expect(result.exitCode).toBe(0);
    expect(table).toMatch(/full/);
    expect(table).toMatch(/slim/);
    for (const f of Object.values(result.files)) expect(existsSync(f), f).toBe(true);
    const record = await readRunRecord(join(out, "current.json"));
    expect(record.rungs.map((r) => [r.rung, r.status])).toEqual([
      ["full", "PASS"],
      ["slim", "PASS"],
    ]);
    expect(record.rungs[1]!.logFile).toBe(join("current", "logs", "slim.log"));
    expect(await readFile(join(out, record.rungs[1]!.logFile!), "utf8")).toBe(
      "build log of shard 2\n",
    );
    expect(await readFile(join(out, "current.md"), "utf8")).toMatch(/merged from 2 of 2 shards/);

    let report = "";
    await reportCommand(
      { file: join(out, "current.json"), format: "markdown" },
      { stdout: (s) => (report += s), stderr: () => undefined },
    );
    expect(report).toMatch(/slim/);
    const code = await checkCommand({
      baseline: join(out, "current.json"),
      current: join(out, "current.json"),
      format: "markdown",
      maxGrowth: "1%",
      env: {},
      stdout: () => undefined,
    });
    expect(code).toBe(0);
  });

  it("drops a log link when the shard's log was not kept", async () => {
    const folder = join(dir, "json-only");
    const file = await writeShard(1, folder);
    await rm(join(folder, "shard-1"), { recursive: true });
    const other = await writeShard(2, folder);
    const result = await mergeCommand(
      { files: [file, other], out: folder, name: "m", format: "json", allowPartial: false },
      quiet,
    );
    expect(result.record.rungs[0]!.logFile).toBeUndefined();
    expect(result.record.rungs[1]!.logFile).toBe(join("m", "logs", "slim.log"));
  });

  it("never overwrites one of its inputs", async () => {
    const folder = join(dir, "clobber");
    const files = [await writeShard(1, folder), await writeShard(2, folder)];
    await expect(
      mergeCommand(
        { files, out: folder, name: "shard-1", format: "json", allowPartial: false },
        quiet,
      ),
    ).rejects.toThrow(/would overwrite its input/);
  });

  it("exits 1 when a merged rung FAILED, as run would", async () => {
    const folder = join(dir, "failed");
    const a = await writeShard(1, folder);
    const failed = shardRecord(2);
    failed.rungs[0] = { ...failed.rungs[0]!, status: "FAILED", reason: "pip failed" };
    const b = await writeShard(2, folder);
    await writeRunRecord(b, failed);
    const result = await mergeCommand(
      { files: [a, b], out: folder, name: "m", format: "json", allowPartial: false },
      quiet,
    );
    expect(result.exitCode).toBe(1);
    // The merged HTML report links the failed rung's log, carried over from its shard.
    expect(await readFile(join(folder, "m.html"), "utf8")).toMatch(/m\/logs\/slim\.log/);
    expect(existsSync(join(folder, "m", "logs", "slim.log"))).toBe(true);
  });
});

describe("merge on the command line", () => {
  it("refuses a missing shard with exit 2, naming it; --allow-partial merges with a warning", async () => {
    const folder = join(dir, "cli");
    const one = await writeShard(1, folder);
    const refused = await cli("merge", one, "--out", folder);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/shard 2\/2 is missing \(its rungs: slim\)/);
    expect(refused.stderr).toMatch(/hint: .*--allow-partial/);
    const partial = await cli("merge", one, "--out", folder, "--name", "p", "--allow-partial");
    expect(partial.code).toBe(0);
    expect(partial.stderr).toMatch(/warning: shard 2\/2 is missing/);
  });

  it("refuses records of different requirement sets with exit 2", async () => {
    const folder = join(dir, "cli-req");
    const one = await writeShard(1, folder);
    const other = shardRecord(2);
    other.requirements.hash = "sha256:9999";
    const two = join(folder, "shard-2.json");
    await writeRunRecord(two, other);
    const r = await cli("merge", one, two, "--out", folder);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/requirement sets differ/);
  });

  it("run --shard with a bad K/N exits 2 before any engine", async () => {
    const r = await cli(
      "run",
      "test/fixtures/small/requirements.txt",
      "--shard",
      "5/4",
      "--docker-host",
      "unix:///nonexistent/shrinkbench-test.sock",
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shard 5\/4: K must be between 1 and 4/);
  });
});
