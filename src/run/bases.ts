// Base images on an engine before a run: present, else pulled, else marked unavailable so the
// rungs that need them are SKIPPED with the reason.
import type { Engine } from "../docker/engine.js";
import type { BaseImages } from "../ladder/plan.js";

/** Ensures the base images of the roles a ladder uses are present on one engine. */
export async function ensureBases(
  engine: Engine,
  images: BaseImages["images"],
  roles: ReadonlySet<string>,
  pullTimeoutMs: number,
  /** Told before each pull (a pull can take minutes; the run has not started its rungs yet). */
  onPull?: (ref: string) => void,
): Promise<{ bases: BaseImages; pullSeconds: number }> {
  const unavailable: BaseImages["unavailable"] = {};
  const t0 = performance.now();
  for (const [role, ref] of Object.entries(images) as [keyof typeof images, string][]) {
    if (!roles.has(role)) continue;
    if (await engine.inspectImage(ref)) continue;
    onPull?.(ref);
    const pulled = await engine.pull(ref, pullTimeoutMs);
    if (!pulled.ok)
      unavailable[role] = `not present and cannot be pulled (${pulled.error ?? "unknown error"})`;
  }
  return { bases: { images, unavailable }, pullSeconds: (performance.now() - t0) / 1000 };
}
