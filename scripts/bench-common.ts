// Shared pieces of the benchmarks (scripts/bench-*.ts, compiled by tsconfig.bench.json):
// timing a child process with its peak RSS, what else is using the engine, medians, writing
// results/<name>.{json,md}.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";

export interface Timed {
  seconds: number;
  /** Peak resident memory of the child (VmHWM, sampled every 50 ms). */
  peakRssBytes: number;
  code: number;
}

/** Runs a command, timing it from spawn to exit; output goes to `log` (a file descriptor) or nowhere. */
export function timed(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; stdout?: number | "ignore" | "inherit" } = {},
): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, {
      stdio: ["ignore", opts.stdout ?? "ignore", "inherit"],
      env: opts.env ?? process.env,
    });
    let peak = 0;
    const sample = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
        peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024);
      } catch {
        // Exited between samples.
      }
    }, 50);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearInterval(sample);
      resolve({
        seconds: (performance.now() - started) / 1000,
        peakRssBytes: peak,
        code: code ?? 1,
      });
    });
  });
}

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** What else is running on this machine's engine right now: it distorts any timing. */
export function otherActivity(): { runningContainers: number; processes: string[] } {
  let runningContainers = -1;
  try {
    runningContainers = sh("docker", ["ps", "-q"]).split("\n").filter(Boolean).length;
  } catch {
    // No docker CLI: unknown.
  }
  const processes = sh("ps", ["-eo", "pid,args"])
    .split("\n")
    .filter((l) =>
      /vitest|dist\/bin\.js (run|check|inspect)|docker (build|save|load)|\.mjs|bench\//.test(l),
    )
    .filter((l) => !l.includes("bench-") && Number(l.trim().split(/\s+/)[0]) !== process.pid)
    .map((l) => l.trim().slice(0, 160));
  return { runningContainers, processes };
}

/** CPU time (user + system) of dockerd so far, in seconds; undefined when it cannot be read. */
export function dockerdCpuSeconds(): number | undefined {
  try {
    const pid = sh("pidof", ["dockerd"]).trim().split(/\s+/)[0];
    // Fields after the command name: utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** dockerd's CPU use over `ms`, in % of one CPU. */
export async function dockerdBusyPercent(ms = 3000): Promise<number | undefined> {
  const a = dockerdCpuSeconds();
  await new Promise((r) => setTimeout(r, ms));
  const b = dockerdCpuSeconds();
  return a === undefined || b === undefined ? undefined : ((b - a) / (ms / 1000)) * 100;
}

/**
 * Waits (up to `maxSeconds`) until the engine is quiet: dockerd under 5% of a CPU for 3 s and
 * no other build, test run or image stream on the machine. Says what it saw either way.
 */
export async function waitForIdle(
  maxSeconds = 900,
): Promise<{ idle: boolean; dockerdPercent?: number; waitedSeconds: number }> {
  const t0 = performance.now();
  for (;;) {
    const busy = await dockerdBusyPercent();
    const other = otherActivity();
    const waited = (performance.now() - t0) / 1000;
    if ((busy ?? 0) < 5 && other.processes.length === 0 && other.runningContainers <= 0) {
      return { idle: true, dockerdPercent: busy, waitedSeconds: Math.round(waited) };
    }
    if (waited > maxSeconds)
      return { idle: false, dockerdPercent: busy, waitedSeconds: Math.round(waited) };
    log(
      `waiting for a quiet engine (dockerd ${busy?.toFixed(0)}% CPU, ${other.runningContainers} containers, ${other.processes.length} other processes)`,
    );
    await new Promise((r) => setTimeout(r, 10_000));
  }
}

/** How a benchmark began: whether the engine was quiet, and what else was running. */
export interface BenchStart {
  quiet: Awaited<ReturnType<typeof waitForIdle>>;
  before: ReturnType<typeof otherActivity>;
  startedAt: string;
}

/** Waits for a quiet engine (BENCH_WAIT seconds, else `defaultWait`) and notes what else runs. */
export async function benchStart(defaultWait: number): Promise<BenchStart> {
  const quiet = await waitForIdle(Number(process.env.BENCH_WAIT ?? defaultWait));
  return { quiet, before: otherActivity(), startedAt: new Date().toISOString() };
}

/**
 * The record every benchmark writes: its name and `fields`, framed by when it ran, on what
 * machine and beside what else, so that a figure is never read without its conditions.
 */
export async function benchRecord<T extends object>(
  benchmark: string,
  start: BenchStart,
  fields: T,
): Promise<Record<string, unknown> & T> {
  const after = otherActivity();
  return {
    benchmark,
    startedAt: start.startedAt,
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length },
    quietAtStart: start.quiet,
    otherActivity: { before: start.before, after, dockerdPercentAtEnd: await dockerdBusyPercent() },
    ...fields,
  };
}

/** The markdown sentence on the conditions; `caveat` says what a busy machine means for the figures. */
export function conditionsSentence(start: BenchStart, caveat: string): string {
  return start.quiet.idle
    ? "The engine was quiet when it started."
    : `**The machine was busy** (dockerd ${start.quiet.dockerdPercent?.toFixed(0)}% CPU at the start, other sessions' builds and tests): ${caveat}.`;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const round2 = (x: number) => Math.round(x * 100) / 100;
export const mb = (bytes: number) => Math.round(bytes / 1e6);

export function writeResults(name: string, json: unknown, markdown: string): void {
  writeFileSync(`results/${name}.json`, JSON.stringify(json, null, 2) + "\n");
  writeFileSync(`results/${name}.md`, markdown);
  console.error(`wrote results/${name}.json and results/${name}.md`);
}

export function log(s: string): void {
  console.error(`${new Date().toISOString().slice(11, 19)} ${s}`);
}
