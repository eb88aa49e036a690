// `shrinkbench inspect`: streams `docker save IMAGE` once through the archive reader,
// keeping per entry only its path, kind, size and sha256 (and the text of dist-info RECORD
// files), and per layer the uncompressed and gzip sizes; then the pure analysis of
// src/inspect/ makes the report. Nothing is unpacked to disk and no file or layer is held
// in memory.

import { createHash } from "node:crypto";
import { once } from "node:events";
import { finished } from "node:stream/promises";
import { createGzip } from "node:zlib";
import type Dockerode from "dockerode";
import { EngineError } from "../errors.js";
import { analyzeImage, type AnalyzeOptions } from "../inspect/analyze.js";
import type { CollectedImage, EntryRecord, InspectReport, LayerData } from "../inspect/types.js";
import type { MergeKind } from "../squash-merge.js";
import {
  normalizeEntryPath,
  openImageArchive,
  scanImageArchive,
  type TarHeader,
} from "./archive.js";

export interface InspectOptions extends AnalyzeOptions {
  /** Compute each layer's gzip size (default true; it costs CPU time). */
  gzip?: boolean;
  /** zlib level for those sizes (default 6, what docker and registries use by default). */
  gzipLevel?: number;
}

/** Python metadata files whose text the analysis reads. */
const METADATA_FILE = /(^|\/)[^/]+\.(dist-info\/RECORD|(dist|egg)-info\/top_level\.txt)$/;
const MAX_METADATA_BYTES = 8 * 1024 * 1024;

/** Inspects an image of the engine: one `docker save` read, then the analysis. */
export async function inspectImage(
  docker: Dockerode,
  ref: string,
  opts: InspectOptions = {},
): Promise<InspectReport> {
  let meta: Dockerode.ImageInspectInfo;
  try {
    meta = await docker.getImage(ref).inspect();
  } catch (err) {
    throw new EngineError(
      `image ${ref} not found: ${(err as Error).message}`,
      "give an image the engine has (docker image ls)",
    );
  }
  const collected = await collectImage(await openImageArchive(docker, ref), ref, opts);
  return analyzeImage(
    {
      ...collected,
      id: meta.Id,
      repoTags: meta.RepoTags ?? collected.repoTags,
      engineSizeBytes: meta.Size,
    },
    opts,
  );
}

/** Reads a save archive (any layout) into what the analysis needs. */
export async function collectImage(
  input: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
  ref: string,
  opts: InspectOptions = {},
): Promise<CollectedImage> {
  const byPath = new Map<string, Omit<LayerData, "index" | "diffId">>();
  const archive = await scanImageArchive(
    input,
    async (layer) => {
      const data: Omit<LayerData, "index" | "diffId"> = {
        entries: [],
        tarBytes: 0,
        texts: new Map(),
      };
      let gzipped = 0;
      const gzip =
        layer.compression === "none" && opts.gzip !== false
          ? createGzip({
              level: opts.gzipLevel ?? 6,
              chunkSize: 128 * 1024,
              // zlib streams take stream options too: let reading run ahead of compression
              ...({ highWaterMark: 4 << 20 } as object),
            })
          : undefined;
      gzip?.on("data", (c: Buffer) => (gzipped += c.length));
      layer.onBytes(async (chunk) => {
        data.tarBytes += chunk.length;
        if (gzip && !gzip.write(chunk)) await once(gzip, "drain");
      });
      for await (const e of layer.entries()) {
        const kind = kindOf(e.header);
        const rec: EntryRecord = { path: e.path, kind, size: kind === "file" ? e.header.size : 0 };
        if (kind === "symlink" && e.header.linkname) rec.linkname = e.header.linkname;
        if (kind === "hardlink" && e.header.linkname) {
          rec.linkname = normalizeEntryPath(e.header.linkname);
        }
        if (kind === "file") {
          const hash = createHash("sha256");
          const keep = METADATA_FILE.test(e.path) && e.header.size <= MAX_METADATA_BYTES;
          const chunks: Buffer[] = [];
          for await (const c of e.stream) {
            hash.update(c);
            if (keep) chunks.push(c);
          }
          rec.sha256 = hash.digest("hex");
          if (keep) data.texts.set(data.entries.length, Buffer.concat(chunks).toString("utf8"));
        }
        data.entries.push(rec);
      }
      if (gzip) {
        gzip.end();
        await finished(gzip);
        data.gzipBytes = gzipped;
      } else if (layer.compression === "gzip") {
        data.gzipBytes = layer.storedSize; // stored compressed: that is what a push sends
      }
      byPath.set(layer.path, data);
    },
    { ref },
  );

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

function kindOf(h: TarHeader): MergeKind {
  switch (h.type) {
    case "file":
    case "contiguous-file":
      return "file";
    case "directory":
      return "dir";
    case "symlink":
      return "symlink";
    case "link":
      return "hardlink";
    default:
      return "other";
  }
}
