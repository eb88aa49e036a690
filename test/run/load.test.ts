import { describe, expect, it } from "vitest";
import { BuildLoadMonitor } from "../../src/run/load.js";

describe("BuildLoadMonitor", () => {
  it("records the load before and after, and every build that overlapped", () => {
    let load = 0.5;
    const monitor = new BuildLoadMonitor(() => load, 2);
    const stopA = monitor.start();
    load = 1.5;
    const stopB = monitor.start(); // overlaps A
    load = 2.25;
    const b = stopB();
    const a = stopA();
    const c = monitor.start()(); // alone
    expect(a).toMatchObject({ loadBefore: 0.5, loadAfter: 2.25, cpus: 2, concurrentBuilds: 1 });
    expect(b).toMatchObject({ loadBefore: 1.5, loadAfter: 2.25, cpus: 2, concurrentBuilds: 1 });
    expect(c.concurrentBuilds).toBe(0);
    expect(Date.parse(a.startedAt!)).toBeLessThanOrEqual(Date.parse(b.startedAt!));
  });
});
