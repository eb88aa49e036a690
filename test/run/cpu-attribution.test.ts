import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { busyReason } from "../../src/results/times.js";
import {
  attributeCpu,
  classify,
  parseCpuTimes,
  parseProcStat,
  type CpuShares,
  type ProcSnapshot,
  type ProcStat,
} from "../../src/run/cpu-attribution.js";
import type { BuildLoad } from "../../src/types.js";

/** A recorded build window (see the fixture's "about"). */
const recorded = JSON.parse(
  readFileSync(new URL("../fixtures/proc/minimal-build.json", import.meta.url), "utf8"),
) as { before: ProcSnapshot; after: ProcSnapshot };

const DOCKERD = 19506;
const CLI = 6545;

function asLoad(s: CpuShares): BuildLoad {
  return { loadBefore: 0.5, loadAfter: 0.5, cpus: 2, concurrentBuilds: 0, ...s };
}

describe("cpu-attribution: parsing /proc", () => {
  it("reads a process's line, whatever its name holds", () => {
    const rest = "S 1 2 3 0 -1 4194560 100 0 0 0 250 50 30 20 20 0 12 0 777 1000 200";
    expect(parseProcStat(`1234 (a (b) c) ${rest}`)).toEqual({
      pid: 1234,
      comm: "a (b) c",
      ppid: 1,
      own: 3,
      reaped: 0.5,
      start: 777,
    });
    expect(parseProcStat("garbage")).toBeUndefined();
  });

  it("reads /proc/stat's cpu line in seconds", () => {
    expect(parseCpuTimes("cpu  100 20 30 5000 700 1 2 3 0 0\ncpu0 1 1 1 1 1 1 1 1\n")).toEqual({
      user: 1,
      nice: 0.2,
      system: 0.3,
      idle: 50,
      iowait: 7,
      irq: 0.01,
      softirq: 0.02,
      steal: 0.03,
    });
    expect(parseCpuTimes("intr 1\n")).toBeUndefined();
  });
});

describe("cpu-attribution: a recorded BuildKit build among other sessions", () => {
  const shares = attributeCpu(recorded.before, recorded.after)!;

  it("classes dockerd's tree (containerd, runc, the RUN steps) as the engine, kthreadd's as the kernel", () => {
    const kinds = classify(recorded.after);
    const comm = (pid: number) => recorded.after.procs.find((p) => p.pid === pid)!.comm;
    expect(kinds.get(DOCKERD)).toBe("engine");
    expect(comm(19560)).toBe("containerd");
    expect(kinds.get(19560)).toBe("engine");
    // RUN steps still running at the build's end are another build's (this one's have ended):
    // here another session's slim-rm-layers (cleanup.sh talk) on the same engine.
    const runSteps = recorded.after.procs.filter(
      (p) => p.comm === "runc:[2:INIT]" || p.comm === "pip" || p.comm === "sh",
    );
    expect(runSteps.length).toBeGreaterThan(0);
    for (const p of runSteps) expect([p.comm, kinds.get(p.pid)]).toEqual([p.comm, "runStep"]);
    const kthreads = recorded.after.procs.filter((p) => p.comm.startsWith("kworker/"));
    expect(kthreads.length).toBeGreaterThan(0);
    for (const p of kthreads) expect(kinds.get(p.pid)).toBe("kernel");
    expect(kinds.get(CLI)).toBe("self");
    expect(kinds.get(1)).toBe("other");
  });

  it("accounts for the machine's busy CPUs, kind by kind", () => {
    const parts =
      shares.engineCpu! + shares.selfCpu + shares.kernelCpu + shares.stealCpu + shares.otherCpu;
    expect(Math.abs(parts - shares.machineCpu)).toBeLessThan(0.1);
    // The old measure (dockerd's own line, this build's RUN steps reaped) saw 0.98.
    expect(shares.engineCpu).toBeGreaterThanOrEqual(0.98);
    expect(shares.engineCpu).toBeLessThan(1.05);
    expect(shares.kernelCpu).toBeGreaterThan(0);
    expect(shares.kernelCpu).toBeLessThan(0.1);
  });

  it("names the other sessions as competition, and flags the build busy", () => {
    expect(shares.otherCpu).toBeGreaterThan(0.5);
    // Their shells' children (test runs, compilers) ended in the window: counted where waited.
    expect(shares.busiestOthers[0]).toEqual({ name: "bash's children", cpu: 0.31 });
    expect(busyReason([asLoad(shares)])).toBe(
      "0.8 of 2 CPUs busy with other processes (bash's children 0.3, other builds' RUN steps 0.2, node 0.1) during a build",
    );
  });

  it("does not flag the same build without the other sessions", () => {
    // The window as it would have been alone: every process outside the engine, shrinkbench
    // and the kernel goes, and the machine's user time with what it used.
    const kinds = classify(recorded.after);
    const mine = (s: ProcSnapshot): ProcSnapshot => ({
      ...s,
      procs: s.procs.filter((p) => !["other", "runStep"].includes(kinds.get(p.pid) ?? "other")),
      cpu: { ...s.cpu, user: s === recorded.after ? s.cpu.user - otherSeconds : s.cpu.user },
    });
    const wall = recorded.after.at - recorded.before.at;
    const otherSeconds = shares.otherCpu * wall;
    const alone = attributeCpu(mine(recorded.before), mine(recorded.after))!;
    expect(alone.otherCpu).toBeLessThan(0.05);
    // What stays is the build's: the engine's tree and the kernel's work for it.
    expect(alone.engineCpu).toBe(shares.engineCpu);
    expect(alone.kernelCpu).toBe(shares.kernelCpu);
    expect(alone.machineCpu).toBeGreaterThan(1);
    expect(busyReason([asLoad(alone)])).toBeUndefined();
  });
});

describe("cpu-attribution: processes that start and end in the window", () => {
  const cpu = (busy: number, steal = 0) => ({
    user: busy,
    nice: 0,
    system: 0,
    idle: 100,
    iowait: 0,
    irq: 0,
    softirq: 0,
    steal,
  });
  const proc = (pid: number, comm: string, ppid: number, own = 0, reaped = 0, start = pid) =>
    ({ pid, comm, ppid, own, reaped, start }) satisfies ProcStat;
  const snap = (at: number, busy: number, procs: ProcStat[], steal = 0): ProcSnapshot => ({
    at,
    cpu: cpu(busy, steal),
    procs,
    enginePid: 100,
    selfPid: 500,
  });
  const base = [
    proc(1, "init", 0),
    proc(2, "kthreadd", 0),
    proc(3, "kworker/u8:1", 2, 1),
    proc(100, "dockerd", 1, 50, 10),
    proc(101, "containerd", 100, 5),
    proc(500, "node", 1, 20),
  ];

  it("counts a RUN step that ended in the window where dockerd waited for it", () => {
    // 10 s: a RUN step (runc and its processes, seen by neither snapshot) used 8 s of CPU.
    const after = [
      proc(1, "init", 0),
      proc(2, "kthreadd", 0),
      proc(3, "kworker/u8:1", 2, 1.5),
      proc(100, "dockerd", 1, 51, 18),
      proc(101, "containerd", 100, 5.2),
      proc(500, "node", 1, 20.5),
    ];
    const s = attributeCpu(snap(0, 0, base), snap(10, 10.2, after))!;
    expect(s).toMatchObject({ engineCpu: 0.92, selfCpu: 0.05, kernelCpu: 0.05, otherCpu: 0 });
    expect(busyReason([asLoad(s)])).toBeUndefined();
  });

  it("counts a RUN step still running at the end as another build's, competition", () => {
    // This build's RUN steps have all ended when its build call returns.
    const after = [
      ...base,
      proc(300, "runc", 100, 0.1),
      proc(301, "runc:[2:INIT]", 300),
      proc(302, "pip", 301, 6),
    ];
    const s = attributeCpu(snap(0, 0, base), snap(10, 6.1, after))!;
    expect(s).toMatchObject({ engineCpu: 0, otherCpu: 0.61 });
    expect(s.busiestOthers).toEqual([{ name: "other builds' RUN steps", cpu: 0.61 }]);
  });

  it("takes off what a process that ended in the window had used before it", () => {
    // A RUN step of an earlier window (30 s of CPU before this one, 2 s in it) ends now.
    const before = [...base, proc(200, "runc", 100, 1, 29)];
    const after = [...base.filter((p) => p.pid !== 100), proc(100, "dockerd", 1, 50, 42)];
    const s = attributeCpu(snap(0, 0, before), snap(10, 2, after))!;
    expect(s.engineCpu).toBe(0.2);
  });

  it("counts a CPU burner that shrinkbench's process started, and a container, as competition", () => {
    const before = [...base, proc(600, "containerd-shim", 1, 0.1), proc(601, "python3", 600, 1)];
    const after = [
      ...base.filter((p) => p.pid !== 500),
      proc(500, "node", 1, 20, 9.5), // its child `burn` used 9.5 s and ended
      proc(600, "containerd-shim", 1, 0.2),
      proc(601, "python3", 600, 6),
    ];
    const s = attributeCpu(snap(0, 0, before), snap(10, 14.6, after, 3))!;
    expect(s.selfCpu).toBe(0);
    expect(s.otherCpu).toBe(1.46);
    expect(s.stealCpu).toBe(0.3);
    expect(s.busiestOthers).toEqual([
      { name: "node's children", cpu: 0.95 },
      { name: "python3", cpu: 0.5 },
    ]);
    expect(busyReason([asLoad(s)])).toBe(
      "1.5 of 2 CPUs busy with other processes (node's children 0.9, python3 0.5), " +
        "0.3 taken by the hypervisor (steal) during a build",
    );
  });

  it("gives no engine share when the engine was not found, and no window no shares", () => {
    const none = (s: ProcSnapshot): ProcSnapshot => {
      const copy = { ...s };
      delete copy.enginePid;
      return copy;
    };
    const s = attributeCpu(none(snap(0, 0, base)), none(snap(10, 1, base)))!;
    expect(s.engineCpu).toBeUndefined();
    expect(busyReason([asLoad(s)])).toBeUndefined();
    expect(attributeCpu(snap(5, 0, base), snap(5, 1, base))).toBeUndefined();
  });
});
