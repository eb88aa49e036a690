// The decisions of a squash, as pure data: given the entry lists of the base image's layers
// and of the layers a Dockerfile added on top, which entries go into the ONE merged layer
// that replaces the added ones, and which whiteouts it must carry. The layers are stacked
// with the overlay model of overlay.ts.
//
// The merged layer keeps each path's top-most version among the added layers, drops what
// the added layers deleted, and whites out only paths that the base has and the added
// layers deleted. A base directory that the added layers emptied (opaque marker, or
// deleted and created again) gets an opaque marker instead of one whiteout per child.

import {
  LayerStack,
  opaqueName,
  whiteoutName,
  type MergeEntry,
  type MergeKind,
  type StackedNode,
} from "./overlay.js";
import { normalizePath, parentOf } from "./paths.js";

/** What to write into the merged layer. `layer` indexes the added layers (0 = first added). */
export type MergeOp =
  /** Copy the entry: its header, and its content for a regular file. */
  | { op: "copy"; layer: number; entry: number }
  /** A whiteout for a base path: `<dir>/.wh.<name>`. */
  | { op: "whiteout"; path: string }
  /** An opaque marker for a base directory: `<dir>/.wh..wh..opq`. */
  | { op: "opaque"; dir: string }
  /** A hardlink whose target version is not in the merged layer, written as a regular file
   * at the link's name with the content of `source` (an earlier entry of the same layer). */
  | { op: "materialize"; layer: number; entry: number; source: number }
  /** A hardlink written with its linkname replaced by `target` (a materialized path). */
  | { op: "relink"; layer: number; entry: number; target: string };

export interface SquashPlan {
  /** Entries without content (directories, symlinks, devices, whiteouts, opaque markers),
   * sorted by the name they are written under, so that parents come before children. */
  headerOnly: MergeOp[];
  /** For each added layer: what to write when entry N of that layer is read (content ops,
   * in the layer's own order; hardlinks always after the file they link to). */
  onEntry: Map<number, MergeOp[]>[];
  stats: {
    /** Entries copied as they are. */
    copied: number;
    whiteouts: number;
    opaque: number;
    /** Hardlinks turned into files or re-pointed. */
    materialized: number;
  };
}

/**
 * Plans the merge of `added` (entry lists, bottom first) on top of `base`.
 * Only names and kinds of the base entries are used.
 */
export function planSquash(
  base: readonly MergeEntry[][],
  added: readonly MergeEntry[][],
): SquashPlan {
  const stack = new LayerStack();
  base.forEach((entries, i) => stack.apply(i - base.length, entries)); // base layers: negative
  stack.settle();
  const baseKinds = new Map<string, MergeKind>();
  const baseParents = new Set<string>();
  for (const [path, node] of stack.nodes) {
    baseKinds.set(path, node.kind);
    baseParents.add(parentOf(path));
  }
  added.forEach((entries, i) => stack.apply(i, entries));
  const final = stack.nodes;

  const headerOnly: { name: string; op: MergeOp }[] = [];
  const onEntry = added.map(() => new Map<number, MergeOp[]>());
  const schedule = (layer: number, at: number, op: MergeOp) => {
    const ops = onEntry[layer]?.get(at);
    if (ops) ops.push(op);
    else onEntry[layer]?.set(at, [op]);
  };
  const stats = { copied: 0, whiteouts: 0, opaque: 0, materialized: 0 };

  // Per layer: name → entry indices, to find what a hardlink links to.
  const byName = added.map((entries) => {
    const m = new Map<string, number[]>();
    entries.forEach((e, i) => {
      const p = normalizePath(e.name);
      m.set(p, [...(m.get(p) ?? []), i]);
    });
    return m;
  });
  /** The regular-file entry a hardlink at `entry` shares its content with, in the same layer. */
  const sourceOf = (layer: number, entry: number): number | undefined => {
    let at = entry;
    for (let hops = 0; hops < 32; hops++) {
      const e = added[layer]?.[at];
      if (!e) return undefined;
      if (e.kind !== "hardlink") return e.kind === "file" ? at : undefined;
      const candidates = byName[layer]?.get(normalizePath(e.linkname ?? "")) ?? [];
      const before = candidates.filter((i) => i < at);
      const next = before[before.length - 1];
      if (next === undefined) return undefined;
      at = next;
    }
    return undefined;
  };

  const materialize = new Map<string, { layer: number; source: number; links: number[] }>();
  for (const [path, node] of final) {
    if (node.layer < 0 || node.entry < 0) continue; // base version, or an implied directory
    const entry = added[node.layer]?.[node.entry];
    if (!entry) continue;
    if (node.kind === "file") {
      schedule(node.layer, node.entry, { op: "copy", layer: node.layer, entry: node.entry });
      stats.copied++;
    } else if (node.kind === "hardlink") {
      const source = sourceOf(node.layer, node.entry);
      const target = normalizePath(entry.linkname ?? "");
      const winner = final.get(target);
      if (
        source === undefined ||
        (winner && winner.layer === node.layer && winner.entry === source && target !== path)
      ) {
        // Its target is written earlier in the merged tar (same layer, earlier entry), or
        // it links outside its own layer and can only be kept as it is.
        schedule(node.layer, node.entry, { op: "copy", layer: node.layer, entry: node.entry });
        stats.copied++;
      } else {
        const key = `${node.layer}:${source}`;
        const group = materialize.get(key) ?? { layer: node.layer, source, links: [] };
        group.links.push(node.entry);
        materialize.set(key, group);
      }
    } else {
      headerOnly.push({
        name: path,
        op: { op: "copy", layer: node.layer, entry: node.entry },
      });
      stats.copied++;
    }
  }
  for (const group of materialize.values()) {
    group.links.sort((a, b) => a - b);
    const [first, ...rest] = group.links as [number, ...number[]];
    schedule(group.layer, group.source, {
      op: "materialize",
      layer: group.layer,
      entry: first,
      source: group.source,
    });
    const firstName = normalizePath(added[group.layer]?.[first]?.name ?? "");
    for (const link of rest) {
      schedule(group.layer, group.source, {
        op: "relink",
        layer: group.layer,
        entry: link,
        target: firstName,
      });
    }
    stats.materialized += group.links.length;
  }
  for (const ops of onEntry) {
    for (const list of ops.values()) list.sort((a, b) => opEntry(a) - opEntry(b));
  }

  // Base directories emptied by the added layers: one opaque marker each (outermost only).
  const opaque = new Set<string>();
  const covered = (dir: string): boolean => {
    for (let d = dir; ; d = parentOf(d)) {
      if (opaque.has(d)) return true;
      if (d === "") return false;
    }
  };
  const paths = [...final.keys()].sort();
  for (const path of paths) {
    const node = final.get(path) as StackedNode;
    if (
      node.kind === "dir" &&
      node.layer >= 0 &&
      node.fresh &&
      baseKinds.get(path) === "dir" &&
      baseParents.has(path) &&
      !covered(path)
    ) {
      opaque.add(path);
      headerOnly.push({ name: opaqueName(path), op: { op: "opaque", dir: path } });
      stats.opaque++;
    }
  }
  // Base paths deleted by the added layers: a whiteout for each outermost one.
  for (const [path] of baseKinds) {
    if (final.has(path)) continue;
    const parent = parentOf(path);
    if (parent !== "" && final.get(parent)?.kind !== "dir") continue; // its parent went too
    if (covered(parent)) continue;
    headerOnly.push({ name: whiteoutName(path), op: { op: "whiteout", path } });
    stats.whiteouts++;
  }

  headerOnly.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { headerOnly: headerOnly.map((h) => h.op), onEntry, stats };
}

function opEntry(op: MergeOp): number {
  return "entry" in op ? op.entry : -1;
}
