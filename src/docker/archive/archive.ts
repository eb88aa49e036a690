// Reads a `docker save` stream (GET /images/{name}/get): never unpacks to disk and never
// holds a layer in memory. Both layouts are read:
//
// - classic (engines before 25): manifest.json, <config-hex>.json, <v1-id>/layer.tar, ...
// - OCI (engines 25+): oci-layout, index.json, blobs/sha256/<hex> (manifest.json usually
//   present too, and <id>/layer.tar may be symlinks into blobs/).
//
// A save tar is ordered by file name, so layer tars usually come BEFORE manifest.json and
// in no particular stack order. One pass therefore cannot hand out layers bottom-up without
// spooling them. What this module does instead:
//
// - `scanImageArchive` reads the archive once. It buffers only small JSON entries
//   (manifests, index, config), hands every layer blob to a visitor *in archive order*,
//   and returns the image's layout (config, layer stack) once the stream ends. A consumer
//   that needs stack order keeps per-layer results keyed by `LayerVisit.path` and combines
//   them afterwards with `ImageArchive.layers` (this is what inspect does, in one pass).
// - Given the layout of an earlier pass (`options.layout`), each visit also carries the
//   layer's `positions` in the stack, so a second pass (squash) knows what it is reading
//   the moment it reads it.
//
// Layer blobs compressed with gzip (OCI layouts may hold them so) are detected by magic
// bytes and gunzipped on the fly.
//
// How it reads (the cost of inspect is this loop): the save stream is pushed, chunk by
// chunk, through a small synchronous tar parser (`TarReader`, below) for the outer archive;
// a layer's bytes go, still synchronously and without copies, to the byte listeners and to
// a second `TarReader` for the layer tar, whose entries' contents are handed to the
// visitor's callbacks (`LayerVisit.read`) as slices of the chunk that holds them. No stream,
// promise or copy per entry or per chunk, and nothing waits unless a consumer asks to
// (a listener's promise, the start of a layer's visitor): then the source pauses until it
// has. For an engine on a unix socket (the usual case) the response is read straight off
// the socket into one reused buffer (`SocketArchive`), which spares Node's HTTP client its
// buffer per read (and the garbage collector its work). `LayerVisit.entries()` offers the
// same entries as async iterables, for consumers that await per entry (squash).

import net from "node:net";
import { finished } from "node:stream/promises";
import { createGunzip, type Gunzip } from "node:zlib";
import type Dockerode from "dockerode";
import type { Header } from "tar-stream";
import { EngineError } from "../../errors.js";

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

/** What `scanImageArchive` reads: a stream of the save archive, or the engine's response itself. */
export type ArchiveInput = NodeJS.ReadableStream | AsyncIterable<Uint8Array> | SocketArchive;

/** JSON entries above this size are not buffered (configs and manifests are far smaller). */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** Opens `docker save` of one image as a stream. */
export async function openImageArchive(docker: Dockerode, ref: string): Promise<ArchiveInput> {
  const hint = "check the image exists (docker image ls)";
  const modem = docker.modem as { socketPath?: unknown; version?: unknown };
  // A reference is a few ASCII characters ([a-z0-9._/:@-]); anything else takes dockerode's way.
  if (typeof modem.socketPath === "string" && /^[\x21-\x7e]+$/.test(ref)) {
    const version = typeof modem.version === "string" && modem.version ? `/${modem.version}` : "";
    try {
      return await SocketArchive.open(modem.socketPath, `${version}/images/${ref}/get`);
    } catch (err) {
      throw new EngineError(`cannot export image ${ref}: ${(err as Error).message}`, hint);
    }
  }
  try {
    return await docker.getImage(ref).get();
  } catch (err) {
    throw new EngineError(`cannot export image ${ref}: ${(err as Error).message}`, hint);
  }
}

/** Reads only the layout of an archive (config, layer stack), skipping layer contents. */
export function readImageArchive(
  input: ArchiveInput,
  options: ScanOptions = {},
): Promise<ImageArchive> {
  return scanImageArchive(input, undefined, options);
}

/**
 * Reads a save archive once, calling `visit` for each layer blob in archive order, and
 * returns the archive's layout. Rejects on a malformed archive or when a visitor throws.
 * Visitors run one at a time: the next layer waits until the visitor of the last returned.
 */
export async function scanImageArchive(
  input: ArchiveInput,
  visit?: LayerVisitor,
  options: ScanOptions = {},
): Promise<ImageArchive> {
  const known = options.layout;
  const knownPositions = new Map<string, number[]>();
  for (const layer of known?.layers ?? []) {
    knownPositions.set(layer.path, [...(knownPositions.get(layer.path) ?? []), layer.index]);
  }
  const json = new Map<string, Buffer>();
  const links = new Map<string, string>();
  const storedSizes = new Map<string, number>();

  const flow = new Flow();
  let abort!: (err: unknown) => void;
  const aborted = new Promise<never>((_, reject) => (abort = reject));
  aborted.catch(() => undefined);
  let active: LayerSink | undefined;

  const decide = (name: string, size: number, head: Buffer): ContentSink | undefined => {
    let isLayer: boolean;
    if (known) {
      isLayer = knownPositions.has(name) || knownPositions.has(resolveLinks(name, links));
    } else if (name.endsWith("/layer.tar")) {
      isLayer = true;
    } else if (isJsonName(name) || name.startsWith("blobs/")) {
      const sniffed = sniff(head);
      if (sniffed === "json" || isJsonName(name)) {
        return size <= MAX_JSON_BYTES ? new Collector((b) => json.set(name, b)) : undefined;
      }
      isLayer = sniffed !== "unknown";
    } else {
      isLayer = false;
    }
    if (!isLayer) return undefined;
    storedSizes.set(name, size);
    if (!visit) return undefined;
    const sniffed = sniff(head);
    const compression: LayerCompression =
      sniffed === "gzip" ? "gzip" : sniffed === "zstd" ? "zstd" : "none";
    active = new LayerSink(
      { path: name, storedSize: size, compression, positions: knownPositions.get(name) ?? [] },
      visit,
      flow,
      abort,
      () => (active = undefined),
    );
    return active;
  };

  const reader = new TarReader((header) => {
    const name = normalizeEntryPath(header.name);
    if (header.type === "symlink") {
      links.set(name, joinPath(dirname(name), header.linkname ?? ""));
      return undefined;
    }
    if (header.type !== "file" && header.type !== "contiguous-file") return undefined;
    return new HeadSink((head) => decide(name, header.size, head));
  }, flow);
  const feeder = new Feeder(reader, flow);

  try {
    await Promise.race([pump(input, feeder), aborted]);
    reader.end();
    await Promise.race([flow.settle(), aborted]);
  } catch (err) {
    active?.fail(err);
    destroyInput(input);
    throw err;
  }

  if (known) return known;
  return describeArchive(json, links, storedSizes, options.ref);
}

/** "./usr/bin/" → "usr/bin"; "." → "". */
export function normalizeEntryPath(name: string): string {
  let p = name;
  while (p.startsWith("./")) p = p.slice(2);
  if (p.startsWith("/")) p = p.replace(/^\/+/, "");
  if (p.endsWith("/")) p = p.replace(/\/+$/, "");
  return p === "." ? "" : p;
}

// ---------------------------------------------------------------------------------------
// Sniffing and the outer archive's entries

type Sniffed = "json" | "tar" | "gzip" | "zstd" | "unknown";

function sniff(head: Buffer): Sniffed {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return "zstd";
  if (head.length >= 263 && head.subarray(257, 262).toString("latin1") === "ustar") return "tar";
  if (head.length === 0 || (head.length >= 512 && head.subarray(0, 512).every((b) => b === 0))) {
    return "tar"; // an empty layer: end-of-archive blocks only
  }
  const first = head.toString("utf8").trimStart()[0];
  if (first === "{" || first === "[") return "json";
  return "unknown";
}

function isJsonName(name: string): boolean {
  return name.endsWith(".json") || name === "oci-layout";
}

const HEAD_BYTES = 512;

/** Gathers the first 512 bytes of an entry, lets `decide` pick where the content goes, then forwards. */
class HeadSink implements ContentSink {
  private parts: Buffer[] = [];
  private length = 0;
  private decided = false;
  private target: ContentSink | undefined;

  constructor(private readonly decide: (head: Buffer) => ContentSink | undefined) {}

  data(chunk: Buffer): void {
    if (this.decided) {
      this.target?.data(chunk);
      return;
    }
    const need = HEAD_BYTES - this.length;
    if (chunk.length < need) {
      this.parts.push(Buffer.from(chunk));
      this.length += chunk.length;
      return;
    }
    this.parts.push(chunk.subarray(0, need));
    this.start();
    if (chunk.length > need) this.target?.data(chunk.subarray(need));
  }

  end(): void {
    if (!this.decided) this.start();
    this.target?.end();
  }

  private start(): void {
    const head = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
    this.parts = [];
    this.decided = true;
    this.target = this.decide(head);
    if (head.length > 0) this.target?.data(head);
  }
}

/** Buffers a (small) entry whole. */
class Collector implements ContentSink {
  private parts: Buffer[] = [];
  constructor(private readonly done: (bytes: Buffer) => void) {}
  data(chunk: Buffer): void {
    this.parts.push(Buffer.from(chunk));
  }
  end(): void {
    this.done(Buffer.concat(this.parts));
  }
}

// ---------------------------------------------------------------------------------------
// One layer blob

interface LayerInfo {
  path: string;
  storedSize: number;
  compression: LayerCompression;
  positions: number[];
}

/** Bytes an `entries()` consumer may have queued (content, plus this much per entry) before reading waits. */
const BRIDGE_BYTES = 4 << 20;
const BRIDGE_ENTRY_COST = 512;

const noop = (): void => undefined;

/**
 * Takes a layer blob's bytes from the outer archive, runs the visitor and routes the bytes:
 * gunzip when stored compressed, then the byte listeners, then the layer's tar reader, whose
 * entries go to the visitor's handler (`read`) or to an `EntryBridge` (`entries`).
 */
class LayerSink implements ContentSink {
  private mode: "waiting" | "read" | "entries" | "drain" = "waiting";
  private queued: Buffer[] = [];
  private ended = false;
  private live = true;
  private readonly listeners: ByteListener[] = [];
  private reader: TarReader | undefined;
  private gunzip: Gunzip | undefined;
  private gunzipError: unknown;
  private handler: LayerHandler | undefined;
  private bridge: EntryBridge | undefined;
  private readDone: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  private chosen!: () => void;
  private readonly visitor: Promise<void>;

  constructor(
    private readonly info: LayerInfo,
    visit: LayerVisitor,
    private readonly flow: Flow,
    private readonly abort: (err: unknown) => void,
    private readonly done: () => void,
  ) {
    const chosen = new Promise<void>((resolve) => (this.chosen = resolve));
    const layerVisit: LayerVisit = {
      path: info.path,
      storedSize: info.storedSize,
      compression: info.compression,
      positions: info.positions,
      onBytes: (listener) => {
        this.assertLive();
        if (this.mode !== "waiting") throw new Error("onBytes must be called before entries()");
        this.listeners.push(listener);
      },
      entries: () => {
        this.choose("entries");
        const bridge = new EntryBridge(flow, this.visitor);
        this.bridge = bridge;
        return bridge.iterable();
      },
      read: (handler) => {
        this.choose("read");
        this.handler = handler;
        return new Promise<void>((resolve, reject) => (this.readDone = { resolve, reject }));
      },
    };
    let settle!: (result: Promise<void> | void) => void;
    this.visitor = new Promise<void>((resolve) => (settle = resolve)).finally(() => {
      this.live = false;
      this.bridge?.close(); // nobody reads what is left
    });
    this.visitor.catch((err) => this.abort(err));
    try {
      settle(visit(layerVisit));
    } catch (err) {
      settle(Promise.reject(err));
    }
    if (this.mode === "waiting") {
      // The visitor awaits something before it reads: hold the bytes until it reads or returns.
      flow.defer(Promise.race([chosen, this.visitor.then(noop, noop)]).then(() => this.resume()));
    }
  }

  data(chunk: Buffer): void {
    if (this.mode === "waiting") this.queued.push(Buffer.from(chunk));
    else this.stored(chunk);
  }

  end(): void {
    this.ended = true;
    if (this.mode !== "waiting") this.finish();
  }

  /** The scan failed: settle what the visitor waits on. */
  fail(err: unknown): void {
    this.readDone?.reject(err);
    this.readDone = undefined;
    this.bridge?.fail(err);
    this.gunzip?.destroy();
  }

  private assertLive(): void {
    if (!this.live) throw new Error("layer visit used after its visitor returned");
  }

  private choose(mode: "read" | "entries" | "drain"): void {
    if (mode !== "drain") {
      this.assertLive();
      if (this.mode !== "waiting") throw new Error(`layer ${this.info.path} read twice`);
    }
    const inflate = mode !== "drain" || this.listeners.length > 0;
    if (this.info.compression === "zstd" && inflate) {
      throw new EngineError(
        `layer ${this.info.path} is zstd-compressed, which this Node version cannot decompress`,
        "re-save the image with gzip or uncompressed layers",
      );
    }
    this.mode = mode;
    if (mode !== "drain") this.reader = new TarReader((h) => this.entry(h));
    if (this.info.compression === "gzip" && inflate) this.startGunzip();
    this.chosen();
  }

  private resume(): void {
    if (this.mode === "waiting") this.choose("drain");
    const queued = this.queued;
    this.queued = [];
    for (const chunk of queued) this.stored(chunk);
    if (this.ended) this.finish();
  }

  private entry(header: Header): ContentSink | undefined {
    const path = normalizeEntryPath(header.name);
    if (this.handler) return this.handler.entry({ header, path }) || undefined;
    return this.bridge?.entry(header, path);
  }

  /** Bytes as stored in the archive. */
  private stored(chunk: Buffer): void {
    const gunzip = this.gunzip;
    if (gunzip) {
      if (this.gunzipError) throw this.gunzipError;
      if (!gunzip.write(Buffer.from(chunk))) this.flow.defer(waitDrain(gunzip));
    } else if (this.mode !== "drain" || this.listeners.length > 0) {
      this.tar(chunk);
    }
  }

  /** Bytes of the uncompressed layer tar. Returns the listeners' promises, if any. */
  private tar(chunk: Buffer): Promise<unknown>[] | undefined {
    let waits: Promise<unknown>[] | undefined;
    for (const listener of this.listeners) {
      const r = listener(chunk);
      if (r) (waits ??= []).push(r);
    }
    this.reader?.write(chunk);
    if (waits && !this.gunzip) {
      for (const w of waits) this.flow.defer(w);
      return undefined;
    }
    return waits;
  }

  private startGunzip(): void {
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    this.gunzip = gunzip;
    gunzip.on("data", (chunk: Buffer) => {
      try {
        const waits = this.tar(chunk);
        if (waits) {
          gunzip.pause();
          Promise.all(waits).then(
            () => gunzip.resume(),
            (err) => gunzip.destroy(err as Error),
          );
        }
      } catch (err) {
        gunzip.destroy(err as Error);
      }
    });
    gunzip.on("error", (err) => {
      this.gunzipError ??= err;
      this.abort(err);
    });
  }

  private finish(): void {
    const gunzip = this.gunzip;
    if (gunzip) {
      gunzip.end();
      this.flow.defer(finished(gunzip).then(() => this.complete()));
    } else {
      this.complete();
    }
  }

  private complete(): void {
    try {
      this.reader?.end();
    } catch (err) {
      this.fail(err);
      throw err;
    }
    this.bridge?.end();
    this.readDone?.resolve();
    this.readDone = undefined;
    this.done();
    // The next layer waits for this visitor to return (and fails if it threw).
    this.flow.defer(this.visitor);
  }
}

/** Hands a layer's entries to an async consumer (`LayerVisit.entries()`), with backpressure. */
class EntryBridge {
  private queue: BridgeEntry[] = [];
  private queuedBytes = 0;
  private done = false;
  private error: unknown;
  private closed = false;
  private current: BridgeEntry | undefined;
  private wake: (() => void) | undefined;
  private room: (() => void) | undefined;

  constructor(
    private readonly flow: Flow,
    private readonly visitor: Promise<unknown>,
  ) {}

  /** Producer side: an entry of the layer. */
  entry(header: Header, path: string): ContentSink | undefined {
    if (this.closed) return undefined;
    const e = new BridgeEntry(this, header, path);
    this.queue.push(e);
    this.add(BRIDGE_ENTRY_COST);
    this.notify();
    return e;
  }

  end(): void {
    this.done = true;
    this.notify();
  }

  fail(err: unknown): void {
    this.error ??= err;
    this.done = true;
    this.notify();
    this.current?.notify();
  }

  /** The consumer is gone: drop what is queued and what is still to come. */
  close(): void {
    this.closed = true;
    this.current?.skip();
    for (const e of this.queue) e.skip();
    this.queue = [];
    this.queuedBytes = 0;
    this.freeRoom();
  }

  add(n: number): void {
    this.queuedBytes += n;
    if (this.queuedBytes > BRIDGE_BYTES && !this.room && !this.closed) {
      const room = new Promise<void>((resolve) => (this.room = resolve));
      this.flow.defer(Promise.race([room, this.visitor.then(noop, noop)]));
    }
  }

  release(n: number): void {
    this.queuedBytes -= n;
    if (this.queuedBytes <= BRIDGE_BYTES / 2) this.freeRoom();
  }

  isFailed(): boolean {
    return this.error !== undefined;
  }

  errorOf(): unknown {
    return this.error;
  }

  iterable(): AsyncIterable<LayerEntry> {
    return { [Symbol.asyncIterator]: () => this.iterate() };
  }

  private freeRoom(): void {
    const room = this.room;
    this.room = undefined;
    room?.();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async *iterate(): AsyncGenerator<LayerEntry> {
    try {
      for (;;) {
        while (this.queue.length === 0 && !this.done) {
          await new Promise<void>((resolve) => (this.wake = resolve));
        }
        const e = this.queue.shift();
        if (!e) {
          if (this.error !== undefined) throw this.error;
          return;
        }
        this.release(BRIDGE_ENTRY_COST);
        this.current = e;
        yield e.entry;
        e.skip();
        this.current = undefined;
      }
    } finally {
      this.close();
    }
  }
}

class BridgeEntry implements ContentSink {
  readonly entry: LayerEntry;
  private chunks: Buffer[] = [];
  private ended = false;
  private skipped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly bridge: EntryBridge,
    header: Header,
    path: string,
  ) {
    this.entry = {
      header,
      path,
      stream: { [Symbol.asyncIterator]: () => this.iterate() },
      skip: () => this.skip(),
    };
  }

  data(chunk: Buffer): void {
    if (this.skipped) return;
    const copy = Buffer.from(chunk);
    this.chunks.push(copy);
    this.bridge.add(copy.length);
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  skip(): void {
    if (this.skipped) return;
    this.skipped = true;
    let n = 0;
    for (const c of this.chunks) n += c.length;
    this.chunks = [];
    if (n > 0) this.bridge.release(n);
    this.notify();
  }

  notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async *iterate(): AsyncGenerator<Buffer> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk) {
        this.bridge.release(chunk.length);
        yield chunk;
        continue;
      }
      if (this.ended || this.skipped) return;
      if (this.bridge.isFailed()) throw this.bridge.errorOf();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

// ---------------------------------------------------------------------------------------
// Flow control: one synchronous pipeline that pauses its source when a consumer asks

/**
 * Promises the pipeline must wait for before it takes more bytes. Set from inside the
 * synchronous pipeline (`defer`); the source pauses and `settle()` waits them out.
 */
class Flow {
  blocked = false;
  private deferred: Promise<unknown>[] = [];

  defer(p: Promise<unknown>): void {
    p.catch(noop); // observed in settle()
    this.deferred.push(p);
    this.blocked = true;
  }

  async settle(): Promise<void> {
    while (this.deferred.length > 0) {
      const waits = this.deferred;
      this.deferred = [];
      await Promise.all(waits);
    }
    this.blocked = false;
  }
}

/** Where a source pushes its chunks. */
interface BodyTarget {
  /** Takes a chunk; true when the source must pause until `drain()` resolves. */
  push(chunk: Buffer, copy: boolean): boolean;
  drain(): Promise<void>;
}

/** Feeds chunks to the outer tar reader; keeps what it could not take yet. */
class Feeder implements BodyTarget {
  private queue: Buffer[] = [];

  constructor(
    private readonly reader: TarReader,
    private readonly flow: Flow,
  ) {}

  /**
   * Takes a chunk. Returns true when the source must pause until `drain()` resolves. With
   * `copy`, a chunk that has to wait is copied (the source reuses its buffer).
   */
  push(chunk: Buffer, copy: boolean): boolean {
    if (this.queue.length === 0 && !this.flow.blocked) {
      const pos = this.reader.write(chunk, 0);
      if (pos === chunk.length) return this.flow.blocked;
      chunk = chunk.subarray(pos);
    }
    this.queue.push(copy ? Buffer.from(chunk) : chunk);
    return true;
  }

  async drain(): Promise<void> {
    for (;;) {
      if (this.flow.blocked) await this.flow.settle();
      const head = this.queue[0];
      if (!head) return;
      const pos = this.reader.write(head, 0);
      if (pos === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(pos);
    }
  }
}

function toBuffer(raw: Uint8Array | string): Buffer {
  if (typeof raw === "string") return Buffer.from(raw);
  return Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
}

function isReadable(input: ArchiveInput): input is NodeJS.ReadableStream {
  const r = input as Partial<NodeJS.ReadableStream>;
  return typeof r.on === "function" && typeof r.pause === "function";
}

function destroyInput(input: ArchiveInput): void {
  const d = (input as { destroy?: () => void }).destroy;
  if (typeof d === "function") d.call(input);
}

/** Pushes the whole input through the feeder, pausing the source while the pipeline waits. */
async function pump(input: ArchiveInput, feeder: Feeder): Promise<void> {
  if (input instanceof SocketArchive) return input.pipe(feeder);
  if (isReadable(input)) return pumpReadable(input, feeder);
  for await (const raw of input as AsyncIterable<Uint8Array | string>) {
    if (feeder.push(toBuffer(raw), false)) await feeder.drain();
  }
  await feeder.drain();
}

function pumpReadable(input: NodeJS.ReadableStream, feeder: Feeder): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let draining: Promise<void> | undefined;
    let ended = false;
    let settled = false;
    const cleanup = () => {
      input.removeListener("data", onData);
      input.removeListener("end", onEnd);
      input.removeListener("error", fail);
      input.removeListener("close", onClose);
    };
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(err as Error);
    };
    const onData = (raw: Buffer | string) => {
      if (settled) return;
      try {
        if (feeder.push(toBuffer(raw), false) && !draining) {
          input.pause();
          draining = feeder.drain().then(() => {
            draining = undefined;
            if (!settled && !ended) input.resume();
          });
          draining.catch(fail);
        }
      } catch (err) {
        fail(err);
      }
    };
    const onEnd = () => {
      ended = true;
      (draining ?? Promise.resolve())
        .then(() => feeder.drain())
        .then(() => {
          if (settled) return;
          settled = true;
          cleanup();
          resolve();
        }, fail);
    };
    const onClose = () => {
      if (!ended) fail(new Error("the archive stream closed before its end"));
    };
    input.on("data", onData);
    input.once("end", onEnd);
    input.once("error", fail);
    input.once("close", onClose);
  });
}

function waitDrain(w: NodeJS.WritableStream & { destroyed?: boolean }): Promise<void> {
  if (w.destroyed) return Promise.reject(new Error("stream destroyed while writing"));
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      w.removeListener("drain", onDrain);
      w.removeListener("close", onClose);
      w.removeListener("error", onError);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(new Error("stream closed while writing"));
    };
    const onError = (err: unknown) => {
      cleanup();
      reject(err as Error);
    };
    w.once("drain", onDrain);
    w.once("close", onClose);
    w.once("error", onError);
  });
}

// ---------------------------------------------------------------------------------------
// The tar format, read incrementally

const BLOCK = 512;
/** pax and GNU long-name records above this size are refused (tar-stream's limit too). */
const MAX_LONG_HEADER = 1 << 20;

const enum ReadState {
  Header,
  Content,
  Padding,
  Long,
}

/** Typeflags whose size field announces no content (Go's archive/tar, which writes layers, agrees). */
const HEADER_ONLY = new Set<string | null>([
  "link",
  "symlink",
  "character-device",
  "block-device",
  "directory",
  "fifo",
]);

type EntryCallback = (header: Header) => ContentSink | undefined | void;

/**
 * A push parser for tar (ustar, pax, GNU long names): `write` takes chunks in order and
 * calls back synchronously, content as slices of the chunks, skipped content only counted.
 * Given a `gate`, it stops as soon as the gate is blocked and returns where it stopped.
 */
export class TarReader {
  private state = ReadState.Header;
  private readonly block = Buffer.alloc(BLOCK);
  private fill = 0;
  private remaining = 0;
  private padding = 0;
  private sink: ContentSink | undefined;
  private longType: string | null = null;
  private longParts: Buffer[] = [];
  private pax: Record<string, string> | null = null;
  private paxGlobal: Record<string, string> | null = null;
  private longPath: string | null = null;
  private longLink: string | null = null;

  constructor(
    private readonly onEntry: EntryCallback,
    private readonly gate?: { readonly blocked: boolean },
  ) {}

  /** Reads `buf` from `pos`; returns the position reached (`buf.length` unless the gate closed). */
  write(buf: Buffer, pos = 0): number {
    const end = buf.length;
    const gate = this.gate;
    while (pos < end) {
      if (gate?.blocked) return pos;
      switch (this.state) {
        case ReadState.Content: {
          const n = Math.min(this.remaining, end - pos);
          this.remaining -= n;
          const sink = this.sink;
          if (sink) sink.data(pos === 0 && n === end ? buf : buf.subarray(pos, pos + n));
          pos += n;
          if (this.remaining === 0) this.endEntry();
          break;
        }
        case ReadState.Padding: {
          const n = Math.min(this.padding, end - pos);
          this.padding -= n;
          pos += n;
          if (this.padding === 0) this.state = ReadState.Header;
          break;
        }
        case ReadState.Long: {
          const n = Math.min(this.remaining, end - pos);
          this.longParts.push(Buffer.from(buf.subarray(pos, pos + n)));
          this.remaining -= n;
          pos += n;
          if (this.remaining === 0) this.endLong();
          break;
        }
        default: {
          if (this.fill === 0 && end - pos >= BLOCK) {
            pos += BLOCK;
            this.header(buf, pos - BLOCK);
          } else {
            const n = Math.min(BLOCK - this.fill, end - pos);
            buf.copy(this.block, this.fill, pos, pos + n);
            this.fill += n;
            pos += n;
            if (this.fill === BLOCK) {
              this.fill = 0;
              this.header(this.block, 0);
            }
          }
        }
      }
    }
    return pos;
  }

  /** The input ended: throws when it ended inside an entry. */
  end(): void {
    if (this.state !== ReadState.Header || this.fill > 0) {
      throw new Error("unexpected end of tar data: the archive is truncated");
    }
  }

  private endEntry(): void {
    const sink = this.sink;
    this.sink = undefined;
    this.state = this.padding > 0 ? ReadState.Padding : ReadState.Header;
    sink?.end();
  }

  private header(b: Buffer, o: number): void {
    const h = decodeHeader(b, o);
    if (!h) return; // a zero block: the end-of-archive marker; keep reading (as tar-stream does)
    const type = h.type as string | null;
    if (
      type === "pax-header" ||
      type === "pax-global-header" ||
      type === "gnu-long-path" ||
      type === "gnu-long-link-path"
    ) {
      if (!(h.size >= 0) || h.size > MAX_LONG_HEADER)
        throw new Error("tar: header exceeds max size");
      this.longType = type;
      this.longParts = [];
      this.remaining = h.size;
      this.padding = padOf(h.size);
      if (h.size > 0) this.state = ReadState.Long;
      else this.endLong();
      return;
    }
    if (this.longPath !== null) {
      h.name = this.longPath;
      this.longPath = null;
    }
    if (this.longLink !== null) {
      h.linkname = this.longLink;
      this.longLink = null;
    }
    if (this.pax) {
      const pax = this.pax;
      if (pax.path) h.name = pax.path;
      if (pax.linkpath) h.linkname = pax.linkpath;
      if (pax.size) h.size = parseInt(pax.size, 10);
      h.pax = pax;
      this.pax = null;
    }
    if (!(h.size >= 0)) throw new Error(`tar: invalid size in the header of ${h.name}`);
    if (HEADER_ONLY.has(type)) h.size = 0;
    const size = h.size;
    const sink = this.onEntry(h) || undefined;
    if (size === 0) {
      sink?.end();
      return;
    }
    this.sink = sink;
    this.remaining = size;
    this.padding = padOf(size);
    this.state = ReadState.Content;
  }

  private endLong(): void {
    const data = this.longParts.length === 1 ? this.longParts[0]! : Buffer.concat(this.longParts);
    this.longParts = [];
    this.state = this.padding > 0 ? ReadState.Padding : ReadState.Header;
    switch (this.longType) {
      case "gnu-long-path":
        this.longPath = cString(data, 0, data.length);
        break;
      case "gnu-long-link-path":
        this.longLink = cString(data, 0, data.length);
        break;
      case "pax-global-header":
        this.paxGlobal = decodePax(data);
        break;
      default:
        this.pax = this.paxGlobal ? { ...this.paxGlobal, ...decodePax(data) } : decodePax(data);
    }
  }
}

function padOf(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}

const TYPES: Record<number, string> = {
  0: "file",
  1: "link",
  2: "symlink",
  3: "character-device",
  4: "block-device",
  5: "directory",
  6: "fifo",
  7: "contiguous-file",
  72: "pax-header",
  55: "pax-global-header",
  27: "gnu-long-link-path",
  28: "gnu-long-path",
  30: "gnu-long-path",
};

/** Decodes a 512-byte header block at `o` (as tar-stream does); null for a zero block. */
function decodeHeader(b: Buffer, o: number): Header | null {
  let sum = 8 * 32;
  for (let i = o, e = o + 148; i < e; i++) sum += b[i]!;
  for (let i = o + 156, e = o + BLOCK; i < e; i++) sum += b[i]!;
  if (sum === 8 * 32) return null;
  if (sum !== octal(b, o + 148, 8)) {
    throw new Error("invalid tar header: the data is corrupt, or compressed");
  }
  const flagByte = b[o + 156]!;
  let flag = flagByte === 0 ? 0 : flagByte - 48;
  let name = cString(b, o, 100);
  // ustar ("ustar\0" "00"): a name prefix; GNU ("ustar  \0") uses that field otherwise
  if (
    b[o + 257] === 0x75 &&
    b[o + 258] === 0x73 &&
    b[o + 259] === 0x74 &&
    b[o + 260] === 0x61 &&
    b[o + 261] === 0x72 &&
    b[o + 262] === 0 &&
    b[o + 345] !== 0
  ) {
    name = `${cString(b, o + 345, 155)}/${name}`;
  }
  if (flag === 0 && name.endsWith("/")) flag = 5;
  return {
    name,
    mode: octal(b, o + 100, 8),
    uid: octal(b, o + 108, 8),
    gid: octal(b, o + 116, 8),
    size: octal(b, o + 124, 12),
    mtime: new Date(1000 * octal(b, o + 136, 12)),
    type: (TYPES[flag] ?? null) as Header["type"],
    linkname: b[o + 157] === 0 ? "" : cString(b, o + 157, 100),
    uname: cString(b, o + 265, 32),
    gname: cString(b, o + 297, 32),
    devmajor: octal(b, o + 329, 8),
    devminor: octal(b, o + 337, 8),
    pax: null,
  };
}

/** A NUL-terminated UTF-8 field. */
function cString(b: Buffer, o: number, length: number): string {
  let e = o;
  const max = o + length;
  while (e < max && b[e] !== 0) e++;
  return b.toString("utf8", o, e);
}

/** An octal number field (leading spaces and NULs allowed), or base-256 when its top bit is set. */
function octal(b: Buffer, o: number, length: number): number {
  const e = o + length;
  const first = b[o]!;
  if (first & 0x80) {
    // base-256: 0x80 positive, 0xff negative (two's complement)
    const positive = first === 0x80;
    if (!positive && first !== 0xff) return NaN;
    let value = 0;
    for (let i = o + 1; i < e; i++) value = value * 256 + (positive ? b[i]! : 0xff - b[i]!);
    return positive ? value : -(value + 1);
  }
  let i = o;
  while (i < e && (b[i] === 0x20 || b[i] === 0)) i++;
  let value = 0;
  for (; i < e; i++) {
    const c = b[i]!;
    if (c < 0x30 || c > 0x37) break;
    value = value * 8 + (c - 0x30);
  }
  return value;
}

/** pax extended header records: "<len> <key>=<value>\n". */
function decodePax(buf: Buffer): Record<string, string> {
  const result: Record<string, string> = {};
  let off = 0;
  while (off < buf.length) {
    let i = off;
    while (i < buf.length && buf[i] !== 0x20) i++;
    const len = parseInt(buf.toString("latin1", off, i), 10);
    if (!len) return result;
    const record = buf.toString("utf8", i + 1, off + len - 1);
    const eq = record.indexOf("=");
    if (eq === -1) return result;
    result[record.slice(0, eq)] = record.slice(eq + 1);
    off += len;
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// The engine's response, read off its unix socket

/** Bytes each read of the socket takes at most; the one buffer every read reuses. */
const SOCKET_READ_BYTES = 256 * 1024;
const MAX_RESPONSE_HEAD = 64 * 1024;

/**
 * `GET path` on a unix socket, HTTP/1.1, body handed over from a single reused read buffer
 * (no allocation per read, unlike Node's HTTP client, whose garbage alone costs ~60 MB RSS
 * and seconds of collection over a GB-sized archive). Chunked and length-delimited bodies.
 */
export class SocketArchive {
  private readonly buffer = Buffer.allocUnsafe(SOCKET_READ_BYTES);
  private socket!: net.Socket;
  private phase: "head" | "body" | "done" = "head";
  private head: Buffer[] = [];
  private early: Buffer[] = [];
  private decoder: BodyDecoder | undefined;
  private feeder: BodyTarget | undefined;
  private ended = false;
  /** Whether reading was stopped (a read callback returned false). */
  private paused = false;
  private result: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  private opened!: { resolve: () => void; reject: (err: unknown) => void };
  private error: unknown;

  private constructor() {}

  /** Connects and reads the response head; rejects when the status is not 200 (with the engine's message). */
  static async open(socketPath: string, path: string): Promise<SocketArchive> {
    const archive = new SocketArchive();
    await new Promise<void>((resolve, reject) => {
      archive.opened = { resolve, reject };
      archive.connect(socketPath, path);
    });
    return archive;
  }

  /** Pushes the whole body through `feeder`; resolves once it has taken it all. */
  pipe(feeder: BodyTarget): Promise<void> {
    if (this.feeder) return Promise.reject(new Error("the archive was read twice"));
    this.feeder = feeder;
    return new Promise<void>((resolve, reject) => {
      this.result = { resolve, reject };
      if (this.error !== undefined) {
        reject(this.error); // the connection failed before anyone read
        return;
      }
      let pause = false;
      for (const raw of this.early) {
        (this.decoder as BodyDecoder).feed(raw, 0, raw.length, (body) => {
          if (feeder.push(body, true)) pause = true;
        });
      }
      this.early = [];
      this.afterRead(pause);
    });
  }

  destroy(): void {
    this.phase = "done";
    this.socket.destroy();
  }

  private connect(socketPath: string, path: string): void {
    const socket = net.connect({
      path: socketPath,
      onread: { buffer: this.buffer, callback: (n: number) => this.onRead(n) },
    });
    this.socket = socket;
    socket.on("error", (err) => this.fail(err));
    socket.on("end", () => this.onEnd());
    socket.on("close", () => {
      if (this.phase !== "done") this.onEnd();
    });
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: shrinkbench\r\nConnection: close\r\n\r\n`,
    );
  }

  private onRead(n: number): boolean {
    try {
      if (this.phase === "head") return this.readHead(n);
      if (this.phase !== "body") return true;
      const feeder = this.feeder;
      if (!feeder) {
        this.early.push(Buffer.from(this.buffer.subarray(0, n)));
        this.paused = true;
        return false;
      }
      let pause = false;
      (this.decoder as BodyDecoder).feed(this.buffer, 0, n, (body) => {
        if (feeder.push(body, true)) pause = true;
      });
      return this.afterRead(pause);
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  /** After a read has been fed: finish, or pause until the pipeline has caught up. */
  private afterRead(pause: boolean): boolean {
    const feeder = this.feeder as BodyTarget;
    if ((this.decoder as BodyDecoder).done || (this.ended && this.decoder?.untilClose)) {
      this.phase = "done";
      feeder.drain().then(
        () => {
          this.socket.destroy();
          this.result?.resolve();
        },
        (err) => this.fail(err),
      );
      return false;
    }
    if (this.ended) {
      this.fail(new Error("the engine closed the connection before the archive's end"));
      return false;
    }
    if (!pause) {
      if (this.paused) this.resume();
      return true;
    }
    this.paused = true;
    feeder.drain().then(
      () => {
        if (this.phase === "body") this.resume();
      },
      (err) => this.fail(err),
    );
    return false;
  }

  private resume(): void {
    this.paused = false;
    this.socket.resume(); // reading restarts (net.Socket does so for `onread` sockets)
  }

  private readHead(n: number): boolean {
    this.head.push(Buffer.from(this.buffer.subarray(0, n)));
    const all = Buffer.concat(this.head);
    const at = all.indexOf("\r\n\r\n");
    if (at < 0) {
      if (all.length > MAX_RESPONSE_HEAD) throw new Error("the engine's response head is too long");
      this.head = [all];
      return true;
    }
    this.head = [];
    const lines = all.toString("latin1", 0, at).split("\r\n");
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
    if (!status) throw new Error(`unexpected response from the engine: ${lines[0] ?? ""}`);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0)
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const chunked = /\bchunked\b/i.test(headers.get("transfer-encoding") ?? "");
    const length = headers.get("content-length");
    this.decoder = new BodyDecoder(
      chunked ? "chunked" : length !== undefined ? Number(length) : "close",
    );
    const rest = all.subarray(at + 4);
    const code = Number(status[1]);
    if (code !== 200) {
      this.readError(code, rest);
      return true;
    }
    this.phase = "body";
    if (rest.length > 0) this.early.push(rest);
    this.opened.resolve();
    this.paused = true;
    return false; // paused until pipe()
  }

  /** A failed request: read the (small) body for the engine's message, then reject `open`. */
  private readError(code: number, first: Buffer): void {
    const parts: Buffer[] = [];
    let size = 0;
    const take = (body: Buffer) => {
      if (size < MAX_RESPONSE_HEAD) parts.push(Buffer.from(body));
      size += body.length;
    };
    const decoder = this.decoder as BodyDecoder;
    const settle = () => {
      const text = Buffer.concat(parts).toString("utf8").trim();
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: the text itself
      }
      this.phase = "done";
      this.socket.destroy();
      this.opened.reject(new Error(`(HTTP ${code}) ${message}`));
    };
    decoder.feed(first, 0, first.length, take);
    if (decoder.done) return settle();
    this.phase = "body";
    this.feeder = {
      push: (body: Buffer) => {
        take(body);
        return false;
      },
      drain: () => Promise.resolve(),
    };
    this.result = {
      resolve: settle,
      reject: (err) => this.opened.reject(err),
    };
  }

  private onEnd(): void {
    if (this.phase === "done" || this.ended) return;
    this.ended = true;
    if (this.phase === "head") {
      this.fail(new Error("the engine closed the connection without an answer"));
    } else if (this.feeder) {
      this.afterRead(false);
    }
  }

  private fail(err: unknown): void {
    if (this.phase === "done" && this.error !== undefined) return;
    this.error ??= err;
    this.phase = "done";
    this.socket?.destroy();
    if (this.result) this.result.reject(err);
    else this.opened.reject(err);
  }
}

/** Decodes an HTTP/1.1 body: chunked, a given length, or everything until the connection closes. */
class BodyDecoder {
  done = false;
  readonly untilClose: boolean;
  private state: "size" | "data" | "data-end" | "trailer" = "size";
  private line = "";
  private remaining = 0;
  private readonly chunked: boolean;

  constructor(framing: "chunked" | "close" | number) {
    this.chunked = framing === "chunked";
    this.untilClose = framing === "close";
    if (typeof framing === "number") {
      this.state = "data";
      this.remaining = framing;
      if (framing === 0) this.done = true;
    } else if (framing === "close") {
      this.state = "data";
      this.remaining = Infinity;
    }
  }

  feed(buf: Buffer, pos: number, end: number, out: (body: Buffer) => void): void {
    while (pos < end && !this.done) {
      switch (this.state) {
        case "data": {
          const n = Math.min(this.remaining, end - pos);
          out(pos === 0 && n === buf.length ? buf : buf.subarray(pos, pos + n));
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            if (this.chunked) this.state = "data-end";
            else this.done = true;
          }
          break;
        }
        case "data-end": {
          // the CRLF after a chunk's data
          const nl = newline(buf, pos, end);
          if (nl < 0) return;
          pos = nl + 1;
          this.state = "size";
          break;
        }
        default: {
          const nl = newline(buf, pos, end);
          if (nl < 0) {
            this.line += buf.toString("latin1", pos, end);
            if (this.line.length > 4096) throw new Error("malformed chunked response");
            return;
          }
          const line = (this.line + buf.toString("latin1", pos, nl)).trim();
          this.line = "";
          pos = nl + 1;
          if (this.state === "trailer") {
            if (line === "") this.done = true;
            break;
          }
          const size = parseInt(line.split(";")[0] ?? "", 16);
          if (!Number.isFinite(size) || size < 0) throw new Error("malformed chunked response");
          if (size === 0) {
            this.state = "trailer";
          } else {
            this.remaining = size;
            this.state = "data";
          }
        }
      }
    }
  }
}

function newline(buf: Buffer, pos: number, end: number): number {
  for (let i = pos; i < end; i++) if (buf[i] === 0x0a) return i;
  return -1;
}

// ---------------------------------------------------------------------------------------
// The archive's layout

function dirname(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? "" : p.slice(0, i);
}

/** Joins a link target to the directory holding the link, resolving "." and "..". */
function joinPath(dir: string, target: string): string {
  const parts = target.startsWith("/") ? [] : dir.split("/").filter(Boolean);
  for (const seg of target.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return parts.join("/");
}

function resolveLinks(path: string, links: Map<string, string>): string {
  let p = normalizeEntryPath(path);
  for (let i = 0; i < 16 && links.has(p); i++) p = links.get(p) as string;
  return p;
}

function parseJson<T>(bytes: Buffer | undefined, what: string): T {
  if (!bytes) throw new EngineError(`image archive has no ${what}`);
  try {
    return JSON.parse(bytes.toString("utf8")) as T;
  } catch (err) {
    throw new EngineError(`image archive: ${what} is not valid JSON: ${(err as Error).message}`);
  }
}

interface DockerManifestItem {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

interface OciDescriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { architecture?: string; os?: string };
}

interface OciIndex {
  mediaType?: string;
  manifests: OciDescriptor[];
}

interface OciManifest {
  mediaType?: string;
  config: OciDescriptor;
  layers: OciDescriptor[];
}

const OCI_INDEX_TYPES = new Set([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);

function blobPath(digest: string): string {
  const [alg, hex] = digest.split(":");
  return `blobs/${alg}/${hex}`;
}

function describeArchive(
  json: Map<string, Buffer>,
  links: Map<string, string>,
  storedSizes: Map<string, number>,
  ref: string | undefined,
): ImageArchive {
  const layout: ArchiveLayout = json.has("index.json") ? "oci" : "classic";
  let configPath: string;
  let layerPaths: string[];
  let mediaTypes: (string | undefined)[] = [];
  let repoTags: string[] = [];

  if (json.has("manifest.json")) {
    const items = parseJson<DockerManifestItem[]>(json.get("manifest.json"), "manifest.json");
    const item = (ref && items.find((m) => m.RepoTags?.includes(ref))) || items[0];
    if (!item) throw new EngineError("image archive: manifest.json lists no image");
    configPath = resolveLinks(item.Config, links);
    layerPaths = item.Layers.map((l) => resolveLinks(l, links));
    repoTags = item.RepoTags ?? [];
  } else if (json.has("index.json")) {
    let index = parseJson<OciIndex>(json.get("index.json"), "index.json");
    let manifest: OciManifest | undefined;
    for (let depth = 0; depth < 4 && !manifest; depth++) {
      const desc =
        (ref &&
          index.manifests.find(
            (m) =>
              m.annotations?.["io.containerd.image.name"] === ref ||
              m.annotations?.["org.opencontainers.image.ref.name"] === ref,
          )) ||
        index.manifests.find((m) => !m.platform || m.platform.os !== "unknown") ||
        index.manifests[0];
      if (!desc) throw new EngineError("image archive: index.json lists no manifest");
      const name = desc.annotations?.["io.containerd.image.name"];
      if (name && repoTags.length === 0) repoTags = [name];
      const body = parseJson<OciIndex & OciManifest>(
        json.get(blobPath(desc.digest)),
        `blob ${desc.digest}`,
      );
      if (OCI_INDEX_TYPES.has(desc.mediaType ?? body.mediaType ?? "") || body.manifests) {
        index = body;
      } else {
        manifest = body;
      }
    }
    if (!manifest) throw new EngineError("image archive: no image manifest found in index.json");
    configPath = blobPath(manifest.config.digest);
    layerPaths = manifest.layers.map((l) => blobPath(l.digest));
    mediaTypes = manifest.layers.map((l) => l.mediaType);
  } else {
    throw new EngineError("image archive has neither manifest.json nor index.json");
  }

  const configBytes = json.get(configPath);
  const config = parseJson<ImageConfigFile>(configBytes, `config ${configPath}`);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== layerPaths.length) {
    throw new EngineError(
      `image archive: config lists ${diffIds.length} layers, manifest ${layerPaths.length}`,
    );
  }
  for (const p of layerPaths) {
    if (!storedSizes.has(p)) throw new EngineError(`image archive: layer ${p} is missing`);
  }
  return {
    layout,
    configPath,
    configBytes: configBytes as Buffer,
    config,
    repoTags,
    layers: layerPaths.map((path, index) => ({
      index,
      path,
      diffId: diffIds[index] as string,
      ...(mediaTypes[index] ? { mediaType: mediaTypes[index] } : {}),
    })),
    storedSizes,
  };
}
