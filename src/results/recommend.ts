// Which rung to adopt: the Pareto frontier of the PASS rungs over size, cold build time and
// import time, and the rungs that win on one of them. Pure: plain data in, plain data out.
//
// - A rung is on the frontier when no other PASS rung is at least as good on all three and
//   better on one. A missing measure (an old record without import times) counts as worst.
// - Cold build time is the build call plus the post steps (a squash is part of the price).
// - Smallest: least bytes (ties: faster build). Fastest to build: least build time (ties:
//   smaller). Fastest import: least import time (ties: smaller).
// - Best under a size budget: of the PASS rungs within the budget, the one that builds fastest
//   (ties: faster import, then smaller). Once the image is small enough, the build is the price
//   paid on every change; that rung is always on the frontier.
import type { Recommendation, RungResult } from "../types.js";

export interface RecommendOptions {
  /** --size-budget in bytes. */
  budgetBytes?: number;
  /** Caveats by rung id (the ladder's `caveat` fields), repeated for every passing rung. */
  caveats?: Record<string, string>;
}

interface Candidate {
  id: string;
  size: number;
  build: number;
  import: number;
}

const worst = Number.POSITIVE_INFINITY;

function candidates(rungs: readonly RungResult[]): Candidate[] {
  return rungs
    .filter((r) => r.status === "PASS" && r.image)
    .map((r) => ({
      id: r.rung,
      size: r.image!.sizeBytes,
      build: r.buildSeconds === undefined ? worst : r.buildSeconds + (r.postSeconds ?? 0),
      import: r.smoke?.importSeconds ?? worst,
    }));
}

function dominates(a: Candidate, b: Candidate): boolean {
  const noWorse = a.size <= b.size && a.build <= b.build && a.import <= b.import;
  const better = a.size < b.size || a.build < b.build || a.import < b.import;
  return noWorse && better;
}

type Key = "size" | "build" | "import";

function best(list: readonly Candidate[], keys: readonly Key[]): Candidate | undefined {
  return [...list].sort((a, b) => {
    for (const k of keys) if (a[k] !== b[k]) return a[k] - b[k];
    return 0;
  })[0];
}

export function recommend(
  rungs: readonly RungResult[],
  opts: RecommendOptions = {},
): Recommendation {
  const all = candidates(rungs);
  const frontier = all
    .filter((c) => !all.some((o) => o !== c && dominates(o, c)))
    .sort((a, b) => a.size - b.size || a.build - b.build);
  const smallest = best(all, ["size", "build", "import"]);
  const fastestBuild = best(all, ["build", "size", "import"]);
  const withImport = all.filter((c) => c.import !== worst);
  const fastestImport = best(withImport, ["import", "size", "build"]);
  const rec: Recommendation = {
    frontier: frontier.map((c) => c.id),
    ...(smallest ? { smallest: smallest.id } : {}),
    ...(fastestBuild ? { fastestBuild: fastestBuild.id } : {}),
    ...(fastestImport ? { fastestImport: fastestImport.id } : {}),
    notes: [],
  };
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
