// The vocabulary of reading an image archive (`docker save`/`podman save`, classic or OCI
// layout): what an archive holds once read (`ImageArchive`), and how a consumer is handed
// each layer blob while the archive streams by (`LayerVisit`). Read by scan.ts.

import type { Header } from "tar-stream";

export type { Header as TarHeader } from "tar-stream";

export type ArchiveLayout = "classic" | "oci";
export type LayerCompression = "none" | "gzip" | "zstd";

/** The image config file (the JSON whose sha256 is the image id); only the fields we read are typed. */
export interface ImageConfigFile {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  config?: ContainerConfig;
  rootfs: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}

export interface ContainerConfig {
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
  [key: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** One layer of the image, in stack order (index 0 is the bottom layer). */
export interface ArchiveLayer {
  index: number;
  /** Entry name of the layer blob in the save archive, symlinks resolved. */
  path: string;
  /** "sha256:..." of the uncompressed layer tar, from the config's rootfs.diff_ids. */
  diffId: string;
  /** OCI media type, when the layout says. */
  mediaType?: string;
}

/** What a save archive holds, known once the whole archive has been read. */
export interface ImageArchive {
  layout: ArchiveLayout;
  /** Entry name of the config file. */
  configPath: string;
  /** The config file's bytes as stored: sha256 of these is the image id. */
  configBytes: Buffer;
  config: ImageConfigFile;
  repoTags: string[];
  /** Layers in stack order, bottom first. */
  layers: ArchiveLayer[];
  /** Stored size of each layer blob in the archive, by path (compressed size for gzip blobs). */
  storedSizes: Map<string, number>;
}

/** One entry of a layer tar. Its content must be consumed or skipped before the next entry. */
export interface LayerEntry {
  header: Header;
  /** header.name normalised: no leading "./" or "/", no trailing "/". */
  path: string;
  /** The content; empty for anything but regular files. */
  stream: AsyncIterable<Buffer>;
  /** Discards the content (also done for you when you move on to the next entry). */
  skip(): void;
}

/** An entry as `LayerVisit.read` hands it over. */
export interface LayerEntryHead {
  header: Header;
  /** header.name normalised: no leading "./" or "/", no trailing "/". */
  path: string;
}

/**
 * Receives one entry's content, in order, then `end()`. A chunk is a slice of the buffer
 * the bytes arrived in and is valid only during the call: copy what you keep.
 */
export interface ContentSink {
  data(chunk: Buffer): void;
  end(): void;
}

/** The synchronous way to read a layer's entries (`LayerVisit.read`). */
export interface LayerHandler {
  /**
   * Called for each entry, in order. Return a sink to receive the entry's content (regular
   * files have content; `end()` comes at once for an empty one), or nothing to skip it.
   * Throwing stops the whole read.
   */
  entry(entry: LayerEntryHead): ContentSink | undefined | void;
}

/** A layer blob met in the archive. Use it inside the visitor call; it is dead afterwards. */
export interface LayerVisit {
  /** Entry name of the blob in the archive (symlinks resolved), the key to `ImageArchive.layers`. */
  path: string;
  /** Bytes the blob takes in the archive. */
  storedSize: number;
  compression: LayerCompression;
  /** Stack positions of this blob (usually one), when the layout was known before the pass; else []. */
  positions: number[];
  /**
   * Receives the uncompressed layer tar's bytes. Register before `entries()` or `read()`.
   * A chunk is valid only during the call (copy what you keep). A listener may return a
   * promise: reading waits for it (backpressure, e.g. into gzip).
   */
  onBytes(listener: ByteListener): void;
  /**
   * The layer's tar entries in order, as async iterables (each chunk of an entry's stream is
   * the consumer's own). Anything the visitor leaves unread is drained after it returns.
   * Use this or `read()`, once.
   */
  entries(): AsyncIterable<LayerEntry>;
  /**
   * The fast way to read the entries: `handler` is called synchronously as the bytes stream
   * by, with no stream, promise or copy per entry or chunk. Resolves once the whole layer
   * has gone through it. Use this or `entries()`, once.
   */
  read(handler: LayerHandler): Promise<void>;
}

export type ByteListener = (chunk: Buffer) => void | Promise<void>;

export type LayerVisitor = (layer: LayerVisit) => Promise<void> | void;

export interface ScanOptions {
  /** The layout from an earlier pass: only its layers are visited, with their positions. */
  layout?: ImageArchive;
  /** Which image of a multi-image archive to describe (a RepoTag); the first one otherwise. */
  ref?: string;
}

/** Where a source pushes its chunks. */
export interface ChunkTarget {
  /**
   * Takes a chunk; true when the source must pause until `drain()` resolves. With `copy`, a
   * chunk that has to wait is copied (the source reuses its buffer).
   */
  push(chunk: Buffer, copy: boolean): boolean;
  drain(): Promise<void>;
}

/**
 * A source that pushes its bytes itself, once, honouring `ChunkTarget`'s pauses (the engine's
 * response read straight off its socket: src/docker/archive/socket-archive.ts).
 */
export interface PushSource {
  /** Pushes the whole body through `target`; resolves once it has taken it all. */
  pushTo(target: ChunkTarget): Promise<void>;
  destroy(): void;
}

/** What `scanImageArchive` reads: a stream of the save archive, or a source that pushes it. */
export type ArchiveInput = NodeJS.ReadableStream | AsyncIterable<Uint8Array> | PushSource;
