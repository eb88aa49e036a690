// Several engines in one run: which endpoints (flags, else the config's `engines`, else the
// docker CLI's resolution), the base images each one has, and which rungs each one can build.
import { endpointFromHost, resolveEndpoint, type Endpoint } from "../docker/endpoint.js";
import type { Engine } from "../docker/engine.js";
import { InputError } from "../errors.js";
import type { BaseImages, RungPlan } from "../ladder/plan.js";
import type { BaseImageRecord, BaseRole } from "../types.js";

/**
 * The endpoints of a run: `--context NAME`, or every `--docker-host` given, else the config
 * file's `engines`, else the one the docker CLI would use (DOCKER_HOST, the docker context, the
 * default socket).
 * A host named twice is used once.
 */
export function resolveEndpoints(
  hosts: readonly string[],
  configEngines: readonly string[] | undefined,
  configFile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  /** --context NAME: a docker context, instead of --docker-host or the config's engines. */
  context?: string,
): Endpoint[] {
  let endpoints: Endpoint[];
  if (context !== undefined) {
    // Refused together with --docker-host, as docker refuses --host with --context.
    endpoints = [resolveEndpoint({ host: hosts[0], context }, env)];
  } else if (hosts.length > 0) endpoints = hosts.map((h) => resolveEndpoint(h, env));
  else if (configEngines && configEngines.length > 0) {
    endpoints = configEngines.map((h, i) =>
      endpointFromHost(h, `${configFile ?? "config"}: engines[${i}]`, env),
    );
  } else endpoints = [resolveEndpoint(undefined, env)];
  const seen = new Set<string>();
  return endpoints.filter((e) => (seen.has(e.host) ? false : (seen.add(e.host), true)));
}

export { isLocalEndpoint } from "../docker/endpoint.js";

/** Validates the config file's `engines` entry: a list of host URLs. */
export function parseEngines(raw: unknown, file: string): string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.some((h) => typeof h !== "string" || h.trim() === "")) {
    throw new InputError(
      `${file}: engines: expected a list of Docker hosts`,
      'e.g. "engines": ["unix:///var/run/docker.sock", "ssh://builder@build2"]',
    );
  }
  return raw as string[];
}

/** What ensureBases found on each engine, merged: a role is unavailable only where no engine has it. */
export function mergeBases(perEngine: readonly { bases: BaseImages; pullSeconds: number }[]): {
  bases: BaseImages;
  pullSeconds: number;
} {
  const first = perEngine[0]!;
  const unavailable: BaseImages["unavailable"] = {};
  for (const [role, why] of Object.entries(first.bases.unavailable) as [BaseRole, string][]) {
    if (perEngine.every((p) => p.bases.unavailable[role] !== undefined)) unavailable[role] = why;
  }
  // Each role as the first engine that has it saw it (engines normally share their bases).
  const resolved: NonNullable<BaseImages["resolved"]> = {};
  for (const p of perEngine) {
    for (const [role, found] of Object.entries(p.bases.resolved ?? {}) as [
      BaseRole,
      BaseImageRecord,
    ][]) {
      resolved[role] ??= found;
    }
  }
  return {
    bases: { images: first.bases.images, unavailable, resolved },
    // Engines are prepared at the same time: the wait is the longest one.
    pullSeconds: Math.max(...perEngine.map((p) => p.pullSeconds)),
  };
}

/** Whether an engine has every base image a rung needs (final stage and builder). */
export function canBuildOn(
  engines: readonly Engine[],
  perEngine: readonly { bases: BaseImages }[],
): (plan: RungPlan, engine: Engine) => boolean {
  return (plan, engine) => {
    const found = perEngine[engines.indexOf(engine)];
    if (!found) return true;
    const roles = plan.rung.builder ? [plan.rung.base, plan.rung.builder] : [plan.rung.base];
    return roles.every((r) => found.bases.unavailable[r] === undefined);
  };
}
