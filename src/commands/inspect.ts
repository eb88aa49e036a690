// `shrinkbench inspect`: where an image's bytes are (layers, wasted bytes, packages,
// duplicates, findings), read from the engine's `docker save` stream.
import { DockerEngine } from "../docker/docker-engine.js";
import type { Engine } from "../docker/engine.js";
import { resolveEndpoint } from "../docker/endpoint.js";
import { InputError } from "../errors.js";
import { renderInspect, type InspectFormat } from "../report/inspect.js";
import type { Output } from "./io.js";

export interface InspectOptions {
  image: string;
  format: InspectFormat;
  /** Each layer's gzip size as a registry push sends it (slower). */
  gzip: boolean;
  /** Rows per list. */
  top: number;
  dockerHost?: string;
  env?: NodeJS.ProcessEnv;
}

export async function inspectCommand(
  opts: InspectOptions,
  io: Pick<Output, "stdout">,
  engine: Engine = new DockerEngine(resolveEndpoint(opts.dockerHost, opts.env ?? process.env)),
): Promise<void> {
  await engine.info();
  if (!(await engine.inspectImage(opts.image))) {
    throw new InputError(
      `no image ${opts.image} on ${engine.host}`,
      "list images with `docker images`",
    );
  }
  const report = await engine.analyze(opts.image, { gzip: opts.gzip });
  io.stdout(renderInspect(report, opts.format, { top: opts.top }));
}
