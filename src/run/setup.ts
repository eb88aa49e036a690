// What a run holds open while its rungs build: the engines (each answered `info`), the base
// images on each of them, and the package server the builds install from. Opened in that
// order, closed by `close()` whatever happened in between.
import { DockerEngine } from "../docker/docker-engine.js";
import { chooseBuilder, type Builder, type Engine } from "../docker/engine.js";
import { InputError } from "../errors.js";
import type { Config } from "../config.js";
import type { BaseImages } from "../ladder/plan.js";
import { openRunSources, type RunSources } from "../packages/run-sources.js";
import type { SourcesRequest } from "../packages/sources-mode.js";
import type { BaseRole, EngineInfo, Ladder, PackageSources, RequirementsSet } from "../types.js";
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
  /** --sources: how the builds reach their packages (auto: by where the engines are). */
  sourcesMode?: SourcesRequest;
  /**
   * The requirements: what the wheelhouse of an engine on another machine is fetched for, and
   * the direct file references the package server serves (RunSources has the builds' texts).
   */
  requirements: RequirementsSet;
  /** Labels of what the run creates on the engines (the run's own). */
  labels: Record<string, string>;
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
  /** The package sources the builds use: the package server, or a wheelhouse on each engine. */
  server: RunSources;
  /** Notes for the record: remote engines, then the package server's. */
  notes(): string[];
  close(): Promise<void>;
}

/** Step: the engines of the run, and those on another machine (their builds cannot reach our 127.0.0.1). */
function openEngines(opts: SetupOptions): { engines: Engine[]; remoteHosts: string[] } {
  if (opts.engineOverride)
    return { engines: ([] as Engine[]).concat(opts.engineOverride), remoteHosts: [] };
  const endpoints = resolveEndpoints(
    opts.hosts,
    opts.config.engines,
    opts.config.file,
    opts.env,
    opts.context,
  );
  return {
    engines: endpoints.map((e) => new DockerEngine(e)),
    remoteHosts: endpoints.filter((e) => !isLocalEndpoint(e)).map((e) => e.host),
  };
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

/** Opens engines, then base images, then the package sources. */
export async function openRun(opts: SetupOptions): Promise<RunSetup> {
  const { engines, remoteHosts } = openEngines(opts);
  const notes: string[] = [];
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
  // Remote indexes (pip's default, PyPI, included) are fetched only by the run's package
  // server on this machine (credentials stay here); builds reach it on 127.0.0.1, or, on an
  // engine on another machine, a wheelhouse fetched through it (packages/run-sources.ts).
  const server = await openRunSources({
    sources: opts.sources,
    request: opts.sourcesMode,
    engines,
    remoteHosts,
    baseImages: usedBaseImages(opts.ladder, bases),
    requirements: opts.requirements,
    labels: opts.labels,
    cacheDir: opts.wheelCache,
    onNote: opts.onNote,
  });
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

/** The available base images the ladder's rungs use, slim ones first (any has python). */
function usedBaseImages(ladder: Ladder, bases: BaseImages): string[] {
  const roles = new Set<BaseRole>(
    ladder.rungs.flatMap((r) => (r.builder ? [r.base, r.builder] : [r.base])),
  );
  return [...roles].filter((r) => bases.unavailable[r] === undefined).map((r) => bases.images[r]);
}
