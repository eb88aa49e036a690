// Who used the machine's CPUs while a build was timed, from two snapshots of /proc (every
// process's /proc/PID/stat and the machine's /proc/stat), one at each end. Pure: cpu-use.ts reads.
//
// Each process alive at the end counts its own CPU over the window and what its children that
// ended in it used (the reaped-children counters, cutime+cstime: a child's whole life lands in
// its waiting parent's when it ends). A child alive at the start that ended in the window
// brought its earlier life along: that part is taken off the ancestor that reaped it. A
// process that started and ended inside the window is seen only through that counter, so it is
// counted where it was waited for: RUN steps (runc and the step's processes) in the engine's.
//
// The kinds, measured on a BuildKit build of dockerd 20.10 (issue 18):
//   engine   the engine's process (dockerd) and everything under it: RUN steps run by runc as
//            its children, docker-untar, containerd. Other builds on the engine too, except for
//            their RUN steps still running at the end (this build's have all ended by then):
//            those count as other processes.
//   self     shrinkbench's own process: serving packages, sending the context, reading status.
//   kernel   kernel threads (children of kthreadd: writeback, block I/O completion, RCU,
//            DAMON) and interrupt time (irq, softirq: loopback traffic to the package server).
//            Not attributable to a process; a build writing its layers causes most of it.
//   steal    time the hypervisor gave this machine's CPUs to someone else.
//   other    every other process, containers of the engine included (containerd-shim and what
//            it runs: other users' smoke tests and services): competition for the build.
// What /proc/stat counts busy and no process accounts for (a child not yet reaped at the end)
// is left out of every kind.

/** One line of /proc/PID/stat: times in seconds. */
export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime. */
  own: number;
  /** cutime + cstime: children waited for. */
  reaped: number;
  /** Start time in clock ticks since boot: with the pid, names one process across snapshots. */
  start: number;
}

/** The first line of /proc/stat, in seconds (all CPUs). */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

export interface ProcSnapshot {
  /** Wall clock, seconds. */
  at: number;
  cpu: CpuTimes;
  procs: ProcStat[];
  /** The local engine's process (dockerd), when found. */
  enginePid?: number;
  /** shrinkbench's own process. */
  selfPid: number;
}

/** CPUs busy on average over a window, by kind (see the file's head). */
export interface CpuShares {
  machineCpu: number;
  engineCpu?: number;
  selfCpu: number;
  kernelCpu: number;
  stealCpu: number;
  otherCpu: number;
  /** The other processes that used the most, by name (at most 3, from 0.05 CPU). */
  busiestOthers: { name: string; cpu: number }[];
}

/** Ticks per second of /proc's counters: 100 on every Linux architecture Node runs on. */
export const HZ = 100;

export function parseCpuTimes(procStat: string): CpuTimes | undefined {
  const line = procStat.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) return undefined;
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (f.length < 8 || f.some((n) => !Number.isFinite(n))) return undefined;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f.map((n) => n / HZ) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { user, nice, system, idle, iowait, irq, softirq, steal };
}

/** Busy seconds: everything but idle and iowait. */
export function busySeconds(c: CpuTimes): number {
  return c.user + c.nice + c.system + c.irq + c.softirq + c.steal;
}

/** /proc/PID/stat's line (the name may hold spaces and parentheses), or undefined. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  // f[0] is field 3 (state): ppid is field 4, utime..cstime 14..17, starttime 22.
  const f = text.slice(close + 2).split(" ");
  const n = (i: number) => Number(f[i]);
  const values = [n(1), n(11), n(12), n(13), n(14), n(19)];
  if (values.some((x) => !Number.isFinite(x))) return undefined;
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    ppid: n(1),
    own: (n(11) + n(12)) / HZ,
    reaped: (n(13) + n(14)) / HZ,
    start: n(19),
  };
}

/** "runStep": a RUN step (runc and what it runs) under the engine, see classify. */
type Kind = "engine" | "runStep" | "self" | "kernel" | "other";

/**
 * The kind of each process of a snapshot, by its ancestry. The snapshot at a build's end has
 * no RUN step of that build left (the build call returns once they are done): a RUN step
 * still running under the engine then is another build's, and classify says "runStep".
 */
export function classify(snap: ProcSnapshot): Map<number, Kind> {
  const byPid = new Map(snap.procs.map((p) => [p.pid, p]));
  const kthreadd = byPid.get(2)?.comm === "kthreadd" ? 2 : undefined;
  const kinds = new Map<number, Kind>();
  const kindOf = (pid: number, depth = 0): Kind => {
    const known = kinds.get(pid);
    if (known) return known;
    const p = byPid.get(pid);
    let kind: Kind;
    if (!p || depth > 64) kind = "other";
    else if (pid === kthreadd || (kthreadd !== undefined && p.ppid === kthreadd)) kind = "kernel";
    else if (pid === snap.enginePid) kind = "engine";
    // Only the process itself: what it starts during a build is not the build's.
    else if (pid === snap.selfPid) kind = "self";
    else if (p.ppid === snap.selfPid || p.ppid <= 1) kind = "other";
    else {
      const parent = kindOf(p.ppid, depth + 1);
      if (parent === "self") kind = "other";
      else if (parent === "engine" && p.comm.startsWith("runc")) kind = "runStep";
      else kind = parent;
    }
    kinds.set(pid, kind);
    return kind;
  };
  for (const p of snap.procs) kindOf(p.pid);
  return kinds;
}

/** Where the CPUs went between two snapshots, per kind; undefined without a positive window. */
export function attributeCpu(before: ProcSnapshot, after: ProcSnapshot): CpuShares | undefined {
  const wall = after.at - before.at;
  if (!(wall > 0)) return undefined;
  const key = (p: ProcStat) => `${p.pid}@${p.start}`;
  const then = new Map(before.procs.map((p) => [key(p), p]));
  const alive = new Set(after.procs.map(key));
  const kinds = classify(after);
  const sums: Record<Kind, number> = { engine: 0, runStep: 0, self: 0, kernel: 0, other: 0 };
  const others = new Map<string, number>();
  /** Seconds of p's own (or, `children`, of its reaped children's) CPU go to its kind. */
  const add = (p: ProcStat, seconds: number, children: boolean) => {
    let kind = kinds.get(p.pid) ?? "other";
    // What shrinkbench itself starts is not shrinkbench's work for the build.
    if (children && kind === "self") kind = "other";
    sums[kind] += seconds;
    const name =
      kind === "runStep" ? "other builds' RUN steps" : children ? `${p.comm}'s children` : p.comm;
    if (kind === "other" || kind === "runStep") others.set(name, (others.get(name) ?? 0) + seconds);
  };
  for (const p of after.procs) {
    const b = then.get(key(p));
    add(p, p.own - (b?.own ?? 0), false);
    add(p, p.reaped - (b?.reaped ?? 0), true);
  }
  // Ended in the window after starting before it: its earlier life came along into an
  // ancestor's reaped counter (the nearest one still alive at the end).
  const beforeByPid = new Map(before.procs.map((p) => [p.pid, p]));
  const afterByKey = new Map(after.procs.map((p) => [key(p), p]));
  for (const p of before.procs) {
    if (alive.has(key(p))) continue;
    let ancestor = beforeByPid.get(p.ppid);
    for (let hops = 0; ancestor && !alive.has(key(ancestor)) && hops < 64; hops++) {
      ancestor = beforeByPid.get(ancestor.ppid);
    }
    const reaper = ancestor && afterByKey.get(key(ancestor));
    if (reaper) add(reaper, -(p.own + p.reaped), true);
  }
  const d = (k: keyof CpuTimes) => Math.max(0, after.cpu[k] - before.cpu[k]);
  const per = (seconds: number) => round2(Math.max(0, seconds) / wall);
  const kernelThreads = Math.max(0, sums.kernel);
  return {
    machineCpu: per(busySeconds(after.cpu) - busySeconds(before.cpu)),
    ...(before.enginePid !== undefined && before.enginePid === after.enginePid
      ? { engineCpu: per(sums.engine) }
      : {}),
    selfCpu: per(sums.self),
    kernelCpu: per(kernelThreads + d("irq") + d("softirq")),
    stealCpu: per(d("steal")),
    otherCpu: per(sums.other + sums.runStep),
    busiestOthers: [...others]
      .map(([name, seconds]) => ({ name, cpu: per(seconds) }))
      .filter((o) => o.cpu >= 0.05)
      .sort((a, b) => b.cpu - a.cpu || a.name.localeCompare(b.name))
      .slice(0, 3),
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
