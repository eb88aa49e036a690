// The held-back inspections on plain data: which saves they ask for, what each rung gets, and
// how the drain's wall clock is charged. The engine here is a recording stand-in: nothing is
// built; the real save and analysis are tested against the engine in test/engine/inspect.test.ts.
import { describe, expect, it } from "vitest";
import type { Engine } from "../../src/docker/engine.js";
import { analyzeImage } from "../../src/image/analyze.js";
import type { InspectReport } from "../../src/image/types.js";
import { HeldInspections } from "../../src/run/held-inspections.js";
import type { RungInspection, RungPhaseSeconds } from "../../src/types.js";
import { file, image, layers } from "../image/helpers.js";

/** A report whose layer sizes say which image it is of. */
function reportOf(id: string): InspectReport {
  return analyzeImage({ ...image(layers([file(`f-${id}`, id.length * 100)])), ref: id, id });
}

function fakeEngine(host: string, opts: { batchFails?: boolean; slowMs?: number } = {}) {
  const calls: string[] = [];
  const engine = {
    host,
    analyze: async (ref: string) => {
      calls.push(`save ${ref}`);
      await new Promise((r) => setTimeout(r, opts.slowMs ?? 1));
      if (ref === "gone") throw new Error("no such image");
      return reportOf(ref);
    },
    analyzeImages: async (refs: readonly string[]) => {
      calls.push(`save ${refs.join(" ")}`);
      await new Promise((r) => setTimeout(r, opts.slowMs ?? 1));
      if (opts.batchFails || refs.includes("gone")) throw new Error("no such image");
      return refs.map(reportOf);
    },
    removeImage: async (ref: string) => void calls.push(`rm ${ref}`),
  } as unknown as Engine;
  return { engine, calls };
}

function collector() {
  const got = new Map<string, { inspection?: RungInspection; seconds: RungPhaseSeconds }>();
  const done = (rung: string, inspection: RungInspection | undefined, seconds: RungPhaseSeconds) =>
    void got.set(rung, { ...(inspection ? { inspection } : {}), seconds });
  return { got, done };
}

describe("HeldInspections", () => {
  it("one save per engine and base, each rung its own inspection, then its image removed", async () => {
    const a = fakeEngine("a");
    const b = fakeEngine("b");
    const c = collector();
    const held = new HeldInspections({ keepImages: false, done: c.done });
    const slim = (e: Engine) => HeldInspections.group(e, "slim");
    held.hold({ rung: "r1", imageId: "i1", bytes: 10, engine: a.engine, group: slim(a.engine) });
    held.hold({ rung: "r2", imageId: "i22", bytes: 10, engine: a.engine, group: slim(a.engine) });
    held.hold({ rung: "r3", imageId: "i333", bytes: 10, engine: b.engine, group: slim(b.engine) });
    await held.drain();
    expect(a.calls).toEqual(["save i1 i22", "rm i1", "rm i22"]);
    expect(b.calls).toEqual(["save i333", "rm i333"]);
    expect(c.got.get("r2")?.inspection?.layerBytes).toEqual([300]);
    expect(c.got.get("r3")?.inspection?.layerBytes).toEqual([400]);
  });

  it("charges each rung a share of the drain's wall clock: the shares add up to it", async () => {
    const a = fakeEngine("a", { slowMs: 60 });
    const c = collector();
    const held = new HeldInspections({
      keepImages: false,
      done: c.done,
      limits: { items: 10, parallel: 2 },
    });
    const g = HeldInspections.group(a.engine, "slim");
    held.hold({ rung: "big", imageId: "x", bytes: 300, engine: a.engine, group: g });
    held.hold({ rung: "small", imageId: "y", bytes: 100, engine: a.engine, group: g });
    held.hold({ rung: "other", imageId: "z", bytes: 300, engine: a.engine, group: "elsewhere" });
    const t0 = performance.now();
    await held.drain();
    const wall = (performance.now() - t0) / 1000;
    const charged = [...c.got.values()].reduce(
      (s, r) => s + (r.seconds.inspect ?? 0) + (r.seconds.cleanup ?? 0),
      0,
    );
    expect(charged).toBeGreaterThan(wall * 0.9);
    expect(charged).toBeLessThanOrEqual(wall + 0.003);
    // in one batch, by bytes: big 3× small
    const [big, small] = [c.got.get("big")!.seconds, c.got.get("small")!.seconds];
    expect(big.inspect! / small.inspect!).toBeGreaterThan(2.5); // 3, but for the rounding to ms
    expect(big.inspect! / small.inspect!).toBeLessThan(3.5);
  });

  it("when the batch's save fails, each image alone: one gone image costs only its own inspection", async () => {
    const a = fakeEngine("a");
    const c = collector();
    const held = new HeldInspections({
      keepImages: true,
      done: c.done,
      limits: { items: 10, parallel: 1 },
    });
    const g = HeldInspections.group(a.engine, "slim");
    held.hold({ rung: "ok", imageId: "i1", bytes: 1, engine: a.engine, group: g });
    held.hold({ rung: "bad", imageId: "gone", bytes: 1, engine: a.engine, group: g });
    await held.drain();
    expect(a.calls).toEqual(["save i1 gone", "save i1", "save gone"]); // kept: no removal
    expect(c.got.get("ok")?.inspection).toBeDefined();
    expect(c.got.get("bad")).toEqual({ seconds: { inspect: expect.any(Number) } });
  });

  it("after an interrupt: no save, the images still removed", async () => {
    const a = fakeEngine("a");
    const c = collector();
    const held = new HeldInspections({
      keepImages: false,
      signal: AbortSignal.abort(),
      done: c.done,
    });
    held.hold({ rung: "r", imageId: "i", bytes: 1, engine: a.engine, group: "g" });
    await held.drain();
    expect(a.calls).toEqual(["rm i"]);
    expect(c.got.get("r")?.inspection).toBeUndefined();
  });

  it("makeRoom drains only at the limit; two callers at once share one drain", async () => {
    const a = fakeEngine("a", { slowMs: 20 });
    const c = collector();
    const held = new HeldInspections({
      keepImages: false,
      done: c.done,
      limits: { items: 2, parallel: 1 },
    });
    held.hold({ rung: "r1", imageId: "i1", bytes: 1, engine: a.engine, group: "g" });
    await held.makeRoom();
    expect(a.calls).toEqual([]);
    held.hold({ rung: "r2", imageId: "i2", bytes: 1, engine: a.engine, group: "g" });
    await Promise.all([held.makeRoom(), held.makeRoom()]);
    expect(a.calls).toEqual(["save i1 i2", "rm i1", "rm i2"]);
    expect(c.got.get("r1")!.seconds.inspect).toBeGreaterThan(0);
  });
});
