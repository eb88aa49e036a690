// Findings with a measured price: each is reported only when the image really holds the
// bytes, and says how many. Rules follow hadolint in spirit: DL3042 (pip cache kept),
// DL3009 (apt lists left), DL3019 (apk cache), DL3059 (work that belongs in one RUN spread
// over several: here, cleanup in a later layer, which frees nothing).

import { formatBytes } from "../units.js";
import type { HiddenBytes, StackWalk, VisibleFile } from "./layers.js";
import type {
  CategoryId,
  DuplicateSummary,
  Finding,
  LayerReport,
  PythonBreakdown,
} from "./types.js";

export interface FindingOptions {
  /** Findings below this many bytes are not reported (default 1 MB = 10^6 bytes). */
  minBytes?: number;
}

interface CacheRule {
  id: "pip-cache" | "apt-lists" | "apt-cache" | "apk-cache";
  hadolint?: string;
  what: string;
  /** The directory the bytes are reported under, from a file path. */
  root: (path: string) => string | undefined;
  advice: string;
}

const CACHE_RULES: CacheRule[] = [
  {
    id: "pip-cache",
    hadolint: "DL3042",
    what: "pip cache",
    root: (p) => /^(.*?(?:^|\/)\.cache\/pip)\//.exec(p)?.[1],
    advice: "install with --no-cache-dir (or set PIP_NO_CACHE_DIR=1)",
  },
  {
    id: "apt-lists",
    hadolint: "DL3009",
    what: "apt lists",
    root: (p) => (p.startsWith("var/lib/apt/lists/") ? "var/lib/apt/lists" : undefined),
    advice: "rm -rf /var/lib/apt/lists/* in the same RUN as apt-get update",
  },
  {
    id: "apt-cache",
    hadolint: "DL3009",
    what: "apt package cache",
    root: (p) => (p.startsWith("var/cache/apt/") ? "var/cache/apt" : undefined),
    advice: "apt-get clean (or rm -rf /var/cache/apt/*) in the same RUN as apt-get install",
  },
  {
    id: "apk-cache",
    hadolint: "DL3019",
    what: "apk cache",
    root: (p) =>
      p.startsWith("var/cache/apk/")
        ? "var/cache/apk"
        : p.startsWith("etc/apk/cache/")
          ? "etc/apk/cache"
          : undefined,
    advice: "apk add --no-cache",
  },
];

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function layerName(layers: readonly LayerReport[], index: number): string {
  const l = layers[index];
  return l?.instruction ? `layer ${index + 1} (${l.instruction})` : `layer ${index + 1}`;
}

function layerList(indices: number[]): string {
  const sorted = [...indices].sort((a, b) => a - b).map((i) => i + 1);
  return sorted.length === 1 ? `layer ${sorted[0]}` : `layers ${sorted.join(", ")}`;
}

function topPlaces(h: HiddenBytes, n = 3): string {
  return [...h.byPlace]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([place]) => `/${place}`)
    .join(", ");
}

export function findings(
  walk: StackWalk,
  python: PythonBreakdown,
  duplicates: DuplicateSummary,
  opts: FindingOptions = {},
): Finding[] {
  const minBytes = opts.minBytes ?? 1_000_000;
  const out: Finding[] = [];

  // Caches still in the image.
  for (const rule of CACHE_RULES) {
    const roots = new Map<string, { bytes: number; files: number; layers: Set<number> }>();
    for (const f of walk.visible.values()) {
      if (f.kind !== "file") continue;
      const root = rule.root(f.path);
      if (root === undefined) continue;
      const r = roots.get(root) ?? { bytes: 0, files: 0, layers: new Set<number>() };
      r.bytes += f.size;
      r.files++;
      r.layers.add(f.layer);
      roots.set(root, r);
    }
    for (const [root, r] of roots) {
      if (r.bytes < minBytes || r.bytes === 0) continue;
      out.push({
        id: rule.id,
        ...(rule.hadolint ? { hadolint: rule.hadolint } : {}),
        bytes: r.bytes,
        message: `${rule.what} in /${root}: ${formatBytes(r.bytes)} (${plural(r.files, "file")}, ${layerList([...r.layers])})`,
        advice: rule.advice,
        layers: [...r.layers].sort((a, b) => a - b),
      });
    }
  }

  // Deleted in a later layer: the bytes stay in the layer that added them.
  for (const [layer, h] of walk.deleted) {
    if (h.total < minBytes || h.total === 0) continue;
    const from = [...h.byLayer.keys()];
    out.push({
      id: "cleanup-in-later-layer",
      hadolint: "DL3059",
      bytes: h.total,
      message: `${layerName(walk.layers, layer)} deletes ${formatBytes(h.total)} (${plural(h.files, "file")} in ${topPlaces(h)}) that ${layerList(from)} added: deleting them frees nothing`,
      advice: "delete files in the same RUN that creates them (or build them in another stage)",
      layers: [layer, ...from].sort((a, b) => a - b),
    });
  }

  // Written again by a later layer (chmod/chown -R, reinstalls): both copies are stored.
  for (const [layer, h] of walk.overwritten) {
    if (h.total < minBytes || h.total === 0) continue;
    const from = [...h.byLayer.keys()];
    out.push({
      id: "overwritten-in-later-layer",
      bytes: h.total,
      message: `${layerName(walk.layers, layer)} writes again ${formatBytes(h.total)} of files (${plural(h.files, "file")} in ${topPlaces(h)}) that ${layerList(from)} added: both copies are stored`,
      advice:
        "set owner and mode when the files are created (COPY --chown/--chmod, or in the same RUN)",
      layers: [layer, ...from].sort((a, b) => a - b),
    });
  }

  if (duplicates.savingsBytes >= minBytes && duplicates.savingsBytes > 0) {
    const top = duplicates.groups[0];
    out.push({
      id: "duplicate-files",
      bytes: duplicates.savingsBytes,
      message: `${duplicates.duplicateFiles} byte-identical copies of files (${duplicates.totalGroups} groups): ${formatBytes(duplicates.savingsBytes)} could be saved${top ? `, e.g. ${top.paths.slice(0, 2).join(" and ")}` : ""}`,
      advice:
        "keep one copy (hardlink or symlink the others), e.g. of libraries several wheels vendor",
      layers: [],
    });
  }

  const category = (id: CategoryId) => python.categories.find((c) => c.id === id);
  const tests = category("tests");
  if (tests && tests.bytes >= minBytes && tests.bytes > 0) {
    out.push({
      id: "python-tests",
      bytes: tests.bytes,
      message: `test suites of installed Python packages: ${formatBytes(tests.bytes)} in ${plural(tests.files, "file")}`,
      advice:
        "delete tests/ and testing/ directories after pip install, if the image never runs them",
      layers: layersOf(walk.visible, (p) => /(^|\/)(tests|testing|test)\//.test(p)),
    });
  }

  out.sort((a, b) => b.bytes - a.bytes);
  return out;
}

function layersOf(
  visible: ReadonlyMap<string, VisibleFile>,
  test: (p: string) => boolean,
): number[] {
  const s = new Set<number>();
  for (const f of visible.values()) if (f.kind === "file" && test(f.path)) s.add(f.layer);
  return [...s].sort((a, b) => a - b);
}
