// `shrinkbench clean`: remove the images and containers shrinkbench created, by label and
// nothing else, on every engine of the run (or the ones named).
import { loadConfig } from "../config.js";
import { DockerEngine } from "../docker/docker-engine.js";
import { RUN_LABEL } from "../ladder/plan.js";
import { resolveEndpoints } from "../run/engines.js";
import type { Output } from "./io.js";

export interface CleanOptions {
  /** Only this run's objects; without it, every run's. */
  run?: string;
  dockerHosts: string[];
  config?: string;
  env?: NodeJS.ProcessEnv;
}

export async function cleanCommand(opts: CleanOptions, io: Pick<Output, "stdout">): Promise<void> {
  const config = await loadConfig(opts.config);
  const endpoints = resolveEndpoints(opts.dockerHosts, config.engines, config.file, opts.env);
  const label = opts.run ? `${RUN_LABEL}=${opts.run}` : RUN_LABEL;
  for (const endpoint of endpoints) {
    const engine = new DockerEngine(endpoint);
    await engine.info();
    const removed = await engine.removeByLabel(label);
    io.stdout(
      `${endpoints.length > 1 ? `${endpoint.host}: ` : ""}removed ${removed.images.length} image(s) and ${removed.containers.length} container(s) labelled ${label}\n`,
    );
  }
}
