// Stacks an image's layers with overlay semantics and keeps the books on the way: what each
// layer added, changed and removed, every version of every path (for the waste numbers),
// which bytes a later layer deleted or overwrote, and the visible file tree at the end.

import { classifyWhiteout, LayerStack, type MergeKind, type StackedNode } from "./overlay.js";
import { parentOf } from "./paths.js";
import type { EntryRecord, LayerData, LayerReport } from "./types.js";

/** A path visible in the final image. */
export interface VisibleFile {
  path: string;
  kind: MergeKind;
  size: number;
  sha256?: string;
  linkname?: string;
  /** Layer and entry it comes from. */
  layer: number;
  entry: number;
}

/** Every version of one path across the layers. */
export interface PathStat {
  /** Writes (non-directory entries) and deletions of the path. */
  count: number;
  /** Σ sizes of the versions written, plus for each deletion the size it deleted. */
  cumulative: number;
  /** The smallest of those sizes. */
  minimum: number;
}

/** Bytes one layer hid from lower layers, by the layer that had added them. */
export interface HiddenBytes {
  total: number;
  files: number;
  byLayer: Map<number, number>;
  /** By the first (up to) three components of the path: where the bytes were. */
  byPlace: Map<string, number>;
}

export interface StackWalk {
  /** Visible paths of the final image (directories included). */
  visible: Map<string, VisibleFile>;
  layers: LayerReport[];
  paths: Map<string, PathStat>;
  /**
   * The same books as dive keeps them, for its verdicts: a whiteout of a directory is ONE
   * observation at the directory, of the bytes under it, and its files get none; files that
   * an opaque directory or a replaced parent removed are not observed.
   */
  divePaths: Map<string, PathStat>;
  /** By the deleting layer: files deleted (whiteouts, opaque directories, replaced parents). */
  deleted: Map<number, HiddenBytes>;
  /** By the overwriting layer: earlier versions of files written again at the same path. */
  overwritten: Map<number, HiddenBytes>;
}

export function walkLayers(layers: readonly LayerData[]): StackWalk {
  const paths = new Map<string, PathStat>();
  const deleted = new Map<number, HiddenBytes>();
  const overwritten = new Map<number, HiddenBytes>();
  const removedCount = new Map<number, number>();

  const divePaths = new Map<string, PathStat>();
  const record = (books: Map<string, PathStat>, path: string, size: number) => {
    const stat = books.get(path);
    if (stat) {
      stat.count++;
      stat.cumulative += size;
      stat.minimum = Math.min(stat.minimum, size);
    } else {
      books.set(path, { count: 1, cumulative: size, minimum: size });
    }
  };
  const observe = (path: string, size: number) => record(paths, path, size);
  // The current layer's whiteout targets, and the bytes deleted under each directory target.
  let whiteouts = new Set<string>();
  let deletedDirs = new Map<string, number>();
  const diveDeletion = (path: string, size: number) => {
    if (whiteouts.has(path)) return record(divePaths, path, size);
    for (let dir = parentOf(path); ; dir = parentOf(dir)) {
      const sum = deletedDirs.get(dir);
      if (sum !== undefined) return void deletedDirs.set(dir, sum + size);
      if (dir === "") return;
    }
  };
  const entryOf = (node: StackedNode): EntryRecord | undefined =>
    node.entry < 0 ? undefined : layers[node.layer]?.entries[node.entry];
  const hide = (
    books: Map<number, HiddenBytes>,
    layer: number,
    from: number,
    path: string,
    size: number,
  ) => {
    let h = books.get(layer);
    if (!h) books.set(layer, (h = { total: 0, files: 0, byLayer: new Map(), byPlace: new Map() }));
    h.total += size;
    h.files++;
    h.byLayer.set(from, (h.byLayer.get(from) ?? 0) + size);
    const place = path.split("/").slice(0, 3).join("/");
    h.byPlace.set(place, (h.byPlace.get(place) ?? 0) + size);
  };

  const stack = new LayerStack((path, node, layer, replacedBy) => {
    if (node.kind === "dir") return;
    const size = entryOf(node)?.size ?? 0;
    if (replacedBy !== undefined && replacedBy !== "dir") {
      hide(overwritten, layer, node.layer, path, size);
    } else {
      observe(path, size); // a deletion counts the size it deleted
      diveDeletion(path, size);
      hide(deleted, layer, node.layer, path, size);
      removedCount.set(layer, (removedCount.get(layer) ?? 0) + 1);
    }
  });

  const reports: LayerReport[] = [];
  layers.forEach((layer, i) => {
    let added = 0;
    let changed = 0;
    let sizeBytes = 0;
    for (const e of layer.entries) {
      if (e.kind === "dir" || isWhiteoutPath(e.path)) continue;
      if (stack.nodes.has(e.path)) changed++;
      else added++;
      observe(e.path, e.size);
      record(divePaths, e.path, e.size);
      sizeBytes += e.kind === "symlink" ? Buffer.byteLength(e.linkname ?? "") : e.size;
    }
    whiteouts = new Set();
    deletedDirs = new Map();
    for (const e of layer.entries) {
      const wh = isWhiteoutPath(e.path) ? classifyWhiteout(e.path) : null;
      if (wh?.kind !== "whiteout") continue;
      whiteouts.add(wh.target);
      if (stack.nodes.get(wh.target)?.kind === "dir") deletedDirs.set(wh.target, 0);
    }
    stack.apply(i, layer.entries.map(toMergeEntry));
    for (const [dir, bytes] of deletedDirs) record(divePaths, dir, bytes);
    reports.push({
      index: i,
      diffId: layer.diffId,
      instruction: shortenInstruction(layer.createdBy ?? ""),
      createdBy: layer.createdBy ?? "",
      sizeBytes,
      tarBytes: layer.tarBytes,
      ...(layer.gzipBytes !== undefined ? { gzipBytes: layer.gzipBytes } : {}),
      added,
      changed,
      removed: removedCount.get(i) ?? 0,
    });
  });

  const visible = new Map<string, VisibleFile>();
  for (const [path, node] of stack.nodes) {
    const e = entryOf(node);
    visible.set(path, {
      path,
      kind: node.kind,
      size: e?.size ?? 0,
      layer: node.layer,
      entry: node.entry,
      ...(e?.sha256 ? { sha256: e.sha256 } : {}),
      ...(e?.linkname ? { linkname: e.linkname } : {}),
    });
  }
  return { visible, layers: reports, paths, divePaths, deleted, overwritten };
}

function isWhiteoutPath(path: string): boolean {
  return path.slice(path.lastIndexOf("/") + 1).startsWith(".wh.");
}

function toMergeEntry(e: EntryRecord) {
  return { name: e.path, kind: e.kind, ...(e.linkname ? { linkname: e.linkname } : {}) };
}

const INSTRUCTION =
  /^(ADD|ARG|CMD|COPY|ENTRYPOINT|ENV|EXPOSE|HEALTHCHECK|LABEL|MAINTAINER|ONBUILD|SHELL|STOPSIGNAL|USER|VOLUME|WORKDIR)\b/;

/**
 * The instruction of a history entry, shortened for a table:
 * "/bin/sh -c #(nop)  CMD [\"sh\"]" → "CMD [\"sh\"]", "/bin/sh -c pip install x" →
 * "RUN pip install x", build-arg prefixes and "# buildkit" dropped, content hashes cut.
 */
export function shortenInstruction(createdBy: string, max = 60): string {
  let s = createdBy.trim();
  // "|2 A=x B=y z /bin/sh -c ...": the build args a RUN saw; values may hold spaces.
  s = s.replace(/^\|\d+\s.*?(?=\/bin\/(ba)?sh -c )/, "");
  s = s.replace(/\s+# buildkit$/, "");
  // The mark a run's BuildKit RUNs carry so that clean finds their cache (ladder/run-marks.ts).
  s = s.replace(/\s+# shrinkbench-run=[A-Za-z0-9._-]+$/, "");
  if (s.startsWith("RUN ")) s = s.slice(4).trim(); // BuildKit: "RUN /bin/sh -c ..."
  const nop = /^\/bin\/(ba)?sh -c #\(nop\)\s*/;
  const shell = /^\/bin\/(ba)?sh -c /;
  if (nop.test(s)) s = s.replace(nop, "");
  else if (shell.test(s)) s = `RUN ${s.replace(shell, "")}`;
  else if (s !== "" && !s.startsWith("(") && !INSTRUCTION.test(s)) s = `RUN ${s}`;
  s = s.replace(/\b(file|dir|multi):([0-9a-f]{8})[0-9a-f]{8,}/g, "$1:$2…");
  s = s.replace(/\s+/g, " ").trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
