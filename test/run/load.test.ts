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

describe("BuildLoadMonitor: where the CPU went", () => {
  it("gives the machine's and the engine's CPUs busy over the build, the engine found once per host", () => {
    let t = 100;
    let machine = 1000;
    let engine = 50;
    const lookups: (string | undefined)[] = [];
    const monitor = new BuildLoadMonitor(
      () => 0.5,
      2,
      (pid) => ({ at: t, machineBusy: machine, ...(pid === 42 ? { engine } : {}) }),
      (host) => {
        lookups.push(host);
        return host === "unix:///var/run/docker.sock" ? 42 : undefined;
      },
    );
    const stop = monitor.start("unix:///var/run/docker.sock");
    t += 10;
    machine += 19; // 1.9 CPUs busy on average
    engine += 12; // 1.2 of them the engine's
    expect(stop()).toMatchObject({ machineCpu: 1.9, engineCpu: 1.2 });
    monitor.start("unix:///var/run/docker.sock")();
    // a remote engine: the machine's share only
    const remote = monitor.start("tcp://10.0.0.2:2375");
    t += 5;
    machine += 5;
    const r = remote();
    expect(r.machineCpu).toBe(1);
    expect(r.engineCpu).toBeUndefined();
    expect(lookups).toEqual(["unix:///var/run/docker.sock", "tcp://10.0.0.2:2375"]);
  });
});
