// Where the machine's CPU went while a build was timed, from /proc (Linux; elsewhere nothing is
// recorded): a snapshot of the machine's busy time (/proc/stat) and of every process
// (/proc/PID/stat) at each end, attributed by cpu-attribution.ts to the local engine serving
// this run's socket (dockerd with everything under it: BuildKit runs every RUN step as a child
// of dockerd, through runc), shrinkbench, the kernel, the hypervisor (steal) and other
// processes. Other processes (test suites, compilers, other sessions) competed with the build;
// a build that had to share the CPUs with much of them is flagged busy. The engine's share
// includes every build the engine ran in the window, other users' too: the overlapping builds
// of this run are counted apart (load.ts).
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import {
  attributeCpu,
  busySeconds,
  parseCpuTimes,
  parseProcStat,
  type CpuShares,
  type ProcSnapshot,
  type ProcStat,
} from "./cpu-attribution.js";

/** Counters at one instant, in seconds of CPU time. */
export interface CpuCounters {
  /** Wall clock (performance.now() / 1000). */
  at: number;
  /** Busy CPU seconds of the whole machine since boot (all CPUs: user+nice+system+irq+softirq+steal). */
  machineBusy?: number;
  /** CPU seconds of the engine's process, with its children waited for (RUN steps that ended). */
  engine?: number;
  /** CPU seconds of this process (the package server, the context tar, BuildKit's status). */
  self?: number;
  /** Every process at this instant (Linux): with one at each end, CPU is attributed by kind. */
  snapshot?: ProcSnapshot;
}

/** What one build window shows: CPUs busy on average, whole machine and engine. */
export type CpuUse = Partial<CpuShares>;

/** Busy seconds from the first line of /proc/stat ("cpu  user nice system idle iowait irq softirq steal ..."). */
export function machineBusySeconds(procStat: string): number | undefined {
  const cpu = parseCpuTimes(procStat);
  return cpu && busySeconds(cpu);
}

/** utime+stime+cutime+cstime of /proc/PID/stat, in seconds (fields 14–17; the name may hold spaces). */
export function processTreeSeconds(pidStat: string): number | undefined {
  const p = parseProcStat(pidStat);
  return p && p.own + p.reaped;
}

/**
 * The CPUs busy on average between two readings: by kind when both hold a snapshot of /proc,
 * else from the counters, a counter missing on either side absent.
 */
export function cpuBetween(a: CpuCounters, b: CpuCounters): CpuUse {
  if (a.snapshot && b.snapshot) {
    const shares = attributeCpu(a.snapshot, b.snapshot);
    if (shares) return shares;
  }
  const wall = b.at - a.at;
  if (!(wall > 0)) return {};
  const per = (x?: number, y?: number) =>
    x === undefined || y === undefined || y < x ? undefined : round2((y - x) / wall);
  const machineCpu = per(a.machineBusy, b.machineBusy);
  const engineCpu = per(a.engine, b.engine);
  const selfCpu = per(a.self, b.self);
  return {
    ...(machineCpu !== undefined ? { machineCpu } : {}),
    ...(engineCpu !== undefined ? { engineCpu } : {}),
    ...(selfCpu !== undefined ? { selfCpu } : {}),
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The socket file of a local unix:// endpoint, or undefined (tcp, ssh: the engine is elsewhere). */
export function unixSocketPath(host: string | undefined): string | undefined {
  if (!host) return "/var/run/docker.sock";
  if (host.startsWith("unix://")) return host.slice("unix://".length);
  if (host.startsWith("/")) return host;
  return undefined;
}

/** Inodes of the listening unix sockets bound at `path`, from /proc/net/unix. */
export function listeningInodes(procNetUnix: string, path: string): string[] {
  const out: string[] = [];
  for (const line of procNetUnix.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    // Num RefCount Protocol Flags Type St Inode Path; Flags 00010000 = listening.
    if (f.length >= 8 && f[7] === path && (parseInt(f[3]!, 16) & 0x10000) !== 0) out.push(f[6]!);
  }
  return out;
}

/**
 * The pid of the process listening on the engine's unix socket (dockerd), or undefined when it
 * is not local or cannot be found (another user's process: /proc/PID/fd is not readable).
 */
export function findEnginePid(host: string | undefined): number | undefined {
  const path = unixSocketPath(host);
  if (!path) return undefined;
  try {
    const inodes = new Set(listeningInodes(readFileSync("/proc/net/unix", "utf8"), path));
    if (inodes.size === 0) return undefined;
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      let comm: string;
      try {
        comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      } catch {
        continue;
      }
      // The engine's daemon; checking every process's descriptors would cost far more.
      if (!/^(dockerd|podman|containerd)$/.test(comm)) continue;
      try {
        for (const fd of readdirSync(`/proc/${pid}/fd`)) {
          const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
          if (inodes.has(/^socket:\[(\d+)\]$/.exec(target)?.[1] ?? "")) return Number(pid);
        }
      } catch {
        // Not ours to read, or gone.
      }
    }
  } catch {
    // No /proc (macOS, Windows): nothing to record.
  }
  return undefined;
}

/** Every process's /proc/PID/stat now (kernel threads included); unreadable ones are left out. */
function readProcs(): ProcStat[] {
  const procs: ProcStat[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const p = parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
      if (p) procs.push(p);
    } catch {
      // Ended between the listing and the read.
    }
  }
  return procs;
}

/** Reads the counters now; `enginePid` undefined leaves the engine's out. */
export function readCpuCounters(enginePid: number | undefined): CpuCounters {
  const read = (file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return undefined;
    }
  };
  const stat = read("/proc/stat");
  const engineStat = enginePid === undefined ? undefined : read(`/proc/${enginePid}/stat`);
  const machineBusy = stat === undefined ? undefined : machineBusySeconds(stat);
  const engine = engineStat === undefined ? undefined : processTreeSeconds(engineStat);
  const cpu = stat === undefined ? undefined : parseCpuTimes(stat);
  let snapshot: ProcSnapshot | undefined;
  if (cpu) {
    try {
      snapshot = {
        at: performance.now() / 1000,
        cpu,
        procs: readProcs(),
        ...(enginePid !== undefined ? { enginePid } : {}),
        selfPid: process.pid,
      };
    } catch {
      // /proc without process folders (a restricted container): the counters alone.
    }
  }
  const { user, system } = process.cpuUsage();
  return {
    at: performance.now() / 1000,
    ...(machineBusy !== undefined ? { machineBusy } : {}),
    ...(engine !== undefined ? { engine } : {}),
    self: (user + system) / 1e6,
    ...(snapshot ? { snapshot } : {}),
  };
}
