// Reads an image archive (`docker save`, i.e. GET /images/{name}/get, or `podman save`):
// never unpacks to disk and never holds a layer in memory. Both layouts are read:
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
// bytes and gunzipped on the fly (zstd: see layer-sink.ts).
//
// How it reads (the cost of inspect is this loop): the save stream is pushed, chunk by
// chunk, through a small synchronous tar parser (`TarReader`, tar-reader.ts) for the outer
// archive; a layer's bytes go (layer-sink.ts), still synchronously and without copies, to
// the byte listeners and to a second `TarReader` for the layer tar, whose entries' contents
// are handed to the visitor's callbacks (`LayerVisit.read`) as slices of the chunk that
// holds them. No stream, promise or copy per entry or per chunk, and nothing waits unless a
// consumer asks to (a listener's promise, the start of a layer's visitor): then the source
// pauses until it has (flow.ts). An engine's response on a unix socket is read straight off
// the socket into one reused buffer (a `PushSource`: src/docker/archive/socket-archive.ts),
// which spares Node's HTTP client its buffer per read (and the garbage collector its work).
// `LayerVisit.entries()` offers the same entries as async iterables (entry-bridge.ts), for
// consumers that await per entry (squash).

import { normalizePath, parentOf, resolvePath } from "../paths.js";
import { destroyInput, Feeder, Flow, pump } from "./flow.js";
import { describeArchive, resolveLinks } from "./layout.js";
import { LayerSink } from "./layer-sink.js";
import { TarReader } from "./tar-reader.js";
import type {
  ArchiveInput,
  ContentSink,
  ImageArchive,
  LayerCompression,
  LayerVisitor,
  ScanOptions,
} from "./types.js";

/** JSON entries above this size are not buffered (configs and manifests are far smaller). */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

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
  const found = await scanEntries(input, visit, options.layout);
  if (options.layout) return options.layout;
  return describeArchive(found.json, found.links, found.storedSizes, options.ref);
}

/**
 * Reads an archive of several images (`docker save A B ...`) once, as scanImageArchive reads
 * one: every layer blob is visited once, however many of the images hold it (the engine
 * writes a layer the images share once). Returns the layout of each image `refs` names (an
 * image id matches the image whose config it is; see describeArchive), in the same order.
 */
export async function scanImageArchives(
  input: ArchiveInput,
  visit: LayerVisitor,
  refs: readonly string[],
): Promise<ImageArchive[]> {
  const found = await scanEntries(input, visit, undefined);
  return refs.map((ref) => describeArchive(found.json, found.links, found.storedSizes, ref));
}

interface ScannedEntries {
  json: Map<string, Buffer>;
  links: Map<string, string>;
  storedSizes: Map<string, number>;
}

/** The one pass: layer blobs to `visit`, the small JSON entries and symlinks kept. */
async function scanEntries(
  input: ArchiveInput,
  visit: LayerVisitor | undefined,
  known: ImageArchive | undefined,
): Promise<ScannedEntries> {
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
    const name = normalizePath(header.name);
    if (header.type === "symlink") {
      links.set(name, resolvePath(parentOf(name), header.linkname ?? ""));
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

  return { json, links, storedSizes };
}

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
