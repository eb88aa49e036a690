import { describe, expect, it } from "vitest";
import { EnginePool, NoEligibleEngine, pickEngine } from "../../src/run/scheduler.js";

const load = (active: number, capacity = 1, assigned = 0) => ({ active, capacity, assigned });

describe("pickEngine", () => {
  it("takes the least-busy engine with a free slot", () => {
    expect(pickEngine([load(1, 2), load(0, 2)])).toBe(1);
    expect(pickEngine([load(1, 1), load(0, 1)])).toBe(1);
    expect(pickEngine([load(1, 1), load(1, 1)])).toBeUndefined();
    // Load is relative to capacity: 1 of 4 is less busy than 1 of 2.
    expect(pickEngine([load(1, 2), load(1, 4)])).toBe(1);
  });

  it("breaks ties by the fewest tasks assigned, then by order", () => {
    expect(pickEngine([load(0, 1, 3), load(0, 1, 1)])).toBe(1);
    expect(pickEngine([load(0, 1, 1), load(0, 1, 1)])).toBe(0);
  });

  it("skips engines that are not eligible", () => {
    expect(pickEngine([load(0), load(0)], (i) => i === 1)).toBe(1);
    expect(pickEngine([load(0), load(1)], (i) => i === 1)).toBeUndefined();
  });
});

/** A task that resolves when told to, recording which engine ran it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}
const tick = () => new Promise((r) => setTimeout(r, 0));

describe("EnginePool", () => {
  it("runs at most perEngine tasks on each engine and spreads them", async () => {
    const pool = new EnginePool(["a", "b"], 1);
    const gates = Array.from({ length: 4 }, gate);
    const ran: string[] = [];
    const done = gates.map((g, n) =>
      pool.run(async (e) => {
        ran.push(`${n}@${e}`);
        await g.opened;
        return n;
      }),
    );
    await tick();
    expect(ran).toEqual(["0@a", "1@b"]);
    expect(pool.active()).toEqual([1, 1]);
    gates[1]!.open();
    await tick();
    await tick();
    expect(ran).toEqual(["0@a", "1@b", "2@b"]);
    gates[0]!.open();
    await tick();
    await tick();
    expect(ran).toEqual(["0@a", "1@b", "2@b", "3@a"]);
    gates.forEach((g) => g.open());
    expect(await Promise.all(done)).toEqual([0, 1, 2, 3]);
    expect(pool.active()).toEqual([0, 0]);
  });

  it("lets a later task go ahead on an engine an earlier one cannot use", async () => {
    const pool = new EnginePool(["a", "b"], 1);
    const g = gate();
    const ran: string[] = [];
    const first = pool.run(async (e) => {
      ran.push(`first@${e}`);
      await g.opened;
    });
    await tick();
    // Only "a" may run the second task, and "a" is busy: the third goes to "b" meanwhile.
    const second = pool.run(
      async (e) => void ran.push(`second@${e}`),
      (e) => e === "a",
    );
    const third = pool.run(async (e) => void ran.push(`third@${e}`));
    await tick();
    await tick();
    expect(ran).toEqual(["first@a", "third@b"]);
    g.open();
    await Promise.all([first, second, third]);
    expect(ran).toEqual(["first@a", "third@b", "second@a"]);
  });

  it("frees the slot when a task fails, and refuses a task no engine may run", async () => {
    const pool = new EnginePool(["a"], 1);
    await expect(pool.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(
      pool.run(() => {
        throw new Error("sync");
      }),
    ).rejects.toThrow("sync");
    expect(await pool.run(async (e) => e)).toBe("a");
    await expect(
      pool.run(
        async () => 1,
        () => false,
      ),
    ).rejects.toBeInstanceOf(NoEligibleEngine);
    expect(() => new EnginePool([], 1)).toThrow();
    expect(() => new EnginePool(["a"], 0)).toThrow();
  });

  it("runs perEngine tasks at once on one engine", async () => {
    const pool = new EnginePool(["only"], 2);
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    const all = gates.map((g, n) =>
      pool.run(async () => {
        started.push(n);
        await g.opened;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    gates.forEach((g) => g.open());
    await Promise.all(all);
    expect(started).toEqual([0, 1, 2]);
  });
});
