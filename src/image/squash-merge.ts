// The decisions of a squash, as pure data: given the entry lists of the base image's layers
// and of the layers a Dockerfile added on top, which entries go into the ONE merged layer
// that replaces the added ones, and which whiteouts it must carry.
//
// Overlay semantics, as in the OCI image spec ("Representing Changes"):
// - `<dir>/.wh.<name>` deletes <dir>/<name> (and everything under it) from LOWER layers;
// - `<dir>/.wh..wh..opq` hides everything the lower layers had under <dir>;
// - whiteouts never apply to entries of their own layer, whatever the order in the tar;
// - a non-directory replaces whatever was at its path (a directory: with its children);
//   a directory over a directory only updates the directory's own metadata.
//
// The merged layer keeps each path's top-most version among the added layers, drops what
// the added layers deleted, and whites out only paths that the base has and the added
// layers deleted. A base directory that the added layers emptied (opaque marker, or
// deleted and created again) gets an opaque marker instead of one whiteout per child.

export type MergeKind = "file" | "dir" | "symlink" | "hardlink" | "other";

/** The kind of a tar entry, from its header type as tar-stream names it. */
export function mergeKindOf(type: string | null | undefined): MergeKind {
  switch (type) {
    case "file":
    case "contiguous-file":
      return "file";
    case "directory":
      return "dir";
    case "symlink":
      return "symlink";
    case "link":
      return "hardlink";
    default:
      return "other";
  }
}

/** One entry of a layer tar, as far as merging cares. */
export interface MergeEntry {
  /** Entry name as in the tar ("./a/b/", "a/b", ...); normalised here. */
  name: string;
  kind: MergeKind;
  /** Hardlinks: the name of the entry they link to. */
  linkname?: string;
}

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

export const WHITEOUT_PREFIX = ".wh.";
export const OPAQUE_MARKER = ".wh..wh..opq";

/** "./usr/bin/" → "usr/bin"; "." → "". */
export function normalizePath(name: string): string {
  let p = name;
  while (p.startsWith("./")) p = p.slice(2);
  p = p.replace(/^\/+/, "").replace(/\/+$/, "");
  return p === "." ? "" : p;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function join(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

export type Whiteout =
  | { kind: "whiteout"; target: string }
  | { kind: "opaque"; dir: string }
  /** Other `.wh..wh.*` names (aufs metadata): ignored. */
  | { kind: "meta" };

/** Recognises whiteout names (on a normalised path). */
export function classifyWhiteout(path: string): Whiteout | null {
  const base = baseName(path);
  if (!base.startsWith(WHITEOUT_PREFIX)) return null;
  if (base === OPAQUE_MARKER) return { kind: "opaque", dir: parentOf(path) };
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return { kind: "meta" };
  return { kind: "whiteout", target: join(parentOf(path), base.slice(WHITEOUT_PREFIX.length)) };
}

export function whiteoutName(path: string): string {
  return join(parentOf(path), WHITEOUT_PREFIX + baseName(path));
}

export function opaqueName(dir: string): string {
  return join(dir, OPAQUE_MARKER);
}

/** A path of the stacked file system: which layer and entry it comes from. */
export interface StackedNode {
  kind: MergeKind;
  layer: number;
  /** Index of the entry in its layer; -1 for a directory no entry named (implied by a child). */
  entry: number;
  /** Directories: created (or made opaque) in a layer, so lower layers' children are hidden. */
  fresh: boolean;
}

/**
 * Called for each path a layer removes from the stack: `replacedBy` is the kind of the entry
 * written at the very same path (an overwrite); undefined when the path was deleted
 * (whiteout, opaque directory, a parent replaced by a non-directory, ...).
 */
export type RemoveListener = (
  path: string,
  node: StackedNode,
  layer: number,
  replacedBy: MergeKind | undefined,
) => void;

/** The union file system of a stack of layers, with overlay semantics. */
export class LayerStack {
  readonly nodes = new Map<string, StackedNode>();
  private readonly children = new Map<string, Set<string>>();
  private layer = 0;

  constructor(private readonly onRemove?: RemoveListener) {}

  apply(layer: number, entries: readonly MergeEntry[]): void {
    this.layer = layer;
    // Whiteouts first: they only ever apply to lower layers.
    const opaque: string[] = [];
    entries.forEach((e) => {
      const wh = classifyWhiteout(normalizePath(e.name));
      if (wh?.kind === "whiteout") this.remove(wh.target);
      else if (wh?.kind === "opaque") {
        this.removeChildren(wh.dir);
        opaque.push(wh.dir);
      }
    });
    entries.forEach((e, index) => {
      const path = normalizePath(e.name);
      if (path === "" || classifyWhiteout(path)) return;
      const existing = this.nodes.get(path);
      if (e.kind === "dir" && existing?.kind === "dir") {
        existing.layer = layer;
        existing.entry = index;
        return;
      }
      if (existing) this.remove(path, e.kind);
      this.set(path, { kind: e.kind, layer, entry: index, fresh: true });
    });
    for (const dir of opaque) {
      const node = this.nodes.get(dir);
      if (node?.kind === "dir") node.fresh = true;
      else if (dir !== "") {
        if (node) this.remove(dir);
        this.set(dir, { kind: "dir", layer, entry: -1, fresh: true });
      }
    }
  }

  /** Forgets which directories were created fresh (call between the base and the added layers). */
  settle(): void {
    for (const node of this.nodes.values()) node.fresh = false;
  }

  hasChildren(path: string): boolean {
    return (this.children.get(path)?.size ?? 0) > 0;
  }

  private set(path: string, node: StackedNode): void {
    this.nodes.set(path, node);
    let child = path;
    let parent = parentOf(path);
    for (;;) {
      let set = this.children.get(parent);
      if (!set) this.children.set(parent, (set = new Set()));
      set.add(child);
      if (parent === "") break;
      const p = this.nodes.get(parent);
      if (p?.kind === "dir") break;
      if (p) this.remove(parent); // a non-directory where a directory must be
      this.nodes.set(parent, { kind: "dir", layer: node.layer, entry: -1, fresh: true });
      child = parent;
      parent = parentOf(parent);
    }
  }

  private removeChildren(path: string): void {
    const kids = this.children.get(path);
    if (!kids) return;
    for (const kid of [...kids]) this.remove(kid);
  }

  /** Removes a path and everything under it. */
  remove(path: string, replacedBy?: MergeKind): void {
    this.removeChildren(path);
    this.children.delete(path);
    const node = this.nodes.get(path);
    if (node) {
      this.nodes.delete(path);
      this.onRemove?.(path, node, this.layer, replacedBy);
    }
    this.children.get(parentOf(path))?.delete(path);
  }
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
