// `shrinkbench clean`: remove what runs left on the engines — containers and images by the run
// label, and the BuildKit cache records the runs' builds marked — and nothing else, on every
// engine of the config (or the ones named). --dry-run lists it with the bytes it would free.
import { loadConfig } from "../config.js";
import { DockerEngine } from "../docker/docker-engine.js";
import type { Engine } from "../docker/engine.js";
import type { Endpoint } from "../docker/endpoint.js";
import { renderLeftovers, renderRemoved } from "../report/clean.js";
import { resolveEndpoints } from "../run/engines.js";
import type { Output } from "./io.js";

export interface CleanOptions {
  /** Only this run's objects; without it, every run's. */
  run?: string;
  dockerHosts: string[];
  /** List what would go, with the bytes it would free; remove nothing. */
  dryRun?: boolean;
  /** Leave the build cache records (a warm cache for the next build). */
  keepCache?: boolean;
  /** --context NAME: a docker context instead. */
  context?: string;
  config?: string;
  env?: NodeJS.ProcessEnv;
  /** For tests: the engine of an endpoint. */
  engineFor?: (endpoint: Endpoint) => Engine;
}

export async function cleanCommand(opts: CleanOptions, io: Pick<Output, "stdout">): Promise<void> {
  const config = await loadConfig(opts.config);
  const endpoints = resolveEndpoints(
    opts.dockerHosts,
    config.engines,
    config.file,
    opts.env,
    opts.context,
  );
  const scope = { runId: opts.run };
  const keepCache = opts.keepCache ?? false;
  for (const endpoint of endpoints) {
    const engine = opts.engineFor?.(endpoint) ?? new DockerEngine(endpoint);
    await engine.info();
    const prefix = endpoints.length > 1 ? `${endpoint.host}: ` : "";
    const what = opts.run ? `run ${opts.run}` : "every run";
    if (opts.dryRun) {
      const leftovers = await engine.leftovers(scope);
      io.stdout(`${prefix}what ${what} left:\n${renderLeftovers(leftovers, { keepCache })}`);
      continue;
    }
    const removed = await engine.removeLeftovers(scope, { images: true, cache: !keepCache });
    io.stdout(`${prefix}${what}: ${renderRemoved(removed, { keepCache })}`);
  }
}
