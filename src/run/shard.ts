// `run --shard K/N`: which rungs of a ladder shard K of N builds. Every rung goes to exactly one
// shard; the assignment depends only on the ladder's rungs (in order), N and the weights, so each
// CI runner of a matrix computes the same split without talking to the others. Pure.
//
// Balance: longest processing time first. Rungs are taken heaviest first (ties: ladder order) and
// each goes to the shard with the least weight so far (ties: the lowest shard). That is within
// 4/3 of the best possible longest shard, and it is stable: the same input gives the same split
// on every machine (the arithmetic is the same IEEE doubles in the same order everywhere).
//
// Weights are expected cold-build costs. Without a previous record they are estimates from the
// rung's shape (estimateWeight); with one (`--shard-weights record.json`) they are that record's
// cold build times, and rungs it does not time get their estimate scaled to its seconds.
import { createHash } from "node:crypto";
import { InputError } from "../errors.js";
import type { Ladder, Rung, RunRecord, ShardInfo } from "../types.js";
import { coldBuildSamples } from "../results/times.js";
import { median } from "../results/stats.js";

/** Shard K of N, 1-based. */
export interface ShardSpec {
  index: number;
  count: number;
}

/** A rung to place and what it is expected to cost (any unit, the same for every rung). */
export interface WeightedRung {
  id: string;
  weight: number;
}

const SHARD_HINT =
  "--shard K/N: K is this runner's share (1 to N), N the number of runners, e.g. --shard 2/4; " +
  "in GitHub Actions --shard ${{ matrix.shard }}/4, in GitLab --shard $CI_NODE_INDEX/$CI_NODE_TOTAL";

/** Parses `K/N`; anything else, K outside 1..N or N above `rungCount` is bad input. */
export function parseShardSpec(text: string, rungCount?: number): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new InputError(`--shard ${text}: expected K/N, e.g. 1/4`, SHARD_HINT);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new InputError(`--shard ${text}: N must be at least 1`, SHARD_HINT);
  if (index < 1 || index > count) {
    throw new InputError(`--shard ${text}: K must be between 1 and ${count}`, SHARD_HINT);
  }
  if (rungCount !== undefined && count > rungCount) {
    throw new InputError(
      `--shard ${text}: ${count} shards for ${rungCount} rung${rungCount === 1 ? "" : "s"}: a shard would build nothing`,
      `use at most ${rungCount} shards for this ladder (or fewer --rung selections)`,
    );
  }
  return { index, count };
}

/**
 * What a rung is expected to cost before anything was measured, relative to a single-stage
 * install (1). Shaped on the modern ladder's cold builds: a builder stage adds a second image to
 * assemble and a copy (+0.25), a FROM-scratch rootfs more on top (+0.25), a squash re-exports
 * and re-imports the image (+0.5 per post step).
 */
export function estimateWeight(rung: Pick<Rung, "builder" | "scratch" | "post">): number {
  let w = 1;
  if (rung.builder) w += 0.25;
  if (rung.scratch) w += 0.25;
  w += 0.5 * rung.post.length;
  return w;
}

/**
 * The weights of `rungs`: a previous record's cold build times (build call + post steps, the
 * median over --repeat rounds) where it has them; elsewhere the estimate, scaled to the record's
 * seconds by the rungs that have both, so both kinds of weight are in one unit.
 */
export function rungWeights(rungs: readonly Rung[], previous?: RunRecord): WeightedRung[] {
  const measured = new Map<string, number>();
  for (const r of previous?.rungs ?? []) {
    const samples = coldBuildSamples(r);
    if (r.status === "PASS" && samples.length) measured.set(r.rung, median(samples));
  }
  const known = rungs.filter((r) => measured.has(r.id));
  const estimateSum = known.reduce((s, r) => s + estimateWeight(r), 0);
  const measuredSum = known.reduce((s, r) => s + measured.get(r.id)!, 0);
  const scale = estimateSum > 0 && measuredSum > 0 ? measuredSum / estimateSum : 1;
  return rungs.map((r) => ({
    id: r.id,
    weight: measured.get(r.id) ?? estimateWeight(r) * scale,
  }));
}

/**
 * Splits rungs (in ladder order) into `count` shards, longest processing time first. Each shard
 * lists its rungs in ladder order; shard i is element i-1.
 */
export function assignShards(rungs: readonly WeightedRung[], count: number): string[][] {
  const order = rungs.map((r, i) => ({ ...r, i })).sort((a, b) => b.weight - a.weight || a.i - b.i);
  const loads = Array.from({ length: count }, () => 0);
  const members: number[][] = Array.from({ length: count }, () => []);
  for (const r of order) {
    let target = 0;
    for (let s = 1; s < count; s++) if (loads[s]! < loads[target]!) target = s;
    loads[target]! += r.weight;
    members[target]!.push(r.i);
  }
  return members.map((m) => m.sort((a, b) => a - b).map((i) => rungs[i]!.id));
}

/** Which shard of N builds which rungs. */
export interface ShardPlan {
  spec: ShardSpec;
  /** This shard's ladder: only its rungs. */
  ladder: Ladder;
  /** Every rung of the whole (selected) ladder, in order. */
  ladderRungs: string[];
  /** Each shard's rungs, shard 1 first. */
  shards: string[][];
  weights: "estimate" | "record";
}

/** The share of `ladder` that shard `spec` builds. */
export function planShard(ladder: Ladder, spec: ShardSpec, previous?: RunRecord): ShardPlan {
  const shards = assignShards(rungWeights(ladder.rungs, previous), spec.count);
  const mine = new Set(shards[spec.index - 1]);
  return {
    spec,
    ladder: { ...ladder, rungs: ladder.rungs.filter((r) => mine.has(r.id)) },
    ladderRungs: ladder.rungs.map((r) => r.id),
    shards,
    weights: previous ? "record" : "estimate",
  };
}

/**
 * sha256 over what decides how each rung builds (not its title or description), in ladder order:
 * shards of two different ladder files with the same name do not merge.
 */
export function ladderHash(ladder: Ladder): string {
  const rungs = ladder.rungs.map((r) => ({
    id: r.id,
    base: r.base,
    builder: r.builder ?? null,
    template: r.template,
    args: Object.fromEntries(
      Object.entries(r.args).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ),
    context: r.context,
    post: r.post,
    scratch: r.scratch ?? false,
    needs: r.needs ?? null,
  }));
  return `sha256:${createHash("sha256").update(JSON.stringify(rungs)).digest("hex")}`;
}

/** What the record of shard `plan.spec` says about its share; `whole` is the unsharded ladder. */
export function shardInfo(plan: ShardPlan, whole: Ladder): ShardInfo {
  const caveats = Object.fromEntries(
    whole.rungs.flatMap((r) => (r.caveat ? [[r.id, r.caveat]] : [])),
  );
  return {
    index: plan.spec.index,
    count: plan.spec.count,
    ladderRungs: plan.ladderRungs,
    ladderHash: ladderHash(whole),
    rungs: plan.ladder.rungs.map((r) => r.id),
    split: plan.shards,
    weights: plan.weights,
    ...(Object.keys(caveats).length ? { caveats } : {}),
  };
}
