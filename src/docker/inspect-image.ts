// `shrinkbench inspect IMAGE` on an engine: streams `docker save IMAGE` once through the
// collection of src/image/collect.ts, then the pure analysis of src/image/ makes the report.
// Several images (a run's rungs) can share one save: the engine exports and we read the layers
// they have in common (their base image's) once.

import type Dockerode from "dockerode";
import { EngineError } from "../errors.js";
import { analyzeImage } from "../image/analyze.js";
import { collectImage, collectImages, type InspectOptions } from "../image/collect.js";
import type { CollectedImage, InspectReport } from "../image/types.js";
import { openImageArchive, openImagesArchive } from "./archive/open.js";

export type { InspectOptions } from "../image/collect.js";

/** Inspects an image of the engine: one `docker save` read, then the analysis. */
export async function inspectImage(
  docker: Dockerode,
  ref: string,
  opts: InspectOptions = {},
): Promise<InspectReport> {
  const meta = await imageMeta(docker, ref);
  const collected = await collectImage(await openImageArchive(docker, ref), ref, opts);
  return analyzed(collected, meta, opts);
}

/**
 * Inspects several images of an engine from one `docker save` of them all; the reports are in
 * the order of `refs`, each what inspectImage gives for that image alone.
 */
export async function inspectImages(
  docker: Dockerode,
  refs: readonly string[],
  opts: Omit<InspectOptions, "select"> = {},
): Promise<InspectReport[]> {
  const metas = await Promise.all(refs.map((ref) => imageMeta(docker, ref)));
  // By id: the archive then names each image by the config it hashes, whatever its tags.
  const ids = metas.map((m) => m.Id);
  const collected = await collectImages(await openImagesArchive(docker, ids), ids, opts);
  return collected.map((c, i) => analyzed({ ...c, ref: refs[i] as string }, metas[i]!, opts));
}

/** The analysis of a collected image, with the engine's own id, tags and size for it. */
function analyzed(
  collected: CollectedImage,
  meta: Dockerode.ImageInspectInfo,
  opts: InspectOptions,
): InspectReport {
  return analyzeImage(
    {
      ...collected,
      id: meta.Id,
      repoTags: meta.RepoTags ?? collected.repoTags,
      engineSizeBytes: meta.Size,
    },
    opts,
  );
}

async function imageMeta(docker: Dockerode, ref: string): Promise<Dockerode.ImageInspectInfo> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (err) {
    throw new EngineError(
      `image ${ref} not found: ${(err as Error).message}`,
      "give an image the engine has (docker image ls)",
    );
  }
}
