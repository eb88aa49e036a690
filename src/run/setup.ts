// What a run holds open while its rungs build: the engines (each answered `info`), the base
// images on each of them, and the package server the builds install from. Opened in that
// order, closed by `close()` whatever happened in between.
import { DockerEngine } from "../docker/docker-engine.js";
import { chooseBuilder, type Builder, type Engine } from "../docker/engine.js";
import { InputError } from "../errors.js";
import type { Config } from "../config.js";
import type { BaseImages } from "../ladder/plan.js";
import { startIndexServer, type IndexServer } from "../packages/index-server.js";
import type { BaseRole, EngineInfo, Ladder, PackageSources } from "../types.js";
import { ensureBases } from "./bases.js";
import { canBuildOn, isLocalEndpoint, mergeBases, resolveEndpoints } from "./engines.js";

export interface SetupOptions {
  /** --docker-host values; empty: the config's engines, else the docker CLI's resolution. */
  hosts: readonly string[];
  /** --context NAME. */
  context?: string;
  config: Config;
  ladder: Ladder;
  sources: PackageSources;
  pullTimeoutMs: number;
  wheelCache?: string;
  env: NodeJS.ProcessEnv;
  /** --builder; undefined: BuildKit where every engine supports it, else classic. */
  builder?: Builder;
  /** Engines to use instead of resolving endpoints (tests). */
  engineOverride?: Engine | Engine[];
  /** A note for the user (a remote engine, an upstream index that cannot be reached). */
  onNote: (note: string) => void;
  /** Told before a base image is pulled. */
  onPull: (ref: string, host: string) => void;
}

export interface RunSetup {
  engines: Engine[];
  /** `info` of each engine, in the same order. */
  engineInfos: EngineInfo[];
  /** The builder every rung builds with (chooseBuilder). */
  builder: Builder;
  /** The base images, merged over the engines: a role is unavailable only where none has it. */
  bases: BaseImages;
  pullSeconds: number;
  /** With several engines: whether one has every base image a rung needs. */
  canBuild?: ReturnType<typeof canBuildOn>;
  server: IndexServer;
  /** Notes for the record: remote engines, then the package server's. */
  notes(): string[];
  close(): Promise<void>;
}

/** Step: the engines of the run, each asked for its `info` (an unreachable one throws). */
async function openEngines(opts: SetupOptions): Promise<{ engines: Engine[]; notes: string[] }> {
  if (opts.engineOverride)
    return { engines: ([] as Engine[]).concat(opts.engineOverride), notes: [] };
  const endpoints = resolveEndpoints(
    opts.hosts,
    opts.config.engines,
    opts.config.file,
    opts.env,
    opts.context,
  );
  // The package server listens on this machine's 127.0.0.1, where host-network builds on a
  // remote engine do not look.
  const notes = endpoints
    .filter((e) => !isLocalEndpoint(e))
    .map(
      (e) =>
        `${e.host} is another machine: its builds reach the package server on 127.0.0.1 only through a forwarded port (e.g. ssh -R); give it its own --index-url otherwise`,
    );
  return { engines: endpoints.map((e) => new DockerEngine(e)), notes };
}

/** Step: the base images each rung needs, on every engine (present, else pulled). */
async function openBases(engines: readonly Engine[], opts: SetupOptions) {
  const roles = new Set<BaseRole>(
    opts.ladder.rungs.flatMap((r) => (r.builder ? [r.base, r.builder] : [r.base])),
  );
  const ensured = await Promise.all(
    engines.map((e) =>
      ensureBases(e, opts.config.bases, roles, opts.pullTimeoutMs, (ref) =>
        opts.onPull(ref, e.host),
      ),
    ),
  );
  // A rung runs only on an engine that has all of its bases.
  const canBuild = engines.length > 1 ? canBuildOn(engines, ensured) : undefined;
  return { ...mergeBases(ensured), canBuild };
}

/** Opens engines, then base images, then the package server. */
export async function openRun(opts: SetupOptions): Promise<RunSetup> {
  const { engines, notes } = await openEngines(opts);
  const engineInfos = await Promise.all(engines.map((e) => e.info()));
  const chosen = chooseBuilder(opts.builder, engineInfos);
  if (chosen.unsupported) {
    throw new InputError(
      `--builder buildkit: ${chosen.unsupported}`,
      "build with --builder classic, or on an engine of Docker 18.09 or later",
    );
  }
  if (chosen.note) notes.push(chosen.note);
  const { bases, pullSeconds, canBuild } = await openBases(engines, opts);
  // Remote indexes (pip's default, PyPI, included) reach the builds only through the run's
  // package server, a caching proxy on 127.0.0.1: credentials stay on the host, and an index
  // that cannot be reached answers 404 at once so pip moves on (see index-server.ts, proxy.ts).
  const server = await startIndexServer(opts.sources, {
    cacheDir: opts.wheelCache,
    onNote: opts.onNote,
  });
  for (const n of notes) opts.onNote(n);
  return {
    engines,
    engineInfos,
    builder: chosen.builder,
    bases,
    pullSeconds,
    canBuild,
    server,
    notes: () => [...notes, ...server.notes],
    close: () => server.close(),
  };
}
