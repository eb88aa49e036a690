// What else the machine was doing while a build was timed: the 1-minute load average before and
// after, and how many other builds of this run overlapped it. The engine's own CPU use is not
// read: on a machine with several dockerds there is no cheap, reliable way to tell which one
// serves this run's socket, and the build's processes are children of containerd, not dockerd.
import { availableParallelism, loadavg } from "node:os";
import type { BuildLoad } from "../types.js";

interface Watch {
  startedAt: string;
  loadBefore: number;
  concurrentBuilds: number;
}

/** Counts the builds of one run in flight, so that each one knows what overlapped it. */
export class BuildLoadMonitor {
  private readonly active = new Set<Watch>();

  constructor(
    private readonly load1 = (): number => loadavg()[0] ?? 0,
    private readonly cpus = availableParallelism(),
  ) {}

  /** Call when a timed build starts; the returned function, when it ends. */
  start(): () => BuildLoad {
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
      };
    };
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
