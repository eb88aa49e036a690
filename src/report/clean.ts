// What `clean` prints: the leftovers it would remove (--dry-run), and what it removed and freed.
import type { Leftovers, Removed } from "../docker/engine.js";
import { formatBytes } from "../units.js";
import { oneLine, textTable } from "./table.js";

/**
 * The bytes removing them frees, as far as the engine can tell beforehand: each image's own
 * layers (its size less what other images share), each container's writable layer, each cache
 * record not backing an image (a shared one's bytes are an image's, counted there).
 */
export function leftoverBytes(l: Leftovers): number {
  const sum = (xs: { bytes: number }[]) => xs.reduce((n, x) => n + Math.max(0, x.bytes), 0);
  return sum(l.images) + sum(l.containers) + sum(l.buildCache.filter((r) => !r.shared));
}

function counts(images: number, containers: number, cache: number | undefined): string {
  const parts = [`${images} image(s)`, `${containers} container(s)`];
  if (cache !== undefined) parts.push(`${cache} build cache record(s)`);
  return parts.join(", ");
}

/** The --dry-run listing: one row per object, then the total. */
export function renderLeftovers(l: Leftovers, opts: { keepCache: boolean }): string {
  const rows: string[][] = [
    ...l.containers.map((c) => [
      "container",
      `${c.name}${c.running ? " (running)" : ""}`,
      c.run,
      formatBytes(c.bytes),
    ]),
    ...l.images.map((i) => [
      "image",
      i.tags.length ? i.tags.join(", ") : `<untagged> ${i.id.replace(/^sha256:/, "").slice(0, 12)}`,
      i.run,
      formatBytes(i.bytes),
    ]),
    ...(opts.keepCache ? [] : l.buildCache).map((r) => [
      "build cache",
      `${r.id.slice(0, 12)} ${oneLine(r.description, 60)}${r.inUse ? " (in use)" : ""}`,
      "",
      r.shared ? "(image's)" : formatBytes(r.bytes),
    ]),
  ];
  const shown = opts.keepCache ? { ...l, buildCache: [] } : l;
  const total = `would free ${formatBytes(leftoverBytes(shown))}: ${counts(
    l.images.length,
    l.containers.length,
    opts.keepCache ? undefined : l.buildCache.length,
  )}`;
  const table = textTable({
    head: ["KIND", "WHAT", "RUN", "FREES"],
    align: ["l", "l", "l", "r"],
    rows,
  });
  const kept =
    opts.keepCache && l.buildCache.length
      ? [`  (keeping ${l.buildCache.length} build cache record(s): --keep-cache)`]
      : [];
  if (!rows.length) return [...kept, "nothing to remove", ""].join("\n");
  return [...table, ...kept, total, ""].join("\n");
}

/** After the removal: what went and what the engine says it freed. */
export function renderRemoved(r: Removed, opts: { keepCache: boolean }): string {
  return `removed ${counts(
    r.images.length,
    r.containers.length,
    opts.keepCache ? undefined : r.buildCache.length,
  )}: freed ${formatBytes(r.bytes)}${opts.keepCache ? " (build cache kept: --keep-cache)" : ""}\n`;
}
