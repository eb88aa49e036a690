// What else the machine was doing while a build was timed: the 1-minute load average before and
// after, how many other builds of this run overlapped it, and where the CPU time went (cpu-use.ts:
// the whole machine's and the local engine's, found by the socket it listens on).
import { availableParallelism, loadavg } from "node:os";
import type { BuildLoad } from "../types.js";
import { cpuBetween, findEnginePid, readCpuCounters, type CpuCounters } from "./cpu-use.js";

interface Watch {
  startedAt: string;
  loadBefore: number;
  concurrentBuilds: number;
}

/** Counts the builds of one run in flight, so that each one knows what overlapped it. */
export class BuildLoadMonitor {
  private readonly active = new Set<Watch>();

  /** The engine's pid per endpoint, looked up once. */
  private readonly enginePids = new Map<string, number | undefined>();

  constructor(
    private readonly load1 = (): number => loadavg()[0] ?? 0,
    private readonly cpus = availableParallelism(),
    private readonly counters: (enginePid?: number) => CpuCounters = readCpuCounters,
    private readonly enginePid: (host?: string) => number | undefined = findEnginePid,
  ) {}

  /** Call when a timed build on the engine at `host` starts; the returned function, when it ends. */
  start(host?: string): () => BuildLoad {
    const key = host ?? "";
    if (!this.enginePids.has(key)) this.enginePids.set(key, this.enginePid(host));
    const pid = this.enginePids.get(key);
    const before = this.counters(pid);
    const watch: Watch = {
      startedAt: new Date().toISOString(),
      loadBefore: this.load1(),
      concurrentBuilds: this.active.size,
    };
    for (const other of this.active) other.concurrentBuilds++;
    this.active.add(watch);
    return () => {
      this.active.delete(watch);
      return {
        startedAt: watch.startedAt,
        loadBefore: round2(watch.loadBefore),
        loadAfter: round2(this.load1()),
        cpus: this.cpus,
        concurrentBuilds: watch.concurrentBuilds,
        ...cpuBetween(before, this.counters(pid)),
      };
    };
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
