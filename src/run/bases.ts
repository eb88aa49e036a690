// Base images on an engine before a run: present, else pulled, else marked unavailable so the
// rungs that need them are SKIPPED with the reason. What each tag pointed at (image id, registry
// digest, size) goes into the run record: a tag moves, and `check` must tell a moved base from
// growth the user's change caused.
import type { Engine, ImageInfo } from "../docker/engine.js";
import type { BaseImages } from "../ladder/plan.js";
import type { BaseImageRecord, BaseRole } from "../types.js";

/** The repository part of a reference: "python:3.11-slim" → "python", "a/b@sha256:…" → "a/b". */
function repository(ref: string): string {
  const noDigest = ref.split("@")[0]!;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** The engine's names for a repository: "python" is also "docker.io/library/python". */
function sameRepository(a: string, b: string): boolean {
  const norm = (r: string) =>
    r.replace(/^(docker\.io\/|index\.docker\.io\/)/, "").replace(/^library\//, "");
  return norm(a) === norm(b);
}

/**
 * The record of a base image: its id, size, and the RepoDigest of the configured repository
 * (else the first one: an image pulled under another name is still that registry digest).
 */
export function baseImageRecord(ref: string, info: ImageInfo): BaseImageRecord {
  const digests = info.repoDigests ?? [];
  const repoDigest =
    digests.find((d) => sameRepository(repository(d), repository(ref))) ?? digests[0];
  return {
    ref,
    id: info.id,
    ...(repoDigest !== undefined ? { repoDigest } : {}),
    sizeBytes: info.size,
  };
}

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
  const resolved: NonNullable<BaseImages["resolved"]> = {};
  const t0 = performance.now();
  for (const [role, ref] of Object.entries(images) as [BaseRole, string][]) {
    if (!roles.has(role)) continue;
    let info = await engine.inspectImage(ref);
    if (!info) {
      onPull?.(ref);
      const pulled = await engine.pull(ref, pullTimeoutMs);
      if (!pulled.ok) {
        unavailable[role] = `not present and cannot be pulled (${pulled.error ?? "unknown error"})`;
        continue;
      }
      info = await engine.inspectImage(ref);
    }
    if (info) resolved[role] = baseImageRecord(ref, info);
  }
  return {
    bases: { images, unavailable, resolved },
    pullSeconds: (performance.now() - t0) / 1000,
  };
}
