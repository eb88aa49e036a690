import { describe, expect, it } from "vitest";
import { DeferredWork } from "../../src/run/deferred.js";

/** A job that records when it starts and ends, and how many ran at once. */
function tracker() {
  const events: string[] = [];
  let running = 0;
  let most = 0;
  const job =
    (name: string, fail = false) =>
    async () => {
      running++;
      most = Math.max(most, running);
      events.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      events.push(`end ${name}`);
      if (fail) throw new Error(name);
    };
  return { events, job, most: () => most };
}

describe("DeferredWork", () => {
  it("holds jobs back until the limit, then drains them all before the caller goes on", async () => {
    const t = tracker();
    const work = new DeferredWork(3, 2);
    work.add(t.job("a"));
    work.add(t.job("b"));
    await work.makeRoom();
    expect(t.events).toEqual([]); // two waiting, under the limit: nothing ran
    work.add(t.job("c"));
    await work.makeRoom();
    expect(work.pending).toBe(0);
    expect(t.events.filter((e) => e.startsWith("end"))).toHaveLength(3);
  });

  it("runs at most `parallel` at once, in the order they came", async () => {
    const t = tracker();
    const work = new DeferredWork(10, 2);
    for (const n of ["a", "b", "c", "d", "e"]) work.add(t.job(n));
    await work.drain();
    expect(t.most()).toBe(2);
    expect(t.events.filter((e) => e.startsWith("start"))).toEqual([
      "start a",
      "start b",
      "start c",
      "start d",
      "start e",
    ]);
  });

  it("a failing job does not stop the others", async () => {
    const t = tracker();
    const work = new DeferredWork(10, 1);
    work.add(t.job("a", true));
    work.add(t.job("b"));
    await work.drain();
    expect(t.events).toEqual(["start a", "end a", "start b", "end b"]);
  });

  it("drains jobs added while draining", async () => {
    const work = new DeferredWork(10, 2);
    const done: string[] = [];
    work.add(async () => {
      work.add(async () => void done.push("late"));
      done.push("first");
    });
    await work.drain();
    expect(done).toEqual(["first", "late"]);
  });

  it("refuses a limit or parallelism below 1", () => {
    expect(() => new DeferredWork(0, 1)).toThrow();
    expect(() => new DeferredWork(1, 0)).toThrow();
  });
});
