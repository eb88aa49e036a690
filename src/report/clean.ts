// What `clean` prints: the leftovers it would remove (--dry-run), and what it removed and freed.
import type { Leftovers, Removed } from "../docker/engine.js";
import { formatBytes } from "../units.js";
import { oneLine, textTable } from "./table.js";

/**
 * The bytes removing them frees, as far as the engine can tell beforehand: each image's own
 * layers (its size less what other images share), each container's writable layer, each cache
 * record not backing an image (a shared one's bytes are an image's, counted there). With
 * `keepCache`, an image's layers that a kept record holds stay on disk: the shared records'
 * bytes come off the images' total.
 */
export function leftoverBytes(l: Leftovers, opts: { keepCache?: boolean } = {}): number {
  const sum = (xs: { bytes: number }[]) => xs.reduce((n, x) => n + Math.max(0, x.bytes), 0);
  const shared = sum(l.buildCache.filter((r) => r.shared));
  if (opts.keepCache) return Math.max(0, sum(l.images) - shared) + sum(l.containers);
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
  const total = `would free ${formatBytes(leftoverBytes(l, opts))}: ${counts(
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

/**
 * After the removal: what went, what the engine says it freed, and what of the removed images
 * the build cache still holds (an image's layers are freed only with the last record holding
 * them).
 */
export function renderRemoved(r: Removed, opts: { keepCache: boolean }): string {
  const held = r.held.bytes > 0 ? formatBytes(r.held.bytes) : undefined;
  const note = opts.keepCache
    ? ` (build cache kept: --keep-cache${held ? `; it holds ${held} of the removed images' layers` : ""})`
    : held
      ? `; ${held} of the removed images' layers stay in ${r.held.records} build cache record(s) that no run names (\`docker builder prune\` removes them, with every other unused record)`
      : "";
  return `removed ${counts(
    r.images.length,
    r.containers.length,
    opts.keepCache ? undefined : r.buildCache.length,
  )}: freed ${formatBytes(r.bytes)}${note}\n`;
}
