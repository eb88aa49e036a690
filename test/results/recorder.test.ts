// RunRecorder: results land in ladder order whatever order they arrive in, each rung's log
// file holds its build output and smoke test, and every save leaves whole files behind.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readRunRecord } from "../../src/results/record.js";
import { RunRecorder } from "../../src/results/recorder.js";
import { makeRecord, makeRung } from "../fixtures/records.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-recorder-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("RunRecorder", () => {
  it("keeps ladder order, writes log files and the record's four files", async () => {
    const recorder = new RunRecorder(makeRecord({ rungs: [] }), dir, ["a", "b", "c"], "run1");
    expect(recorder.files).toEqual({
      json: join(dir, "run1.json"),
      markdown: join(dir, "run1.md"),
      svg: join(dir, "run1.svg"),
      html: join(dir, "run1.html"),
    });
    recorder.log("c", "Step 1/2 : FROM x");
    recorder.log("c", "built c");
    recorder.add(makeRung("c"));
    recorder.add(makeRung("a", { status: "SKIPPED" }));
    await recorder.save();

    const saved = await readRunRecord(recorder.files.json);
    expect(saved.rungs.map((r) => r.rung)).toEqual(["a", "c"]);
    // A skipped rung never built: it has no log.
    expect(saved.rungs[0]!.logFile).toBeUndefined();
    expect(saved.rungs[1]!.logFile).toBe(join("run1", "logs", "c.log"));
    const log = await readFile(join(dir, "run1", "logs", "c.log"), "utf8");
    expect(log).toMatch(/^Step 1\/2 : FROM x\nbuilt c\n\n--- smoke test: /);
    for (const f of [recorder.files.markdown, recorder.files.svg, recorder.files.html])
      expect((await readFile(f, "utf8")).length).toBeGreaterThan(0);
  });

  it("saves one after another: the last save on disk holds the last result", async () => {
    const recorder = new RunRecorder(makeRecord({ rungs: [] }), dir, ["a", "b"], "run2");
    recorder.add(makeRung("a"));
    recorder.add(makeRung("b"));
    await recorder.save();
    expect((await readRunRecord(recorder.files.json)).rungs.map((r) => r.rung)).toEqual([
      "a",
      "b",
    ]);
  });

  it("a failed save rejects that save only; later saves still write", async () => {
    const recorder = new RunRecorder(makeRecord({ rungs: [] }), dir, ["a"], "run3");
    const good = recorder.files.json;
    (recorder.files as { json: string }).json = join(dir, "no-such-dir", "\0bad.json");
    await expect(recorder.save()).rejects.toThrow();
    (recorder.files as { json: string }).json = good;
    recorder.add(makeRung("a"));
    await expect(recorder.save()).resolves.toBeUndefined();
    expect((await readRunRecord(good)).rungs).toHaveLength(1);
  });
});
