import { describe, expect, it } from "vitest";
import { DeferredWork, planBatches, type HeldItem } from "../../src/run/deferred.js";

interface Item extends HeldItem {
  name: string;
  fail?: boolean;
}
const item = (name: string, bytes = 1, group = "g", fail = false): Item => ({
  name,
  bytes,
  group,
  fail,
});
const names = (batches: Item[][]) => batches.map((b) => b.map((i) => i.name).join(""));

/** A batch job that records when each batch starts and ends, and how many ran at once. */
function tracker() {
  const events: string[] = [];
  let running = 0;
  let most = 0;
  const job = async (batch: Item[]) => {
    const name = batch.map((i) => i.name).join("");
    running++;
    most = Math.max(most, running);
    events.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, 5));
    running--;
    events.push(`end ${name}`);
    if (batch.some((i) => i.fail)) throw new Error(name);
  };
  return { events, job, most: () => most };
}

describe("DeferredWork", () => {
  it("holds items back until the limit, then drains them all before the caller goes on", async () => {
    const t = tracker();
    const work = new DeferredWork({ items: 3, parallel: 2 }, t.job);
    work.add(item("a"));
    work.add(item("b"));
    await work.makeRoom();
    expect(t.events).toEqual([]); // two waiting, under the limit: nothing ran
    work.add(item("c"));
    await work.makeRoom();
    expect(work.pending).toBe(0);
    // one group, two workers: cut in two batches
    expect(t.events.filter((e) => e.startsWith("end")).sort()).toEqual(["end a", "end bc"]);
  });

  it("drains when the held bytes reach their bound, however few the items", async () => {
    const t = tracker();
    const work = new DeferredWork({ items: 10, bytes: 100, parallel: 2 }, t.job);
    work.add(item("a", 60));
    await work.makeRoom();
    expect(work.pending).toBe(1);
    work.add(item("b", 40));
    await work.makeRoom();
    expect(work.pending).toBe(0);
  });

  it("runs at most `parallel` batches at once, a group's items together", async () => {
    const t = tracker();
    const work = new DeferredWork({ items: 10, parallel: 2 }, t.job);
    for (const [n, g] of [
      ["a", "x"],
      ["b", "y"],
      ["c", "z"],
      ["d", "x"],
      ["e", "y"],
    ])
      work.add(item(n!, 1, g));
    await work.drain();
    expect(t.most()).toBe(2);
    expect(t.events.filter((e) => e.startsWith("start"))).toEqual([
      "start ad",
      "start be",
      "start c",
    ]);
  });

  it("a failing batch does not stop the others", async () => {
    const t = tracker();
    const work = new DeferredWork({ items: 10, parallel: 1 }, t.job);
    work.add(item("a", 2, "x", true));
    work.add(item("b", 1, "y"));
    await work.drain();
    expect(t.events).toEqual(["start a", "end a", "start b", "end b"]);
  });

  it("drains items added while draining", async () => {
    const done: string[] = [];
    const work: DeferredWork<Item> = new DeferredWork({ items: 10, parallel: 2 }, async (b) => {
      if (b[0]!.name === "first") work.add(item("late", 1, "other"));
      done.push(b[0]!.name);
    });
    work.add(item("first"));
    await work.drain();
    expect(done).toEqual(["first", "late"]);
  });

  it("refuses limits below 1", () => {
    const job = async () => undefined;
    expect(() => new DeferredWork({ items: 0, parallel: 1 }, job)).toThrow();
    expect(() => new DeferredWork({ items: 1, parallel: 0 }, job)).toThrow();
    expect(() => new DeferredWork({ items: 1, parallel: 1, bytes: 0 }, job)).toThrow();
  });
});

describe("planBatches", () => {
  it("one batch per group when there are enough groups, biggest first", () => {
    const items = [item("f", 15, "full"), item("s", 7, "slim"), item("t", 5, "slim")];
    expect(names(planBatches(items, 2))).toEqual(["f", "st"]);
    expect(names(planBatches(items, 1))).toEqual(["f", "st"]);
  });

  it("cuts the biggest group in two of about equal bytes to use every worker", () => {
    const items = [item("a", 5), item("b", 1), item("c", 1), item("d", 3)];
    // 5 | 1+1+3: the cut where the sides differ least, items in their order
    expect(names(planBatches(items, 2))).toEqual(["a", "bcd"]);
    expect(names(planBatches(items, 3))).toEqual(["a", "d", "bc"]);
  });

  it("never mixes groups, and never cuts a single item", () => {
    const items = [item("a", 1, "x"), item("b", 1, "y")];
    expect(names(planBatches(items, 4))).toEqual(["a", "b"]);
    expect(planBatches([], 2)).toEqual([]);
  });
});
