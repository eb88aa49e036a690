// Which rung to adopt: the Pareto frontier of the PASS rungs over size, cold build time and
// import time, the rungs that win on one of them, and one recommended rung. Pure: plain data in,
// plain data out.
//
// Times are samples (one per round of --repeat; src/results/times.ts) and are compared only
// beyond their noise (src/results/stats.ts: a rung is faster when its min–max range lies wholly
// below the other's). Sizes are exact and compared exactly.
//
// - A rung is on the frontier when no other PASS rung is at least as good on all three and
//   better on one, times within each other's noise counting as equal. A missing measure (an old
//   record without import times) counts as worst.
// - Cold build time is the build call plus the post steps (a squash is part of the price).
// - Smallest: least bytes (ties: faster build). Fastest to build / fastest import: the least
//   median (ties: smaller); every rung within the noise of it is listed as tied with it.
// - Recommended: the smallest rung without a caveat whose build and import times are within the
//   noise of the fastest such rung's; if none is on both, on build time alone.
// - Best under a size budget: of the PASS rungs within the budget, the one that builds fastest
//   (ties: faster import, then smaller). Once the image is small enough, the build is the price
//   paid on every change; that rung is always on the frontier.
import type { Recommendation, RungResult } from "../types.js";
import { compareTimes, type Spread } from "./stats.js";
import { coldBuildSpread, importSpread } from "./times.js";

export interface RecommendOptions {
  /** --size-budget in bytes. */
  budgetBytes?: number;
  /** Caveats by rung id (the ladder's `caveat` fields), repeated for every passing rung. */
  caveats?: Record<string, string>;
}

interface Candidate {
  id: string;
  size: number;
  build?: Spread;
  import?: Spread;
}

const worst = Number.POSITIVE_INFINITY;

function candidates(rungs: readonly RungResult[]): Candidate[] {
  return rungs
    .filter((r) => r.status === "PASS" && r.image)
    .map((r) => ({
      id: r.rung,
      size: r.image!.sizeBytes,
      build: coldBuildSpread(r),
      import: importSpread(r),
    }));
}

function dominates(a: Candidate, b: Candidate): boolean {
  const build = compareTimes(a.build, b.build);
  const imp = compareTimes(a.import, b.import);
  const noWorse = a.size <= b.size && build !== 1 && imp !== 1;
  return noWorse && (a.size < b.size || build === -1 || imp === -1);
}

type Key = "size" | "build" | "import";

function value(c: Candidate, k: Key): number {
  if (k === "size") return c.size;
  return c[k]?.median ?? worst;
}

function best(list: readonly Candidate[], keys: readonly Key[]): Candidate | undefined {
  return [...list].sort((a, b) => {
    for (const k of keys) if (value(a, k) !== value(b, k)) return value(a, k) - value(b, k);
    return 0;
  })[0];
}

/** The rungs within the noise of `winner` on `key`, the winner first, then by median and size. */
function tiedWith(list: readonly Candidate[], winner: Candidate, key: "build" | "import") {
  return list
    .filter((c) => c === winner || compareTimes(winner[key], c[key]) === 0)
    .sort((a, b) =>
      a === winner ? -1 : b === winner ? 1 : value(a, key) - value(b, key) || a.size - b.size,
    )
    .map((c) => c.id);
}

/** The one rung to adopt, and why (see the head of this file). */
function pickRecommended(
  all: readonly Candidate[],
  caveats: Record<string, string>,
  samples: number,
): { recommended?: string; reason?: string } {
  const plain = all.filter((c) => !caveats[c.id]);
  const pool = plain.length ? plain : all;
  const fastBuild = best(pool, ["build", "size", "import"]);
  if (!fastBuild) return {};
  const withImport = pool.filter((c) => c.import);
  const fastImport = best(withImport, ["import", "size", "build"]);
  const nearBuild = pool.filter((c) => compareTimes(fastBuild.build, c.build) !== -1);
  const nearBoth = nearBuild.filter(
    (c) => !fastImport || compareTimes(fastImport.import, c.import) !== -1,
  );
  const pick = best(nearBoth.length ? nearBoth : nearBuild, ["size", "build", "import"])!;
  const what = plain.length ? "the smallest rung without a caveat" : "the smallest rung";
  const times = nearBoth.length && fastImport ? "build and import times are" : "build time is";
  const noise =
    samples > 1
      ? `within the noise of the fastest (${samples} samples each)`
      : "the fastest (one sample each: no spread measured, --repeat 3 tells a difference from noise)";
  return { recommended: pick.id, reason: `${what} whose ${times} ${noise}` };
}

export function recommend(
  rungs: readonly RungResult[],
  opts: RecommendOptions = {},
): Recommendation {
  const all = candidates(rungs);
  const frontier = all
    .filter((c) => !all.some((o) => o !== c && dominates(o, c)))
    .sort((a, b) => a.size - b.size || value(a, "build") - value(b, "build"));
  const smallest = best(all, ["size", "build", "import"]);
  const fastestBuild = best(all, ["build", "size", "import"]);
  const withImport = all.filter((c) => c.import);
  const fastestImport = best(withImport, ["import", "size", "build"]);
  const counts = all.flatMap((c) => [c.build?.n, c.import?.n]).filter((n) => n !== undefined);
  const samples = counts.length ? Math.min(...counts) : undefined;
  const rec: Recommendation = {
    frontier: frontier.map((c) => c.id),
    ...(smallest ? { smallest: smallest.id } : {}),
    ...(fastestBuild ? { fastestBuild: fastestBuild.id } : {}),
    ...(fastestImport ? { fastestImport: fastestImport.id } : {}),
    notes: [],
  };
  const ties: NonNullable<Recommendation["ties"]> = {};
  if (fastestBuild?.build) {
    const t = tiedWith(all, fastestBuild, "build");
    if (t.length > 1) ties.build = t;
  }
  if (fastestImport) {
    const t = tiedWith(withImport, fastestImport, "import");
    if (t.length > 1) ties.import = t;
  }
  if (ties.build || ties.import) rec.ties = ties;
  if (samples !== undefined) rec.samples = samples;
  Object.assign(rec, pickRecommended(all, opts.caveats ?? {}, samples ?? 1));
  if (opts.budgetBytes !== undefined) {
    const within = all.filter((c) => c.size <= opts.budgetBytes!);
    const pick = best(within, ["build", "import", "size"]);
    rec.budget = { bytes: opts.budgetBytes, ...(pick ? { best: pick.id } : {}) };
  }
  // Any passing rung can be adopted from the table: each one's caveat is repeated.
  for (const c of all) {
    const caveat = opts.caveats?.[c.id];
    if (caveat) rec.notes.push(`${c.id}: ${caveat}`);
  }
  return rec;
}
