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
import { formatBytes, formatSeconds, formatShortSeconds } from "../units.js";

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

function describeRung(r: RungResult | undefined): string {
  if (!r?.image) return "";
  const parts = [formatBytes(r.image.sizeBytes)];
  if (r.buildSeconds !== undefined)
    parts.push(`build ${formatSeconds(r.buildSeconds + (r.postSeconds ?? 0))}`);
  if (r.smoke?.importSeconds !== undefined)
    parts.push(`import ${formatShortSeconds(r.smoke.importSeconds)}`);
  return ` (${parts.join(", ")})`;
}

/** The recommendation as lines of text: `[label, value]` pairs, rendered by the callers. */
export function recommendationLines(
  rec: Recommendation,
  rungs: readonly RungResult[],
): [string, string][] {
  const byId = new Map(rungs.map((r) => [r.rung, r]));
  const show = (id: string | undefined) => (id ? `${id}${describeRung(byId.get(id))}` : "none");
  const lines: [string, string][] = [];
  if (rec.frontier.length === 0) {
    lines.push(["recommendation", "none: no rung passed its smoke test"]);
    return lines;
  }
  lines.push(["Pareto frontier", rec.frontier.join(", ")]);
  lines.push(["smallest", show(rec.smallest)]);
  lines.push(["fastest to build", show(rec.fastestBuild)]);
  if (rec.fastestImport) lines.push(["fastest import", show(rec.fastestImport)]);
  if (rec.budget) {
    lines.push([
      `best within ${formatBytes(rec.budget.bytes)}`,
      rec.budget.best ? show(rec.budget.best) : "none: no passing rung fits the budget",
    ]);
  }
  for (const note of rec.notes) lines.push(["warning", note]);
  return lines;
}

/** Plain text for under the terminal table. */
export function renderRecommendationText(
  rec: Recommendation,
  rungs: readonly RungResult[],
): string {
  const lines = recommendationLines(rec, rungs);
  const width = Math.max(...lines.map(([label]) => label.length));
  return (
    "Recommendation (PASS rungs; frontier over size, cold build time and import time):\n" +
    lines.map(([label, value]) => `  ${(label + ":").padEnd(width + 1)} ${value}`).join("\n") +
    "\n"
  );
}

/** A markdown section for the run's .md record. */
export function renderRecommendationMarkdown(
  rec: Recommendation,
  rungs: readonly RungResult[],
): string[] {
  const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/</g, "&lt;");
  return [
    "## Recommendation",
    "",
    "Among the rungs that passed their smoke test, over size, cold build time and import time:",
    "",
    ...recommendationLines(rec, rungs).map(([label, value]) =>
      label === "warning" ? `- **warning**: ${esc(value)}` : `- ${label}: ${esc(value)}`,
    ),
  ];
}
