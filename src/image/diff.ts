// What changed between two images: layer sizes, size per Python distribution and per
// category, the files added, removed and grown (top N by bytes), and duplicates gained or
// lost. Pure: two `DiffSide`s in, an `ImageDiff` out. A side is made from a full inspect
// report (an image or an archive: every list complete) or from the summary a run record
// keeps for a rung (no file list, the ten largest distributions, duplicates as one total).

import type { RungInspection } from "../types.js";
import type { InspectReport } from "./types.js";

export interface DiffSide {
  label: string;
  sizeBytes: number;
  /** Bytes per layer, bottom first; empty when unknown. */
  layers: number[];
  distributions: { name: string; bytes: number }[];
  /** Whether `distributions` lists every distribution (false: the largest few). */
  allDistributions: boolean;
  categories: { id: string; title: string; bytes: number }[];
  wastedBytes?: number;
  /** Visible regular files; absent for a record. */
  files?: { path: string; size: number; sha256?: string }[];
  duplicateSavingsBytes: number;
  /** Groups of identical files; absent for a record. */
  duplicateGroups?: { sha256: string; size: number; paths: string[] }[];
}

export interface Change {
  key: string;
  label: string;
  a: number;
  b: number;
  delta: number;
}

export interface FileChange {
  path: string;
  a?: number;
  b?: number;
  delta: number;
}

export interface DuplicateChange {
  sha256: string;
  size: number;
  /** Copies on each side (0: none or not a duplicate). */
  a: number;
  b: number;
  /** Bytes the extra copies cost after − before. */
  deltaBytes: number;
  paths: string[];
}

export interface ImageDiff {
  a: string;
  b: string;
  size: { a: number; b: number; delta: number };
  layers: { index: number; a?: number; b?: number; delta: number }[];
  distributions: Change[];
  categories: Change[];
  wasted?: { a: number; b: number; delta: number };
  files?: {
    added: FileChange[];
    removed: FileChange[];
    grown: FileChange[];
    shrunk: FileChange[];
    counts: { added: number; removed: number; grown: number; shrunk: number };
  };
  duplicates: {
    savings: { a: number; b: number; delta: number };
    gained?: DuplicateChange[];
    lost?: DuplicateChange[];
  };
  notes: string[];
}

export function sideFromReport(report: InspectReport, label: string): DiffSide {
  return {
    label,
    sizeBytes: report.image.engineSizeBytes ?? report.totals.sizeBytes,
    layers: report.layers.map((l) => l.sizeBytes),
    distributions: report.python.distributions.map((d) => ({ name: d.name, bytes: d.bytes })),
    allDistributions: true,
    categories: report.python.categories.map(({ id, title, bytes }) => ({ id, title, bytes })),
    wastedBytes: report.waste.wastedBytes,
    ...(report.files ? { files: report.files } : {}),
    duplicateSavingsBytes: report.duplicates.savingsBytes,
    duplicateGroups: report.duplicates.groups.map(({ sha256, size, paths }) => ({
      sha256,
      size,
      paths,
    })),
  };
}

export function sideFromInspection(
  inspection: RungInspection,
  sizeBytes: number,
  label: string,
): DiffSide {
  return {
    label,
    sizeBytes,
    layers: inspection.layerBytes ?? [],
    distributions: inspection.topDistributions,
    allDistributions: false,
    categories: inspection.categories,
    wastedBytes: inspection.wastedBytes,
    duplicateSavingsBytes: inspection.duplicateSavingsBytes,
  };
}

function changes(
  a: { key: string; label: string; bytes: number }[],
  b: { key: string; label: string; bytes: number }[],
): Change[] {
  const before = new Map(a.map((x) => [x.key, x]));
  const after = new Map(b.map((x) => [x.key, x]));
  const keys = new Set([...before.keys(), ...after.keys()]);
  const out: Change[] = [];
  for (const key of keys) {
    const x = before.get(key);
    const y = after.get(key);
    const delta = (y?.bytes ?? 0) - (x?.bytes ?? 0);
    if (delta === 0) continue;
    out.push({
      key,
      label: (y ?? x)!.label,
      a: x?.bytes ?? 0,
      b: y?.bytes ?? 0,
      delta,
    });
  }
  return out.sort((p, q) => Math.abs(q.delta) - Math.abs(p.delta) || (p.key < q.key ? -1 : 1));
}

const bySize = (p: FileChange, q: FileChange): number =>
  Math.abs(q.delta) - Math.abs(p.delta) || (p.path < q.path ? -1 : 1);

function fileChanges(
  a: NonNullable<DiffSide["files"]>,
  b: NonNullable<DiffSide["files"]>,
  top: number,
): NonNullable<ImageDiff["files"]> {
  const before = new Map(a.map((f) => [f.path, f.size]));
  const added: FileChange[] = [];
  const grown: FileChange[] = [];
  const shrunk: FileChange[] = [];
  const seen = new Set<string>();
  for (const f of b) {
    seen.add(f.path);
    const was = before.get(f.path);
    if (was === undefined) added.push({ path: f.path, b: f.size, delta: f.size });
    else if (f.size > was) grown.push({ path: f.path, a: was, b: f.size, delta: f.size - was });
    else if (f.size < was) shrunk.push({ path: f.path, a: was, b: f.size, delta: f.size - was });
  }
  const removed: FileChange[] = [];
  for (const f of a) {
    if (!seen.has(f.path)) removed.push({ path: f.path, a: f.size, delta: -f.size });
  }
  return {
    added: added.sort(bySize).slice(0, top),
    removed: removed.sort(bySize).slice(0, top),
    grown: grown.sort(bySize).slice(0, top),
    shrunk: shrunk.sort(bySize).slice(0, top),
    counts: {
      added: added.length,
      removed: removed.length,
      grown: grown.length,
      shrunk: shrunk.length,
    },
  };
}

function duplicateChanges(
  a: NonNullable<DiffSide["duplicateGroups"]>,
  b: NonNullable<DiffSide["duplicateGroups"]>,
  top: number,
): { gained: DuplicateChange[]; lost: DuplicateChange[] } {
  const before = new Map(a.map((g) => [g.sha256, g]));
  const after = new Map(b.map((g) => [g.sha256, g]));
  const gained: DuplicateChange[] = [];
  const lost: DuplicateChange[] = [];
  for (const sha of new Set([...before.keys(), ...after.keys()])) {
    const x = before.get(sha);
    const y = after.get(sha);
    const ca = x?.paths.length ?? 0;
    const cb = y?.paths.length ?? 0;
    const size = (y ?? x)!.size;
    const extra = (n: number) => Math.max(0, n - 1) * size;
    const deltaBytes = extra(cb) - extra(ca);
    if (deltaBytes === 0) continue;
    const change = { sha256: sha, size, a: ca, b: cb, deltaBytes, paths: (y ?? x)!.paths };
    (deltaBytes > 0 ? gained : lost).push(change);
  }
  const order = (p: DuplicateChange, q: DuplicateChange) =>
    Math.abs(q.deltaBytes) - Math.abs(p.deltaBytes) || (p.sha256 < q.sha256 ? -1 : 1);
  return { gained: gained.sort(order).slice(0, top), lost: lost.sort(order).slice(0, top) };
}

/** Compares `b` (after) with `a` (before). */
export function diffImages(a: DiffSide, b: DiffSide, top = 10): ImageDiff {
  const notes: string[] = [];
  const n = Math.max(a.layers.length, b.layers.length);
  const layers: ImageDiff["layers"] = [];
  for (let i = 0; i < n; i++) {
    const x = a.layers[i];
    const y = b.layers[i];
    layers.push({
      index: i,
      ...(x !== undefined ? { a: x } : {}),
      ...(y !== undefined ? { b: y } : {}),
      delta: (y ?? 0) - (x ?? 0),
    });
  }
  if (a.layers.length === 0 || b.layers.length === 0) {
    notes.push("layer sizes unknown on one side (a record made by an older shrinkbench)");
  }
  const distributions = changes(
    a.distributions.map((d) => ({ key: d.name, label: d.name, bytes: d.bytes })),
    b.distributions.map((d) => ({ key: d.name, label: d.name, bytes: d.bytes })),
  );
  if (!a.allDistributions || !b.allDistributions) {
    notes.push(
      "a run record keeps only the largest distributions: one that left that list shows as removed",
    );
  }
  const categories = changes(
    a.categories.map((c) => ({ key: c.id, label: c.title, bytes: c.bytes })),
    b.categories.map((c) => ({ key: c.id, label: c.title, bytes: c.bytes })),
  );
  const diff: ImageDiff = {
    a: a.label,
    b: b.label,
    size: { a: a.sizeBytes, b: b.sizeBytes, delta: b.sizeBytes - a.sizeBytes },
    layers,
    distributions,
    categories,
    duplicates: {
      savings: {
        a: a.duplicateSavingsBytes,
        b: b.duplicateSavingsBytes,
        delta: b.duplicateSavingsBytes - a.duplicateSavingsBytes,
      },
    },
    notes,
  };
  if (a.wastedBytes !== undefined && b.wastedBytes !== undefined) {
    diff.wasted = { a: a.wastedBytes, b: b.wastedBytes, delta: b.wastedBytes - a.wastedBytes };
  }
  if (a.files && b.files) diff.files = fileChanges(a.files, b.files, top);
  else
    notes.push("files not compared: a run record keeps no file list (compare images or archives)");
  if (a.duplicateGroups && b.duplicateGroups) {
    Object.assign(diff.duplicates, duplicateChanges(a.duplicateGroups, b.duplicateGroups, top));
  }
  return diff;
}
