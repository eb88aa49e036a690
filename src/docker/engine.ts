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
}

export interface BuildRequest {
  context: Readable;
  tag: string;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  /** Called with every line of build output, as it arrives. */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
  /** Use the build cache (warm rebuilds); builds are cold (no cache) by default. */
  cache?: boolean;
}

export interface BuildOutcome {
  /** The image id, from the last aux.ID message and confirmed by an inspect. */
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
}

export interface ContainerOutcome {
  exitCode: number;
  output: string;
  timedOut: boolean;
  seconds: number;
}

export interface Engine {
  /** The endpoint, for messages and the run record. */
  readonly host: string;
  info(): Promise<EngineInfo>;
  /** undefined when the image is not present. */
  inspectImage(ref: string): Promise<ImageInfo | undefined>;
  /** Where an image's bytes are, read from `docker save` as a stream (see docs/inspect.md). */
  analyze(ref: string, opts: { gzip: boolean }): Promise<InspectReport>;
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
  /** Removes every container (and, unless told otherwise, image) carrying the label. */
  removeByLabel(
    label: string,
    what?: { images: boolean },
  ): Promise<{ images: string[]; containers: string[] }>;
}
