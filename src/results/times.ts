// A rung's times as samples: cold build (build call + post steps) and import time, one per round
// of --repeat, and the build time as a ratio to a reference rung timed in the same round. Records
// written before --repeat hold one value: it is one sample. Pure.
import type { BuildLoad, RungResult } from "../types.js";
import { median, summarize, type Spread } from "./stats.js";

/** The rung ratios are measured against unless --reference-rung says otherwise. */
export const DEFAULT_REFERENCE_RUNG = "slim";

/** Cold build time of every round: the build call plus the post steps (a squash is paid too). */
export function coldBuildSamples(r: RungResult): number[] {
  if (r.buildSamples?.length) {
    return r.buildSamples.map((b, i) => b + (r.postSamples?.[i] ?? r.postSeconds ?? 0));
  }
  return r.buildSeconds === undefined ? [] : [r.buildSeconds + (r.postSeconds ?? 0)];
}

export function importSamples(r: RungResult): number[] {
  if (r.smoke?.importSamples?.length) return r.smoke.importSamples;
  return r.smoke?.importSeconds === undefined ? [] : [r.smoke.importSeconds];
}

export function coldBuildSpread(r: RungResult): Spread | undefined {
  return summarize(coldBuildSamples(r));
}

export function importSpread(r: RungResult): Spread | undefined {
  return summarize(importSamples(r));
}

/**
 * Each rung's cold build time over the reference rung's, round by round (a round's drift hits
 * both alike). Only rungs with a sample in every round the reference has get ratios; the
 * reference's own ratio is 1. Without a reference result, the rungs come back unchanged.
 */
export function withBuildRatios(
  rungs: readonly RungResult[],
  reference: string,
): { rungs: RungResult[]; reference?: string } {
  const ref = rungs.find((r) => r.rung === reference && r.status === "PASS");
  const refSamples = ref ? coldBuildSamples(ref) : [];
  if (!ref || refSamples.length === 0 || refSamples.some((s) => s <= 0)) {
    return { rungs: [...rungs] };
  }
  return {
    reference,
    rungs: rungs.map((r) => {
      const samples = coldBuildSamples(r);
      if (r.status !== "PASS" || samples.length !== refSamples.length) return r;
      const ratios = samples.map((s, i) => s / refSamples[i]!);
      return { ...r, buildRatioSamples: ratios, buildRatio: median(ratios) };
    }),
  };
}

/**
 * CPU used by competitors (other processes, the hypervisor's steal), as a share of the machine's
 * CPUs, above which a build shared the machine: a quarter (half a CPU of two). A build alone
 * stays far under it: on a BuildKit build measured process by process (issue 18), the build's
 * work outside the engine's process tree (kernel threads, interrupts) was 0.02-0.1 CPU and is
 * not counted; shrinkbench's own share (serving packages, sending the context) is work for the
 * build and not counted either.
 */
export const OTHER_CPU_SHARE_BAR = 0.25;

/** A build's competition in CPUs, and how it reads; undefined where the engine's was unknown. */
function competition(l: BuildLoad): { cpu: number; text: string } | undefined {
  if (l.machineCpu === undefined || l.engineCpu === undefined) return undefined;
  if (l.otherCpu === undefined) {
    // Records from before the process-by-process attribution: everything outside the engine.
    const cpu = Math.max(0, l.machineCpu - l.engineCpu - (l.selfCpu ?? 0));
    return { cpu, text: `${cpu.toFixed(1)} of ${l.cpus} CPUs busy outside the engine` };
  }
  const steal = l.stealCpu ?? 0;
  const parts: string[] = [];
  // Parts that print as 0.0 say nothing.
  if (l.otherCpu >= 0.05) {
    const names = (l.busiestOthers ?? []).map((o) => `${o.name} ${o.cpu.toFixed(1)}`);
    parts.push(
      `${l.otherCpu.toFixed(1)} of ${l.cpus} CPUs busy with other processes` +
        (names.length ? ` (${names.join(", ")})` : ""),
    );
  }
  if (steal >= 0.05) parts.push(`${steal.toFixed(1)} taken by the hypervisor (steal)`);
  return { cpu: l.otherCpu + steal, text: parts.join(", ") };
}

/**
 * Why a rung's times were taken on a busy machine, or undefined. Busy: another build of this run
 * overlapped one of its builds, or the machine's load average before a build already exceeded
 * its CPUs (more runnable work than CPUs before the build even began), or during a build other
 * processes and the hypervisor took more than OTHER_CPU_SHARE_BAR of the machine's CPUs. Not
 * competition: the local engine with everything under it (the RUN steps), shrinkbench itself,
 * and the kernel's threads and interrupts. A sequential run's own previous build leaves a load
 * of about 1, which stays under the bar on two CPUs or more.
 */
export function busyReason(loads: readonly BuildLoad[] | undefined): string | undefined {
  if (!loads?.length) return undefined;
  const reasons: string[] = [];
  const overlapped = Math.max(...loads.map((l) => l.concurrentBuilds));
  if (overlapped > 0) reasons.push(`${overlapped} other build(s) of this run at the same time`);
  const worst = loads.reduce((a, b) => (b.loadBefore / b.cpus > a.loadBefore / a.cpus ? b : a));
  if (worst.loadBefore > worst.cpus) {
    reasons.push(`load average ${worst.loadBefore.toFixed(1)} on ${worst.cpus} CPUs before a build`);
  }
  let most: { cpu: number; text: string; cpus: number } | undefined;
  for (const l of loads) {
    const c = competition(l);
    if (c && (!most || c.cpu / l.cpus > most.cpu / most.cpus)) most = { ...c, cpus: l.cpus };
  }
  if (most && most.cpu / most.cpus > OTHER_CPU_SHARE_BAR) {
    reasons.push(`${most.text} during a build`);
  }
  return reasons.length ? reasons.join("; ") : undefined;
}

/**
 * Folds one more round of a rung (--repeat) into its result so far: every sample kept, the
 * medians as the headline values. A later round that fails makes the rung FAILED (a rung that
 * passes only sometimes does not count); one that never ran (interrupted) changes nothing.
 */
export function mergeRound(acc: RungResult, next: RungResult, round: number): RungResult {
  if (acc.status !== "PASS" || next.status === "SKIPPED") return acc;
  if (next.status !== "PASS") {
    return {
      ...acc,
      status: "FAILED",
      reason: `round ${round}: ${next.reason ?? "failed"}`,
      ...(next.logTail ? { logTail: next.logTail } : {}),
      finishedAt: next.finishedAt,
    };
  }
  const builds = [...(acc.buildSamples ?? [acc.buildSeconds ?? 0]), next.buildSeconds ?? 0];
  const post =
    acc.postSeconds !== undefined || next.postSeconds !== undefined
      ? [...(acc.postSamples ?? [acc.postSeconds ?? 0]), next.postSeconds ?? 0]
      : undefined;
  const prevImports = acc.smoke?.importSamples ?? importSamples(acc);
  const imports =
    next.smoke?.importSeconds !== undefined
      ? [...prevImports, next.smoke.importSeconds]
      : prevImports;
  const buildLoad = [...(acc.buildLoad ?? []), ...(next.buildLoad ?? [])];
  const merged: RungResult = {
    ...acc,
    buildSamples: builds,
    buildSeconds: median(builds),
    ...(post ? { postSamples: post, postSeconds: median(post) } : {}),
    ...(buildLoad.length ? { buildLoad } : {}),
    finishedAt: next.finishedAt,
  };
  if (acc.smoke && imports.length) {
    merged.smoke = { ...acc.smoke, importSamples: imports, importSeconds: median(imports) };
  }
  const busy = busyReason(merged.buildLoad);
  if (busy) merged.busy = busy;
  return merged;
}
