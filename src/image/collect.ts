// Reads an image archive once (src/image/archive/) into what the analysis needs: per entry
// only its path, kind, size and sha256 (and the text of dist-info RECORD files), per layer
// the uncompressed and gzip sizes. Nothing is unpacked to disk and no file or layer is held
// in memory.

import { createHash } from "node:crypto";
import { EngineError } from "../errors.js";
import { scanImageArchive, scanImageArchives } from "./archive/scan.js";
import type {
  ArchiveInput,
  ContentSink,
  ImageArchive,
  LayerVisitor,
  TarHeader,
} from "./archive/types.js";
import { GzipPool, GzipSize } from "./gzip-size.js";
import { mergeKindOf } from "./overlay.js";
import { normalizePath } from "./paths.js";
import { analyzeImage, type AnalyzeOptions } from "./analyze.js";
import type { CollectedImage, EntryRecord, InspectReport, LayerData } from "./types.js";

export interface CollectOptions {
  /** Compute each layer's gzip size (default true; it costs CPU time). */
  gzip?: boolean;
  /** zlib level for those sizes (default 6, what docker and registries use by default). */
  gzipLevel?: number;
  /**
   * Which image of a multi-image archive to read (a RepoTag or OCI ref name); default the
   * `ref` collectImage is given; "" for the archive's first image.
   */
  select?: string;
}

/** What inspecting an image takes: how to collect it, and how to analyse it. */
export interface InspectOptions extends CollectOptions, AnalyzeOptions {}

/** Python metadata files whose text the analysis reads. */
const METADATA_FILE = /(^|\/)[^/]+\.(dist-info\/RECORD|(dist|egg)-info\/top_level\.txt)$/;
const MAX_METADATA_BYTES = 8 * 1024 * 1024;

type LayerBooks = Omit<LayerData, "index" | "diffId">;

/** Reads a save archive (any layout) into what the analysis needs. */
export async function collectImage(
  input: ArchiveInput,
  ref: string,
  opts: CollectOptions = {},
): Promise<CollectedImage> {
  const reading = readLayers(opts);
  const archive = await scanImageArchive(input, reading.visit, { ref: opts.select ?? ref });
  return reading.image(archive, ref);
}

/**
 * Reads an archive of several images (`docker save A B ...`) into each one's collection, in
 * the order of `refs` (image ids, or tags): a layer the images share is read (and hashed)
 * once, and its records are shared by their collections. Each is what collectImage gives for
 * a save of that image alone.
 */
export async function collectImages(
  input: ArchiveInput,
  refs: readonly string[],
  opts: Omit<CollectOptions, "select"> = {},
): Promise<CollectedImage[]> {
  const reading = readLayers(opts);
  const archives = await scanImageArchives(input, reading.visit, refs);
  return Promise.all(archives.map((archive, i) => reading.image(archive, refs[i] as string)));
}

/** The visitor that keeps each layer blob's records, and how an image is put together from them. */
function readLayers(opts: CollectOptions) {
  const byPath = new Map<string, LayerBooks>();
  const gzipping: Promise<void>[] = [];
  const pool = opts.gzip !== false ? new GzipPool(opts.gzipLevel ?? 6) : undefined;
  const visit: LayerVisitor = async (layer) => {
    const data: LayerBooks = { entries: [], tarBytes: 0, texts: new Map() };
    byPath.set(layer.path, data);
    const gzip = pool && layer.compression === "none" ? new GzipSize(pool) : undefined;
    if (gzip) {
      layer.onBytes((chunk) => {
        data.tarBytes += chunk.length;
        return gzip.write(chunk);
      });
    } else {
      layer.onBytes((chunk) => {
        data.tarBytes += chunk.length;
      });
    }
    await layer.read({ entry: (e) => record(data, e.header, e.path) });
    if (gzip) {
      // the last chunks compress while the next layer is read
      const done = gzip.end().then((n) => {
        data.gzipBytes = n;
      });
      done.catch(() => undefined); // awaited below
      gzipping.push(done);
    } else if (layer.compression === "gzip") {
      data.gzipBytes = layer.storedSize; // stored compressed: that is what a push sends
    }
  };
  const image = async (archive: ImageArchive, ref: string): Promise<CollectedImage> => {
    await Promise.all(gzipping);
    return collected(archive, ref, byPath);
  };
  return { visit, image };
}

function collected(
  archive: ImageArchive,
  ref: string,
  byPath: Map<string, LayerBooks>,
): CollectedImage {
  const history = (archive.config.history ?? []).filter((h) => !h.empty_layer);
  const layers: LayerData[] = archive.layers.map((l) => {
    const data = byPath.get(l.path);
    if (!data) throw new EngineError(`image archive: layer ${l.path} was not read`);
    const h = history.length === archive.layers.length ? history[l.index] : undefined;
    const createdBy = h?.created_by || (h?.comment ? `(${h.comment})` : undefined);
    return { ...data, index: l.index, diffId: l.diffId, ...(createdBy ? { createdBy } : {}) };
  });
  const config = archive.config;
  return {
    ref,
    id: `sha256:${createHash("sha256").update(archive.configBytes).digest("hex")}`,
    repoTags: archive.repoTags,
    ...(config.architecture ? { architecture: config.architecture } : {}),
    ...(config.os ? { os: config.os } : {}),
    ...(config.created ? { created: config.created } : {}),
    layers,
  };
}

/** Records one layer entry; for a regular file, returns the sink that hashes its content. */
function record(data: LayerBooks, header: TarHeader, path: string): ContentSink | undefined {
  const kind = mergeKindOf(header.type);
  const rec: EntryRecord = { path, kind, size: kind === "file" ? header.size : 0 };
  const index = data.entries.length;
  data.entries.push(rec);
  if (kind === "symlink" && header.linkname) rec.linkname = header.linkname;
  if (kind === "hardlink" && header.linkname) rec.linkname = normalizePath(header.linkname);
  if (kind !== "file") return undefined;
  const hash = createHash("sha256");
  if (!(METADATA_FILE.test(path) && header.size <= MAX_METADATA_BYTES)) {
    return {
      data: (chunk) => hash.update(chunk),
      end: () => {
        rec.sha256 = hash.digest("hex");
      },
    };
  }
  const chunks: Buffer[] = [];
  return {
    data: (chunk) => {
      hash.update(chunk);
      chunks.push(Buffer.from(chunk)); // the chunk is only lent
    },
    end: () => {
      rec.sha256 = hash.digest("hex");
      data.texts.set(index, Buffer.concat(chunks).toString("utf8"));
    },
  };
}

/** Inspects an image archive with no engine: collection, then the analysis. */
export async function inspectArchive(
  input: ArchiveInput,
  name: string,
  opts: InspectOptions = {},
): Promise<InspectReport> {
  return analyzeImage(await collectImage(input, name, opts), opts);
}
