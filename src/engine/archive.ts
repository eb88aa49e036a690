// Reads a `docker save` stream (GET /images/{name}/get) with tar-stream: never unpacks to
// disk and never holds a layer in memory. Both layouts are read:
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

import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import type Dockerode from "dockerode";
import tar from "tar-stream";
import type { Header } from "tar-stream";
import { EngineError } from "../errors.js";

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
   * Receives the uncompressed layer tar's bytes. Register before iterating `entries()`.
   * A listener may return a promise: reading waits for it (backpressure, e.g. into gzip).
   */
  onBytes(listener: ByteListener): void;
  /** The layer's tar entries in order. Anything the visitor leaves unread is drained after it returns. */
  entries(): AsyncIterable<LayerEntry>;
}

export type ByteListener = (chunk: Buffer) => void | Promise<void>;

export type LayerVisitor = (layer: LayerVisit) => Promise<void> | void;

export interface ScanOptions {
  /** The layout from an earlier pass: only its layers are visited, with their positions. */
  layout?: ImageArchive;
  /** Which image of a multi-image archive to describe (a RepoTag); the first one otherwise. */
  ref?: string;
}

/** JSON entries above this size are not buffered (configs and manifests are far smaller). */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** Opens `docker save` of one image as a stream. */
export async function openImageArchive(
  docker: Dockerode,
  ref: string,
): Promise<NodeJS.ReadableStream> {
  try {
    return await docker.getImage(ref).get();
  } catch (err) {
    throw new EngineError(
      `cannot export image ${ref}: ${(err as Error).message}`,
      "check the image exists (docker image ls)",
    );
  }
}

/** Reads only the layout of an archive (config, layer stack), skipping layer contents. */
export function readImageArchive(
  input: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
  options: ScanOptions = {},
): Promise<ImageArchive> {
  return scanImageArchive(input, undefined, options);
}

/**
 * Reads a save archive once, calling `visit` for each layer blob in archive order, and
 * returns the archive's layout. Rejects on a malformed archive or when a visitor throws.
 */
export async function scanImageArchive(
  input: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
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
  const layerNames: string[] = [];

  const extract = tar.extract();
  const feeding = feed(input, extract as unknown as WritableLike);
  const it = extract[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      const entry = next.value;
      const header = entry.header;
      const name = normalizeEntryPath(header.name);
      if (header.type === "symlink") {
        links.set(name, joinPath(dirname(name), header.linkname ?? ""));
        entry.resume();
        continue;
      }
      if (header.type !== "file" && header.type !== "contiguous-file") {
        entry.resume();
        continue;
      }
      const head = await readHead(entry as unknown as AsyncIterable<Buffer>, 512);
      let isLayer: boolean;
      if (known) {
        isLayer = knownPositions.has(name) || knownPositions.has(resolveLinks(name, links));
      } else if (name.endsWith("/layer.tar")) {
        isLayer = true;
      } else if (isJsonName(name) || name.startsWith("blobs/")) {
        const sniffed = sniff(head.head);
        if (sniffed === "json" || isJsonName(name)) {
          if (header.size <= MAX_JSON_BYTES) json.set(name, await readAll(head));
          else await drain(head.rest);
          continue;
        }
        isLayer = sniffed !== "unknown";
      } else {
        isLayer = false;
      }
      if (!isLayer) {
        await drain(head.rest);
        continue;
      }
      storedSizes.set(name, header.size);
      layerNames.push(name);
      await visitLayer(name, header.size, head, visit, knownPositions.get(name) ?? []);
    }
  } catch (err) {
    extract.destroy(err as Error);
    await feeding.catch(() => undefined);
    throw err;
  }
  await feeding;

  if (known) return known;
  return describeArchive(json, links, storedSizes, options.ref);
}

/** "./usr/bin/" → "usr/bin"; "." → "". */
export function normalizeEntryPath(name: string): string {
  let p = name;
  while (p.startsWith("./")) p = p.slice(2);
  p = p.replace(/^\/+/, "").replace(/\/+$/, "");
  return p === "." ? "" : p;
}

// ---------------------------------------------------------------------------------------

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

interface Head {
  head: Buffer;
  /** The whole content, head included. */
  rest: AsyncIterable<Buffer>;
}

/** Reads at least `n` bytes (or all there is) and gives back a stream of the whole content. */
async function readHead(stream: AsyncIterable<Buffer>, n: number): Promise<Head> {
  const it = stream[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    chunks.push(r.value);
    length += r.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, rest: rest() };
}

async function readAll(head: Head): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of head.rest) chunks.push(c);
  return Buffer.concat(chunks);
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  const it = stream[Symbol.asyncIterator]();
  while (!(await it.next()).done) {
    // discard
  }
}

interface WritableLike {
  write(chunk: Buffer): boolean;
  end(): unknown;
  destroy(err?: Error): unknown;
  once(event: string, fn: (...args: unknown[]) => void): unknown;
  removeListener(event: string, fn: (...args: unknown[]) => void): unknown;
  destroyed?: boolean;
}

/** Writes an input stream into a (streamx) writable, honouring backpressure. */
async function feed(
  input: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
  out: WritableLike,
  tap?: ByteListener,
): Promise<void> {
  try {
    for await (const raw of input as AsyncIterable<Uint8Array | string>) {
      const chunk =
        typeof raw === "string"
          ? Buffer.from(raw)
          : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      const tapped = tap?.(chunk);
      if (tapped) await tapped;
      if (out.destroyed) throw new Error("archive reader stopped");
      if (!out.write(chunk)) await waitDrain(out);
    }
    out.end();
  } catch (err) {
    out.destroy(err as Error);
    if (typeof (input as NodeJS.ReadableStream & { destroy?: () => void }).destroy === "function") {
      (input as unknown as { destroy: () => void }).destroy();
    }
    throw err;
  }
}

function waitDrain(w: WritableLike): Promise<void> {
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

async function visitLayer(
  path: string,
  storedSize: number,
  head: Head,
  visit: LayerVisitor | undefined,
  positions: number[],
): Promise<void> {
  const sniffed = sniff(head.head);
  const compression: LayerCompression =
    sniffed === "gzip" ? "gzip" : sniffed === "zstd" ? "zstd" : "none";
  if (!visit) {
    await drain(head.rest);
    return;
  }
  const listeners: ByteListener[] = [];
  let used = false;
  let generator: AsyncGenerator<LayerEntry> | undefined;
  let live = true;

  const uncompressed = (): AsyncIterable<Buffer> => {
    if (used) throw new Error(`layer ${path} read twice`);
    used = true;
    if (compression === "zstd") {
      throw new EngineError(
        `layer ${path} is zstd-compressed, which this Node version cannot decompress`,
        "re-save the image with gzip or uncompressed layers",
      );
    }
    if (compression === "none") return head.rest;
    const gunzip = createGunzip();
    Readable.from(head.rest)
      .on("error", (e) => gunzip.destroy(e))
      .pipe(gunzip);
    return gunzip;
  };

  const layerVisit: LayerVisit = {
    path,
    storedSize,
    compression,
    positions,
    onBytes(listener) {
      if (!live) throw new Error("layer visit used after its visitor returned");
      if (used) throw new Error("onBytes must be called before entries()");
      listeners.push(listener);
    },
    entries() {
      if (!live) throw new Error("layer visit used after its visitor returned");
      if (generator) throw new Error(`entries() of layer ${path} requested twice`);
      generator = iterateEntries(uncompressed(), listeners);
      return generator;
    },
  };

  try {
    await visit(layerVisit);
  } finally {
    live = false;
  }
  if (generator) {
    // Finish (and drain) whatever the visitor left; return() runs the generator's finally.
    await generator.return(undefined);
  } else if (listeners.length > 0) {
    for await (const chunk of uncompressed()) {
      for (const l of listeners) await l(chunk);
    }
  } else {
    await drain(head.rest);
  }
}

async function* iterateEntries(
  bytes: AsyncIterable<Buffer>,
  listeners: ByteListener[],
): AsyncGenerator<LayerEntry> {
  const extract = tar.extract();
  const tap = listeners.length
    ? async (chunk: Buffer) => {
        for (const l of listeners) await l(chunk);
      }
    : undefined;
  const feeding = feed(bytes, extract as unknown as WritableLike, tap);
  feeding.catch(() => undefined); // observed below
  const it = extract[Symbol.asyncIterator]();
  let settled = false;
  try {
    for (;;) {
      let r: IteratorResult<typeof extract extends AsyncIterable<infer S> ? S : never>;
      try {
        r = await it.next();
      } catch (err) {
        settled = true;
        throw err;
      }
      if (r.done) break;
      const source = r.value;
      const entry: LayerEntry = {
        header: source.header,
        path: normalizeEntryPath(source.header.name),
        stream: source as unknown as AsyncIterable<Buffer>,
        skip: () => void source.resume(),
      };
      yield entry;
      source.resume();
    }
    settled = true;
  } finally {
    if (!settled) {
      // The consumer stopped early: drain the rest so the outer archive can go on.
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        r.value.resume();
      }
    }
  }
  await feeding;
}

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
