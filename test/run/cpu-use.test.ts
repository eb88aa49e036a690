import { describe, expect, it } from "vitest";
import {
  cpuBetween,
  findEnginePid,
  listeningInodes,
  machineBusySeconds,
  processTreeSeconds,
  readCpuCounters,
  unixSocketPath,
} from "../../src/run/cpu-use.js";

describe("cpu-use: reading /proc", () => {
  it("sums the busy fields of /proc/stat's cpu line, not idle or iowait", () => {
    const stat = "cpu  100 20 30 5000 700 1 2 3 0 0\ncpu0 50 10 15 2500 350 0 1 1 0 0\n";
    expect(machineBusySeconds(stat)).toBeCloseTo((100 + 20 + 30 + 1 + 2 + 3) / 100, 10);
    expect(machineBusySeconds("intr 1 2 3\n")).toBeUndefined();
  });

  it("reads utime, stime and the children's from /proc/PID/stat, whatever the name holds", () => {
    const rest = "S 1 2 3 0 -1 4194560 100 0 0 0 250 50 30 20 20 0 12 0 100 1000 200";
    expect(processTreeSeconds(`1234 (dockerd) ${rest}`)).toBeCloseTo(3.5, 10);
    expect(processTreeSeconds(`1234 (a (b) c) ${rest}`)).toBeCloseTo(3.5, 10);
  });

  it("turns two readings into CPUs busy on average, and leaves out what either lacks", () => {
    expect(
      cpuBetween({ at: 0, machineBusy: 10, engine: 1 }, { at: 4, machineBusy: 16, engine: 3 }),
    ).toEqual({ machineCpu: 1.5, engineCpu: 0.5 });
    expect(cpuBetween({ at: 0, self: 1 }, { at: 4, self: 2 })).toEqual({ selfCpu: 0.25 });
    expect(cpuBetween({ at: 0, machineBusy: 10 }, { at: 4, machineBusy: 16, engine: 3 })).toEqual({
      machineCpu: 1.5,
    });
    expect(cpuBetween({ at: 4 }, { at: 4 })).toEqual({});
  });

  it("finds the listening socket of a local endpoint only", () => {
    expect(unixSocketPath("unix:///run/user/1000/docker.sock")).toBe("/run/user/1000/docker.sock");
    expect(unixSocketPath(undefined)).toBe("/var/run/docker.sock");
    expect(unixSocketPath("tcp://10.0.0.2:2375")).toBeUndefined();
    expect(unixSocketPath("ssh://me@host")).toBeUndefined();
    const table = [
      "Num       RefCount Protocol Flags    Type St Inode Path",
      "0000000000000000: 00000002 00000000 00010000 0001 01 25081 /var/run/docker.sock",
      "0000000000000000: 00000003 00000000 00000000 0001 03 25099 /var/run/docker.sock",
      "0000000000000000: 00000002 00000000 00010000 0001 01 31000 /tmp/other.sock",
    ].join("\n");
    expect(listeningInodes(table, "/var/run/docker.sock")).toEqual(["25081"]);
  });

  it("reads this machine's counters (Linux) and finds no engine behind a tcp endpoint", () => {
    const c = readCpuCounters(process.pid);
    expect(c.machineBusy).toBeGreaterThan(0);
    expect(c.engine).toBeGreaterThan(0);
    expect(findEnginePid("tcp://127.0.0.1:1")).toBeUndefined();
  });

  it("snapshots every process, kernel threads included, and attributes a window by kind", () => {
    const a = readCpuCounters(undefined);
    const pids = a.snapshot!.procs.map((p) => p.pid);
    expect(pids).toContain(process.pid);
    expect(pids).toContain(1);
    expect(a.snapshot!.selfPid).toBe(process.pid);
    const until = Date.now() + 300;
    while (Date.now() < until); // our own work: self, not competition
    const use = cpuBetween(a, readCpuCounters(undefined));
    expect(use.selfCpu).toBeGreaterThan(0.3);
    expect(use.machineCpu).toBeGreaterThanOrEqual(use.selfCpu! - 0.2);
    expect(use.engineCpu).toBeUndefined();
    expect(use.otherCpu).toBeGreaterThanOrEqual(0);
  });
});
