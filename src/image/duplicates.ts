// Byte-identical files (same sha256 and size) visible more than once in the image. Hardlinks
// share one copy and are not duplicates; empty files are left out.

import type { VisibleFile } from "./layers.js";
import type { DuplicateGroup, DuplicateSummary } from "./types.js";

const SHARED_LIBRARY = /\.so(\.\d+)*$/;

export function findDuplicates(
  visible: ReadonlyMap<string, VisibleFile>,
  top = 50,
): DuplicateSummary {
  const bySha = new Map<string, VisibleFile[]>();
  for (const f of visible.values()) {
    if (f.kind !== "file" || f.size === 0 || !f.sha256) continue;
    const key = `${f.sha256}:${f.size}`;
    const list = bySha.get(key);
    if (list) list.push(f);
    else bySha.set(key, [f]);
  }
  const groups: DuplicateGroup[] = [];
  let savingsBytes = 0;
  let duplicateFiles = 0;
  for (const list of bySha.values()) {
    if (list.length < 2) continue;
    const first = list[0] as VisibleFile;
    const paths = list.map((f) => `/${f.path}`).sort();
    const savings = first.size * (list.length - 1);
    savingsBytes += savings;
    duplicateFiles += list.length - 1;
    groups.push({
      sha256: first.sha256 as string,
      size: first.size,
      paths,
      savingsBytes: savings,
      sharedLibrary: paths.some((p) => SHARED_LIBRARY.test(p)),
    });
  }
  groups.sort(
    (a, b) =>
      Number(b.sharedLibrary) - Number(a.sharedLibrary) ||
      b.savingsBytes - a.savingsBytes ||
      (a.sha256 < b.sha256 ? -1 : 1),
  );
  return { groups: groups.slice(0, top), totalGroups: groups.length, duplicateFiles, savingsBytes };
}
