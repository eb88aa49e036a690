// Bases that move: whether a rung's base image changed between the baseline and the current
// run, and how much of the rung's growth is the base's. A tag such as python:3.11-slim moves;
// the image id recorded for each base role (RunRecord.baseImages) does not. Pure: no I/O.

import type { BaseRole, RunRecord, RungResult } from "../types.js";
import { formatBytes, formatSignedBytes } from "../units.js";

/** One side's base image of a rung, as far as its record knows it. */
export interface BaseSide {
  ref: string;
  /** The engine's image id; absent when the record kept its bases by tag only. */
  id?: string;
  repoDigest?: string;
  /** The base's size as the rung's measure saw it (0 for a rung FROM scratch). */
  sizeBytes?: number;
}

/** A rung's base image in the baseline and now. */
export interface BaseComparison {
  role: BaseRole;
  baseline: BaseSide;
  current: BaseSide;
  /**
   * true: another image (different ids, or sizes when a side has no id); false: the same image
   * id; absent: cannot tell (a side has no id and the sizes agree or are unknown).
   */
  changed?: boolean;
  /** The final stage is FROM scratch: none of the base's bytes are in the image. */
  scratch: boolean;
  /** How much of the rung's growth is the base's: current − baseline base size (0 FROM scratch). */
  deltaBytes?: number;
}

/** The bytes a rung adds above its base, in the baseline and now (FROM scratch: all of them). */
export interface AboveBase {
  baselineBytes: number;
  currentBytes: number;
  deltaBytes: number;
  /** deltaBytes / baselineBytes; absent when the baseline added nothing. */
  deltaRatio?: number;
}

// RungResult does not say whether the rung is FROM scratch; its measure does: the runner
// measures a scratch rung against a base of 0 bytes and 0 layers, which no real image is.
function isScratch(r: RungResult | undefined): boolean {
  return r?.image !== undefined && r.image.baseSizeBytes === 0 && r.image.baseLayers === 0;
}

function sideOf(record: RunRecord, r: RungResult): BaseSide {
  const found = record.baseImages?.[r.base];
  // A record's baseImages entry for another tag than the rung used says nothing about it.
  const same = found !== undefined && found.ref === r.baseImage;
  return {
    ref: r.baseImage,
    ...(same ? { id: found.id } : {}),
    ...(same && found.repoDigest !== undefined ? { repoDigest: found.repoDigest } : {}),
    ...(r.image ? { sizeBytes: r.image.baseSizeBytes } : {}),
  };
}

/** The base image of a rung on both sides; undefined unless the rung is in both runs. */
export function compareBase(
  baselineRecord: RunRecord,
  currentRecord: RunRecord,
  base: RungResult | undefined,
  cur: RungResult | undefined,
): BaseComparison | undefined {
  if (!base || !cur) return undefined;
  const b = sideOf(baselineRecord, base);
  const c = sideOf(currentRecord, cur);
  const scratch = isScratch(cur) || (cur.image === undefined && isScratch(base));
  const comparison: BaseComparison = { role: cur.base, baseline: b, current: c, scratch };
  if (b.id !== undefined && c.id !== undefined) {
    comparison.changed = b.id !== c.id;
  } else if (!scratch && b.sizeBytes !== undefined && c.sizeBytes !== undefined) {
    // One side knows its base by tag only: a different size is a different image; the same
    // size proves nothing.
    if (b.sizeBytes !== c.sizeBytes) comparison.changed = true;
  }
  if (scratch) comparison.deltaBytes = 0;
  else if (b.sizeBytes !== undefined && c.sizeBytes !== undefined) {
    comparison.deltaBytes = c.sizeBytes - b.sizeBytes;
  }
  return comparison;
}

/** What a rung adds above its base on both sides, when both were measured. */
export function aboveBase(base: RungResult | undefined, cur: RungResult | undefined): AboveBase | undefined {
  if (!base?.image || !cur?.image || base.status !== "PASS") return undefined;
  const baselineBytes = base.image.sizeBytes - base.image.baseSizeBytes;
  const currentBytes = cur.image.sizeBytes - cur.image.baseSizeBytes;
  const deltaBytes = currentBytes - baselineBytes;
  return {
    baselineBytes,
    currentBytes,
    deltaBytes,
    ...(baselineBytes > 0 ? { deltaRatio: deltaBytes / baselineBytes } : {}),
  };
}

/** "296a3d56abfb" for "sha256:296a3d56abfb…": the short id `docker images` prints. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}

/** "A → B" with short ids, and the tags too when they differ. */
function change(b: BaseSide, c: BaseSide): string {
  const name = (s: BaseSide, withRef: boolean) =>
    [withRef ? s.ref : undefined, s.id !== undefined ? shortId(s.id) : "digest unknown"]
      .filter(Boolean)
      .join(" ");
  const refs = b.ref !== c.ref;
  return `${name(b, refs)} → ${name(c, refs)}`;
}

/**
 * The note on a rung whose base changed: "base image changed (A → B): +12 MB of the +15 MB".
 * `totalDelta` is the rung's growth (absent when the baseline has no size to compare with).
 * Undefined when there is nothing to say.
 */
export function baseChangeNote(cmp: BaseComparison, totalDelta: number | undefined): string | undefined {
  const { baseline: b, current: c } = cmp;
  if (cmp.changed === false) {
    return b.ref !== c.ref
      ? `base tag changed (${b.ref} → ${c.ref}), same image ${shortId(c.id!)}`
      : undefined;
  }
  if (cmp.changed === undefined) {
    return b.ref !== c.ref ? `base image changed: ${b.ref} → ${c.ref}` : undefined;
  }
  const which =
    b.id === undefined || c.id === undefined
      ? `base image changed (${change(b, c)}; ${b.id === undefined ? "the baseline" : "the current run"} ` +
        `recorded it by tag only, its size went ${formatBytes(b.sizeBytes!)} → ${formatBytes(c.sizeBytes!)})`
      : `base image changed (${change(b, c)})`;
  if (cmp.scratch) return `${which}: the rung is FROM scratch, none of the base's bytes are in it`;
  if (cmp.deltaBytes === undefined) return which;
  if (cmp.deltaBytes === 0) {
    return totalDelta ? `${which}, same size: none of the growth is the base's` : `${which}, same size`;
  }
  if (totalDelta === undefined) return `${which}: ${formatSignedBytes(cmp.deltaBytes)} of base`;
  return `${which}: ${formatSignedBytes(cmp.deltaBytes)} of the ${formatSignedBytes(totalDelta)}`;
}

/** Notes on the runs as a whole: a side that recorded its base images by tag only. */
export function baseRecordNotes(baseline: RunRecord, current: RunRecord): string[] {
  const byTag = (r: RunRecord) => r.baseImages === undefined;
  if (byTag(baseline) === byTag(current)) return [];
  const side = byTag(baseline) ? "the baseline" : "the current run";
  return [
    `${side} recorded its base images by tag only (written before base digests were recorded): ` +
      "a moved base shows only where its size changed" +
      (byTag(baseline) ? "; `check --update-baseline` records them" : ""),
  ];
}
