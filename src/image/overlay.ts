// The overlay model: how a stack of image layers makes one file system. Used by inspect
// (src/image/layers.ts walks an image's layers through it to find what is visible, what was
// deleted and what was overwritten) and by the squash decisions (squash-merge.ts).
//
// Overlay semantics, as in the OCI image spec ("Representing Changes"):
// - `<dir>/.wh.<name>` deletes <dir>/<name> (and everything under it) from LOWER layers;
// - `<dir>/.wh..wh..opq` hides everything the lower layers had under <dir>;
// - whiteouts never apply to entries of their own layer, whatever the order in the tar;
// - a non-directory replaces whatever was at its path (a directory: with its children);
//   a directory over a directory only updates the directory's own metadata.

import { baseName, childPath, normalizePath, parentOf } from "./paths.js";

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

/** One entry of a layer tar, as far as stacking cares. */
export interface MergeEntry {
  /** Entry name as in the tar ("./a/b/", "a/b", ...); normalised here. */
  name: string;
  kind: MergeKind;
  /** Hardlinks: the name of the entry they link to. */
  linkname?: string;
}

export const WHITEOUT_PREFIX = ".wh.";
export const OPAQUE_MARKER = ".wh..wh..opq";

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
  return {
    kind: "whiteout",
    target: childPath(parentOf(path), base.slice(WHITEOUT_PREFIX.length)),
  };
}

export function whiteoutName(path: string): string {
  return childPath(parentOf(path), WHITEOUT_PREFIX + baseName(path));
}

export function opaqueName(dir: string): string {
  return childPath(dir, OPAQUE_MARKER);
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
