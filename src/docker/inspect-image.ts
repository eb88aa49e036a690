// `shrinkbench inspect IMAGE` on an engine: streams `docker save IMAGE` once through the
// collection of src/image/collect.ts, then the pure analysis of src/image/ makes the report.

import type Dockerode from "dockerode";
import { EngineError } from "../errors.js";
import { analyzeImage } from "../image/analyze.js";
import { collectImage, type InspectOptions } from "../image/collect.js";
import type { InspectReport } from "../image/types.js";
import { openImageArchive } from "./archive/open.js";

export type { InspectOptions } from "../image/collect.js";

/** Inspects an image of the engine: one `docker save` read, then the analysis. */
export async function inspectImage(
  docker: Dockerode,
  ref: string,
  opts: InspectOptions = {},
): Promise<InspectReport> {
  let meta: Dockerode.ImageInspectInfo;
  try {
    meta = await docker.getImage(ref).inspect();
  } catch (err) {
    throw new EngineError(
      `image ${ref} not found: ${(err as Error).message}`,
      "give an image the engine has (docker image ls)",
    );
  }
  const collected = await collectImage(await openImageArchive(docker, ref), ref, opts);
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
