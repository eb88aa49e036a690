import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { InputError } from "../../src/errors.js";
import {
  parseRunRecord,
  readRunRecord,
  recordFileName,
  serializeRunRecord,
  writeFileAtomic,
  writeRunRecord,
} from "../../src/results/record.js";
import { makeRecord, makeRung, recordJson } from "../fixtures/records.js";

const FILE = "results/baseline.json";

type Obj = Record<string, unknown>;
const rung = (d: Obj, i: number): Obj => (d.rungs as Obj[])[i] as Obj;

function parseError(json: string): InputError {
  try {
    parseRunRecord(json, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error("expected parseRunRecord to throw");
}

describe("parseRunRecord", () => {
  it("accepts a valid record and returns it unchanged", () => {
    const record = makeRecord();
    expect(parseRunRecord(serializeRunRecord(record), FILE)).toEqual(record);
  });

  it("accepts optional rung fields left out, and a rung without an image", () => {
    const record = makeRecord({
      rungs: [
        makeRung("alpine", { status: "SKIPPED", reason: "base image unavailable", image: null }),
      ],
    });
    delete record.rungs[0]!.smoke;
    delete record.rungs[0]!.buildSeconds;
    expect(parseRunRecord(JSON.stringify(record), FILE).rungs[0]!.image).toBeUndefined();
  });

  it("keeps every timing sample, and names a bad one", () => {
    const record = makeRecord({ repeat: 3, referenceRung: "slim" });
    Object.assign(record.rungs[0]!, {
      buildSamples: [30, 31, 33],
      postSamples: [1, 1, 2],
      buildRatioSamples: [1, 1, 1],
      buildRatio: 1,
      busy: "load 4.0 on 2 CPUs",
      buildLoad: [{ loadBefore: 4, loadAfter: 3.5, cpus: 2, concurrentBuilds: 0, engineCpu: 0.9 }],
    });
    record.rungs[0]!.smoke!.importSamples = [1.1, 1.2, 1.3];
    expect(parseRunRecord(serializeRunRecord(record), FILE)).toEqual(record);
    const bad = recordJson((d) => {
      rung(d, 1).buildSamples = [30, "31"];
    });
    expect(parseError(bad).message).toContain("rungs[1].buildSamples[1]: expected a number");
    const badLoad = recordJson((d) => {
      rung(d, 0).buildLoad = [{ loadBefore: 1 }];
    });
    expect(parseError(badLoad).message).toContain("rungs[0].buildLoad[0].loadAfter");
    const badRepeat = recordJson((d) => {
      d.repeat = 0;
    });
    expect(parseError(badRepeat).message).toContain("repeat: expected a number of at least 1");
  });

  it("keeps the base images' digests, and still reads records written without them", () => {
    const baseImages = {
      slim: {
        ref: "python:3.11-slim",
        id: `sha256:${"a".repeat(64)}`,
        repoDigest: `python@sha256:${"b".repeat(64)}`,
        sizeBytes: 130_000_000,
      },
      full: { ref: "shrinkbench/python:3.11-full", id: `sha256:${"c".repeat(64)}`, sizeBytes: 1 },
    };
    const record = makeRecord({ baseImages });
    expect(parseRunRecord(serializeRunRecord(record), FILE).baseImages).toEqual(baseImages);
    expect(parseRunRecord(serializeRunRecord(makeRecord()), FILE).baseImages).toBeUndefined();
    const bad = (mutate: (d: Obj) => void) =>
      parseError(recordJson(mutate, record)).message;
    expect(bad((d) => ((d.baseImages as Obj).tiny = (d.baseImages as Obj).slim))).toContain(
      "baseImages.tiny: unknown base role",
    );
    expect(bad((d) => (((d.baseImages as Obj).slim as Obj).sizeBytes = "130MB"))).toContain(
      "baseImages.slim.sizeBytes",
    );
    expect(bad((d) => delete ((d.baseImages as Obj).full as Obj).id)).toContain(
      "baseImages.full.id",
    );
  });

  it("ignores fields it does not know", () => {
    const json = recordJson((d) => {
      d.futureField = { anything: 1 };
    });
    expect(() => parseRunRecord(json, FILE)).not.toThrow();
  });

  it("names the file and the JSON path of a wrongly typed rung field", () => {
    const err = parseError(
      recordJson((d) => {
        (rung(d, 2).image as Obj).sizeBytes = "12";
      }),
    );
    expect(err.message).toBe(
      'results/baseline.json: rungs[2].image.sizeBytes: expected a number, got "12"',
    );
    expect(err.hint).toMatch(/shrinkbench run/);
    expect(err.exitCode).toBe(2);
  });

  it.each<[string, (d: Obj) => void, string]>([
    ["runId missing", (d) => delete d.runId, "runId: expected a string, got nothing"],
    ["tool.name", (d) => ((d.tool as Obj).name = "other"), 'tool.name: expected "shrinkbench"'],
    ["ladder.name", (d) => ((d.ladder as Obj).name = 3), "ladder.name: expected a string, got 3"],
    [
      "requirements.names item",
      (d) => ((d.requirements as Obj).names = ["numpy", 7]),
      "requirements.names[1]: expected a string, got 7",
    ],
    [
      "sources.findLinks",
      (d) => ((d.sources as Obj).findLinks = "x"),
      'sources.findLinks: expected an array of strings, got "x"',
    ],
    ["bases.alpine", (d) => delete (d.bases as Obj).alpine, "bases.alpine: expected a string"],
    ["engine", (d) => (d.engine = null), "engine: expected an object, got null"],
    ["startedAt", (d) => (d.startedAt = "yesterday"), "startedAt: expected an ISO 8601 timestamp"],
    ["interrupted", (d) => (d.interrupted = "no"), 'interrupted: expected true or false, got "no"'],
    ["rungs", (d) => (d.rungs = {}), "rungs: expected an array, got an object"],
    ["rung item", (d) => ((d.rungs as unknown[])[1] = 5), "rungs[1]: expected an object, got 5"],
    ["rung id", (d) => (rung(d, 0).rung = ""), "rungs[0].rung: expected a non-empty string"],
    [
      "duplicate rung id",
      (d) => (rung(d, 2).rung = "full"),
      'rungs[2].rung: duplicate rung id "full" (also rungs[0])',
    ],
    ["rung base", (d) => (rung(d, 1).base = "tiny"), 'rungs[1].base: expected one of "full"'],
    ["rung status", (d) => (rung(d, 1).status = "pass"), 'rungs[1].status: expected one of "PASS"'],
    ["rung reason", (d) => (rung(d, 1).reason = 1), "rungs[1].reason: expected a string, got 1"],
    [
      "image layers fractional",
      (d) => ((rung(d, 0).image as Obj).layers = 2.5),
      "rungs[0].image.layers: expected a whole number, got 2.5",
    ],
    [
      "image size negative",
      (d) => ((rung(d, 0).image as Obj).sizeBytes = -1),
      "rungs[0].image.sizeBytes: expected a number of at least 0, got -1",
    ],
    ["image array", (d) => (rung(d, 0).image = []), "rungs[0].image: expected an object"],
    [
      "smoke.passed",
      (d) => ((rung(d, 1).smoke as Obj).passed = 1),
      "rungs[1].smoke.passed: expected true or false, got 1",
    ],
    [
      "buildSeconds",
      (d) => (rung(d, 1).buildSeconds = null),
      "rungs[1].buildSeconds: expected a number, got null",
    ],
    ["logTail", (d) => (rung(d, 1).logTail = [1]), "rungs[1].logTail[0]: expected a string, got 1"],
    [
      "rung finishedAt",
      (d) => delete rung(d, 1).finishedAt,
      "rungs[1].finishedAt: expected a string, got nothing",
    ],
  ])("rejects a bad field: %s", (_name, mutate, message) => {
    expect(parseError(recordJson(mutate)).message).toContain(`${FILE}: ${message}`);
  });

  it("rejects a file that is not a run record", () => {
    expect(parseError("[1, 2]").message).toBe(
      `${FILE}: not a shrinkbench run record: expected a JSON object, got an array`,
    );
    expect(parseError('{"name": "x"}').message).toBe(
      `${FILE}: not a shrinkbench run record: schema: missing (expected "shrinkbench/run-record")`,
    );
    expect(parseError(recordJson((d) => (d.schema = "dive/report"))).message).toContain(
      'schema: expected "shrinkbench/run-record", got "dive/report"',
    );
  });

  it("says that a newer schema version was written by a newer shrinkbench", () => {
    const err = parseError(recordJson((d) => (d.schemaVersion = 2)));
    expect(err.message).toMatch(/^results\/baseline.json: schemaVersion: .*written by a newer/);
    expect(err.hint).toMatch(/upgrade shrinkbench/);
    expect(parseError(recordJson((d) => (d.schemaVersion = "1"))).message).toContain(
      'schemaVersion: expected a whole number, got "1"',
    );
    expect(parseError(recordJson((d) => (d.schemaVersion = 0))).message).toBe(
      `${FILE}: schemaVersion: unsupported run record version 0`,
    );
  });

  it("names the line and column of malformed JSON", () => {
    const err = parseError('{\n  "schema": "shrinkbench/run-record",\n  "runId": }\n');
    expect(err.message).toMatch(/^results\/baseline.json:3:12: malformed JSON \(position 51\)/);
    const trailingComma = parseError('{\n  "a": 1,\n}');
    expect(trailingComma.message).toMatch(/^results\/baseline.json:3:1: malformed JSON/);
    expect(parseError("").message).toBe(`${FILE}: empty file, expected a JSON run record`);
    expect(parseError('{"a": 1').message).toMatch(/:1:8: malformed JSON/);
  });
});

describe("recordFileName", () => {
  it("is the UTC start time and the ladder name", () => {
    const record = makeRecord({ startedAt: "2024-03-05T07:08:09+02:00" });
    expect(recordFileName(record)).toBe("20240305-050809-modern.json");
  });

  it("keeps the ladder name safe for a file name", () => {
    const record = makeRecord({ ladder: { name: "../talk 2020/x", file: "x.json" } });
    expect(recordFileName(record)).toBe("20240305-070809-talk-2020-x.json");
  });

  it("rejects a start time that is not a timestamp", () => {
    expect(() => recordFileName(makeRecord({ startedAt: "soon" }))).toThrow(InputError);
  });
});

describe("files", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "shrinkbench-record-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes atomically into a new directory and leaves no temp file", async () => {
    const path = join(dir, "a", "b", "record.json");
    await writeFileAtomic(path, "one");
    await writeFileAtomic(path, "two");
    expect(await readFile(path, "utf8")).toBe("two");
    expect(await readdir(join(dir, "a", "b"))).toEqual(["record.json"]);
  });

  it("cleans up its temp file and leaves the target alone when the rename fails", async () => {
    // A non-empty directory cannot be replaced by a file: the rename fails after the write.
    const blocked = join(dir, "blocked");
    await writeFileAtomic(join(blocked, "x"), "previous");
    await expect(writeFileAtomic(blocked, "new")).rejects.toThrow();
    expect(await readFile(join(blocked, "x"), "utf8")).toBe("previous");
    expect(await readdir(dir)).toEqual(["blocked"]);
  });

  it("round-trips a record through writeRunRecord and readRunRecord", async () => {
    const path = join(dir, "results", "run.json");
    const record = makeRecord();
    await writeRunRecord(path, record);
    expect(await readRunRecord(path)).toEqual(record);
    expect(await readFile(path, "utf8")).toMatch(/\n$/);
  });

  it("reports a missing file as an InputError with a hint", async () => {
    const path = join(dir, "nope.json");
    const err = await readRunRecord(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(`${path}: no such file`);
    expect((err as InputError).hint).toMatch(/shrinkbench run/);
    await expect(readRunRecord(dir)).rejects.toThrow(/is a directory/);
  });

  it("names the file it read in validation errors", async () => {
    const path = join(dir, "bad.json");
    await writeFile(
      path,
      recordJson((d) => (d.interrupted = 0)),
    );
    await expect(readRunRecord(path)).rejects.toThrow(`${path}: interrupted: expected true`);
  });
});
