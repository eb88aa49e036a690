// What shrinkbench needs from a Docker engine. The runner talks only to this interface; the
// dockerode-backed implementation is in docker-engine.ts.
import type { Readable } from "node:stream";
import type { InspectReport } from "../image/types.js";
import type { EngineInfo } from "../types.js";

export interface ImageInfo {
  id: string;
  /** .Size: the whole image, uncompressed, as `docker images` reports it. */
  size: number;
  /** Number of layers (RootFS.Layers). */
  layers: number;
  /** RepoDigests ("name@sha256:…"): empty for an image never pulled from or pushed to a registry. */
  repoDigests?: string[];
}

/**
 * Which of the engine's builders builds: BuildKit (`version: "2"` through the API, what
 * `docker build` uses since Docker 23.0) or the classic builder (`version: "1"`, deprecated).
 */
export type Builder = "buildkit" | "classic";
export const BUILDERS: readonly Builder[] = ["buildkit", "classic"];

export interface BuildRequest {
  context: Readable;
  /** Default: classic. */
  builder?: Builder;
  /** Build only up to this stage of a multi-stage Dockerfile. */
  target?: string;
  /** The Dockerfile's path in the context (default: Dockerfile). */
  dockerfile?: string;
  tag: string;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  /** Called with every line of build output, as it arrives. */
  onLine?: (line: string) => void;
  /**
   * BuildKit: called when the build moves on, with the Dockerfile instructions started so far of
   * all those in the solve. (The classic builder's `Step N/M :` lines come through onLine.)
   */
  onStep?: (step: number, steps: number) => void;
  signal?: AbortSignal;
  /** Use the build cache (warm rebuilds); builds are cold (no cache) by default. */
  cache?: boolean;
}

export interface BuildOutcome {
  /**
   * The image id, from the last aux.ID message (BuildKit: the moby.image.id message) and
   * confirmed by an inspect.
   */
  imageId?: string;
  /** The error the engine reported, in the stream or as a rejected request. */
  error?: string;
  log: string[];
}

export interface ContainerRun {
  image: string;
  cmd: string[];
  /** Files to put into the container before it starts: path in the container -> content. */
  files: Record<string, string>;
  labels: Record<string, string>;
  timeoutMs: number;
  /** "none" (the default: a smoke test needs no network), or "host" to reach the run's package server. */
  network?: "none" | "host";
}

export interface ContainerOutcome {
  exitCode: number;
  output: string;
  timedOut: boolean;
  seconds: number;
}

/** A long-running helper container on the engine's host network (the run's wheelhouse server). */
export interface HelperRequest {
  image: string;
  cmd: string[];
  /** A tar stream extracted at / in the container before it starts. */
  archive: Readable;
  labels: Record<string, string>;
  /** Matches the line of the helper's output that says it is ready. */
  ready: RegExp;
  timeoutMs: number;
}

export interface Helper {
  /** The ready line's match. */
  readonly ready: RegExpMatchArray;
  /** Removes the container. */
  stop(): Promise<void>;
}

export interface Engine extends LeftoverCleaner {
  /** The endpoint, for messages and the run record. */
  readonly host: string;
  info(): Promise<EngineInfo>;
  /** undefined when the image is not present. */
  inspectImage(ref: string): Promise<ImageInfo | undefined>;
  /** Where an image's bytes are, read from `docker save` as a stream (see docs/inspect.md). */
  analyze(ref: string, opts: { gzip: boolean; keepFiles?: boolean }): Promise<InspectReport>;
  /**
   * Several images from one `docker save` of them all (their shared layers exported and read
   * once); the reports in the order of `refs`, each equal to analyze's for that image.
   */
  analyzeImages?(refs: readonly string[], opts: { gzip: boolean }): Promise<InspectReport[]>;
  /** Tries to pull; resolves false (never throws) when the registry cannot provide it. */
  pull(ref: string, timeoutMs: number): Promise<{ ok: boolean; error?: string }>;
  build(request: BuildRequest): Promise<BuildOutcome>;
  runContainer(run: ContainerRun): Promise<ContainerOutcome>;
  /** The equivalent of `docker build --squash`, without experimental mode. */
  squash(image: string, base: string, tag: string, labels: Record<string, string>): Promise<string>;
  /**
   * Removes untagged images left by a build (a multi-stage build's builder stages are neither
   * tagged nor labelled); tagged images and images with children are left alone.
   */
  removeIntermediates(ids: readonly string[]): Promise<number>;
  removeImage(ref: string): Promise<void>;
  /**
   * Starts a helper container with host networking, so that builds (host network too) reach
   * what it serves on the engine's own 127.0.0.1. Rejects with its output when it exits or
   * does not print its ready line in time.
   */
  startHelper?(request: HelperRequest): Promise<Helper>;
  /** Removes every container (and, unless told otherwise, image) carrying the label. */
  removeByLabel(
    label: string,
    what?: { images: boolean },
  ): Promise<{ images: string[]; containers: string[] }>;
}

/** API 1.39 (Docker 18.09) is where BuildKit and the /session endpoint left experimental mode. */
const BUILDKIT_MIN_API = [1, 39];

/** Whether an engine can build with BuildKit through the API; when not, why. */
export function buildKitSupport(info: EngineInfo): { ok: true } | { ok: false; why: string } {
  if (info.os && info.os !== "linux")
    return { ok: false, why: `the engine at ${info.host} runs ${info.os} containers` };
  const [major = 0, minor = 0] = info.apiVersion.split(".").map(Number);
  const [needMajor, needMinor] = BUILDKIT_MIN_API as [number, number];
  if (major < needMajor || (major === needMajor && minor < needMinor))
    return {
      ok: false,
      why: `the engine at ${info.host} speaks API ${info.apiVersion} (BuildKit needs ${needMajor}.${needMinor}, Docker 18.09)`,
    };
  return { ok: true };
}

/**
 * The builder of a run: the one asked for, else BuildKit when every engine supports it, else
 * classic with a note saying why. Asking for BuildKit where an engine lacks it is an error the
 * caller reports before anything is built.
 */
export function chooseBuilder(
  requested: Builder | undefined,
  engines: readonly EngineInfo[],
): { builder: Builder; note?: string; unsupported?: string } {
  const lacking = engines.map(buildKitSupport).find((s) => !s.ok) as
    { ok: false; why: string } | undefined;
  if (requested === "classic") return { builder: "classic" };
  if (requested === "buildkit")
    return lacking ? { builder: "buildkit", unsupported: lacking.why } : { builder: "buildkit" };
  return lacking
    ? {
        builder: "classic",
        note: `building with the classic builder: ${lacking.why}; the rungs that need BuildKit are SKIPPED`,
      }
    : { builder: "buildkit" };
}

/** A BuildKit build cache record, as the engine's disk usage lists it. */
export interface CacheRecord {
  id: string;
  parent?: string;
  /** What made it, e.g. "mount / from exec /bin/sh -c pip install ... # shrinkbench-run=ID". */
  description: string;
  type: string;
  inUse: boolean;
  /** Its bytes back an image too (they go when both the image and the record are gone). */
  shared: boolean;
  bytes: number;
}

/** Everything of one run (or of every run) still on an engine, with the bytes each holds. */
export interface Leftovers {
  /** Images carrying the run label: tagged ones, and untagged builder stages or killed builds. */
  images: { id: string; tags: string[]; run: string; bytes: number }[];
  containers: { id: string; name: string; run: string; bytes: number; running: boolean }[];
  /** BuildKit cache records the run's builds made (see ladder/run-marks.ts). */
  buildCache: CacheRecord[];
}

export interface Removed {
  images: string[];
  containers: string[];
  buildCache: string[];
  /** What the engine reports it freed. */
  bytes: number;
  /**
   * What the removed images' layers still hold in the build cache: records that backed an image
   * before and back none now, left (--keep-cache, or records nothing ties to a run).
   */
  held: { records: number; bytes: number };
}

/** Whose leftovers: one run's, or every run's. */
export interface LeftoverScope {
  runId?: string;
}

/** The leftover listing and removal an engine offers `clean` and the end of a run. */
export interface LeftoverCleaner {
  leftovers(scope: LeftoverScope): Promise<Leftovers>;
  /** Containers always; images and BuildKit cache records unless told to keep them. */
  removeLeftovers(
    scope: LeftoverScope,
    what: { images: boolean; cache: boolean },
  ): Promise<Removed>;
}
