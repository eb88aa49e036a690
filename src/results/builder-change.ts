// Why two records of the same requirements and bases can differ by a few hundred bytes: the
// builder. The engine sizes a layer the classic builder made by walking its files, symlinks
// included (a symlink counts the length of its target); a layer BuildKit made is sized from its
// tar, where a symlink is 0 bytes. Measured (issue 18): minimal on the small set is 481 bytes
// smaller under BuildKit, exactly its 27 symlinks' targets; traced 138 bytes (9 symlinks). Pure.
import type { RunRecord, RungResult } from "../types.js";

/** Records from before builders were recorded were built by the classic builder. */
function builderOf(r: RungResult, record: RunRecord): "buildkit" | "classic" {
  return r.builder ?? record.builder ?? "classic";
}

/** A note when rungs compared were built by different builders, or nothing. */
export function builderChangeNotes(baseline: RunRecord, current: RunRecord): string[] {
  const was = new Map(baseline.rungs.map((r) => [r.rung, builderOf(r, baseline)]));
  const changed = new Map<string, string[]>();
  for (const r of current.rungs) {
    const before = was.get(r.rung);
    const now = builderOf(r, current);
    if (r.status !== "PASS" || before === undefined || before === now) continue;
    const key = `${before} → ${now}`;
    changed.set(key, [...(changed.get(key) ?? []), r.rung]);
  }
  return [...changed].map(
    ([key, rungs]) =>
      `builder changed (${key}) for ${rungs.join(", ")}: the engine counts a symlink's target ` +
      "in a classic builder's layer and not in BuildKit's, so sizes can differ by a few hundred " +
      "bytes with the same files",
  );
}
