// `docker build --squash` without experimental mode: the base image's layers stay as they
// are, every layer the Dockerfile added becomes ONE layer, and the result is loaded back
// with POST /images/load.
//
// Two reads of `docker save IMAGE`:
//   1. headers only: the layout (config, layer stack) and every layer's entry list, from
//      which src/image/squash-merge.ts plans the merged layer;
//   2. contents: the added layers' entries the plan keeps are copied, in the order the
//      archive delivers them, into the merged layer tar (a temp file: its size and sha256
//      are needed before the load). Entries without content (directories, symlinks,
//      whiteouts) are written first, sorted, so parents precede children.
// The load archive is classic: manifest.json, <config-sha>.json and <diff-id>/layer.tar
// for the new layer only; the engine keeps the base layers it already has (checked on
// dockerd 20.10, whose loader looks layers up by chain id before opening their files).

import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import type Dockerode from "dockerode";
import tar from "tar-stream";
import type { Header, Pack } from "tar-stream";
import { EngineError } from "../errors.js";
import { mergeKindOf, opaqueName, whiteoutName, type MergeEntry } from "../image/overlay.js";
import { planSquash, type MergeOp } from "../image/squash-merge.js";
import { scanImageArchive } from "../image/archive/scan.js";
import type { HistoryEntry, ImageArchive, ImageConfigFile } from "../image/archive/types.js";
import { openImageArchive } from "./archive/open.js";

export interface SquashOptions {
  /** Tag of the squashed image ("repo:tag"; ":latest" when no tag is given). */
  tag: string;
  /** Labels merged into the image config's labels (the run label belongs here). */
  labels: Record<string, string>;
  /** Where the merged layer is written while it is made; the OS temp dir by default. */
  tmpDir?: string;
}

export interface SquashResult {
  /** "sha256:..." of the squashed image. */
  id: string;
  baseLayers: number;
  /** How many added layers were merged into one. */
  squashedLayers: number;
  /** Uncompressed size of the merged layer tar, in bytes. */
  layerBytes: number;
  /** "sha256:..." of the merged layer tar. */
  diffId: string;
}

/**
 * Squashes the layers `image` added on top of `base` into one, keeping the base layers and
 * the image config (Cmd, Env, WorkingDir, Entrypoint, User, Labels, ExposedPorts, Volumes),
 * merges `opts.labels` into the labels, loads the result and tags it `opts.tag`.
 */
export async function squashImage(
  docker: Dockerode,
  image: string,
  base: string,
  opts: SquashOptions,
): Promise<SquashResult> {
  const baseInspect = await inspectOrThrow(docker, base);
  const baseDiffIds = baseInspect.RootFS?.Layers ?? [];
  const baseHistoryLength = (await docker.getImage(base).history()).length;

  // Pass 1: layout and entry lists.
  const lists = new Map<string, { entries: MergeEntry[]; headers: Header[] }>();
  const layout = await scanImageArchive(await openImageArchive(docker, image), async (layer) => {
    const entries: MergeEntry[] = [];
    const headers: Header[] = [];
    for await (const e of layer.entries()) {
      entries.push({
        name: e.path,
        kind: mergeKindOf(e.header.type),
        linkname: e.header.linkname ?? "",
      });
      headers.push(e.header);
      e.skip();
    }
    lists.set(layer.path, { entries, headers });
  });
  const n = baseDiffIds.length;
  layout.layers.slice(0, n).forEach((l, i) => {
    if (l.diffId !== baseDiffIds[i]) {
      throw new EngineError(
        `cannot squash ${image}: its layer ${i + 1} is not layer ${i + 1} of ${base}`,
        `build ${image} FROM ${base}`,
      );
    }
  });
  if (layout.layers.length < n) {
    throw new EngineError(`cannot squash ${image}: it has fewer layers than ${base}`);
  }
  const listOf = (path: string) => lists.get(path) ?? { entries: [], headers: [] };
  const baseLists = layout.layers.slice(0, n).map((l) => listOf(l.path).entries);
  const addedLayers = layout.layers.slice(n);
  const added = addedLayers.map((l) => listOf(l.path));
  const plan = planSquash(
    baseLists,
    added.map((a) => a.entries),
  );
  lists.clear(); // base headers are no longer needed

  const created = layout.config.created ?? new Date().toISOString();
  const mtime = new Date(created);
  const work = await mkdtemp(join(opts.tmpDir ?? tmpdir(), "shrinkbench-squash-"));
  try {
    // Pass 2: write the merged layer.
    const layerFile = join(work, "layer.tar");
    const pack = tar.pack();
    const hash = createHash("sha256");
    let layerBytes = 0;
    const file = createWriteStream(layerFile);
    const writing = (async () => {
      for await (const chunk of pack as unknown as AsyncIterable<Buffer>) {
        hash.update(chunk);
        layerBytes += chunk.length;
        if (!file.write(chunk)) await new Promise<void>((r) => file.once("drain", () => r()));
      }
      file.end();
      await finished(file);
    })();
    writing.catch(() => undefined);

    const headerOf = (op: Extract<MergeOp, { layer: number }>) =>
      added[op.layer]?.headers[op.entry] as Header;
    for (const op of plan.headerOnly) {
      switch (op.op) {
        case "whiteout":
          await addEntry(pack, marker(whiteoutName(op.path), mtime));
          break;
        case "opaque":
          await addEntry(pack, marker(opaqueName(op.dir), mtime));
          break;
        default:
          await addEntry(pack, outHeader(headerOf(op)));
      }
    }

    await scanImageArchive(
      await openImageArchive(docker, image),
      async (layer) => {
        const mine = layer.positions.filter((p) => p >= n).map((p) => p - n);
        if (mine.length === 0) return; // a base layer: drained unread
        let k = 0;
        for await (const e of layer.entries()) {
          const index = k++;
          const expected = added[mine[0] as number]?.entries[index]?.name;
          if (e.path !== expected) {
            throw new EngineError(
              `image ${image} changed while it was squashed (layer ${layer.path}, entry ${index})`,
            );
          }
          const ops = mine.flatMap((a) => plan.onEntry[a]?.get(index) ?? []);
          if (ops.length === 0) continue;
          let written: string | undefined; // the name this entry's content went out under
          for (const op of ops) {
            if (op.op === "relink") {
              await addEntry(pack, { ...outHeader(headerOf(op)), linkname: op.target });
              continue;
            }
            if (op.op !== "copy" && op.op !== "materialize") continue;
            const h = headerOf(op);
            const hasContent =
              op.op === "materialize" || h.type === "file" || h.type === "contiguous-file";
            const out: Header =
              op.op === "materialize"
                ? { ...outHeader(e.header), name: h.name, type: "file", linkname: "" }
                : outHeader(h);
            if (!hasContent) {
              await addEntry(pack, out);
            } else if (written === undefined) {
              await addEntry(pack, out, e.stream);
              written = out.name;
            } else {
              // the same content again (a layer stacked twice): link to the first copy
              await addEntry(pack, { ...out, type: "link", size: 0, linkname: written });
            }
          }
        }
      },
      { layout },
    );
    pack.finalize();
    await writing;
    const diffId = `sha256:${hash.digest("hex")}`;

    // The new image config.
    const config = squashedConfig(
      layout,
      n,
      baseHistoryLength,
      diffId,
      addedLayers.length,
      opts.labels,
    );
    const configBytes = Buffer.from(JSON.stringify(config));
    const configHex = createHash("sha256").update(configBytes).digest("hex");
    const id = `sha256:${configHex}`;
    const layerName = `${diffId.slice(7)}/layer.tar`;
    const manifest = [
      {
        Config: `${configHex}.json`,
        RepoTags: [normalizeTag(opts.tag)],
        Layers: [...layout.layers.slice(0, n).map((l) => l.path), layerName],
      },
    ];
    const size = (await stat(layerFile)).size;
    await loadArchive(docker, async (load) => {
      await addEntry(load, { name: "manifest.json", size: 0 }, undefined, manifestBytes(manifest));
      await addEntry(load, { name: `${configHex}.json` }, undefined, configBytes);
      await addEntry(
        load,
        { name: layerName, size, mode: 0o644, type: "file" },
        createReadStream(layerFile),
      );
    });
    const loaded = await inspectOrThrow(docker, id);
    if ((loaded.RootFS?.Layers ?? []).length !== n + 1) {
      throw new EngineError(`squashed image ${id} has an unexpected layer count`);
    }
    return { id, baseLayers: n, squashedLayers: addedLayers.length, layerBytes, diffId };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function manifestBytes(manifest: unknown): Buffer {
  return Buffer.from(JSON.stringify(manifest));
}

/** "repo" → "repo:latest"; "host:5000/repo" → "host:5000/repo:latest". */
export function normalizeTag(tag: string): string {
  const last = tag.slice(tag.lastIndexOf("/") + 1);
  return last.includes(":") ? tag : `${tag}:latest`;
}

function squashedConfig(
  layout: ImageArchive,
  baseLayers: number,
  baseHistoryLength: number,
  diffId: string,
  squashed: number,
  labels: Record<string, string>,
): ImageConfigFile {
  const source = layout.config;
  const history = source.history ?? [];
  // The base's own entries: the first `baseHistoryLength`, when they account for exactly
  // the base's layers; otherwise up to the entry of the last base layer.
  let baseHistory: HistoryEntry[] = history.slice(0, baseHistoryLength);
  if (baseHistory.filter((h) => !h.empty_layer).length !== baseLayers) {
    let seen = 0;
    const end = history.findIndex((h) => !h.empty_layer && ++seen === baseLayers);
    baseHistory = baseLayers === 0 ? [] : history.slice(0, end + 1);
  }
  const rest: ImageConfigFile = { ...source };
  delete rest.container;
  delete rest.container_config;
  const created = source.created ?? new Date().toISOString();
  return {
    ...rest,
    config: {
      ...(source.config ?? {}),
      Labels: { ...(source.config?.Labels ?? {}), ...labels },
    },
    created,
    history: [
      ...baseHistory,
      {
        created,
        created_by: `shrinkbench squash of ${squashed} layer${squashed === 1 ? "" : "s"}`,
        comment: `merged ${history.length - baseHistory.length} build steps into one layer`,
      },
    ],
    rootfs: {
      type: "layers",
      diff_ids: [...layout.layers.slice(0, baseLayers).map((l) => l.diffId), diffId],
    },
  };
}

/** A whiteout or opaque marker, written like the engine writes them. */
function marker(name: string, mtime: Date): Header {
  return {
    name,
    type: "file",
    size: 0,
    mode: 0o600,
    uid: 0,
    gid: 0,
    uname: "",
    gname: "",
    mtime,
    linkname: "",
    devmajor: 0,
    devminor: 0,
  };
}

/**
 * A header fit to be written again: pax records that tar-stream writes itself (path,
 * linkpath, size) are dropped. tar-stream decodes pax values as UTF-8, so a binary value
 * (a file capability in SCHILY.xattr.security.capability) cannot be carried: refuse rather
 * than write a wrong one.
 */
function outHeader(h: Header): Header {
  const out: Header = { ...h };
  const pax = h.pax as Record<string, string> | null | undefined;
  delete out.pax;
  if (pax) {
    const kept: Record<string, string> = {};
    for (const [key, value] of Object.entries(pax)) {
      if (key === "path" || key === "linkpath" || key === "size") continue;
      if (value.includes("\uFFFD")) {
        throw new EngineError(
          `cannot squash: ${h.name} carries a binary extended attribute (${key})`,
          "squash is not supported for images whose added layers set file capabilities",
        );
      }
      kept[key] = value;
    }
    if (Object.keys(kept).length > 0) out.pax = kept;
  }
  if (!out.linkname) out.linkname = "";
  return out;
}

/** Writes one entry into a pack, with its content from a stream or a buffer. */
async function addEntry(
  pack: Pack,
  header: Partial<Header> & { name: string },
  content?: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  buffer?: Buffer,
): Promise<void> {
  if (buffer) {
    await new Promise<void>((resolve, reject) => {
      pack.entry({ ...header, size: buffer.length }, buffer, (err) =>
        err ? reject(err) : resolve(),
      );
    });
    return;
  }
  let done!: Promise<void>;
  const sink = (() => {
    let s!: ReturnType<Pack["entry"]>;
    done = new Promise<void>((resolve, reject) => {
      s = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    });
    return s;
  })();
  if (content) {
    for await (const chunk of content as AsyncIterable<Uint8Array>) {
      if (!sink.write(chunk)) {
        await new Promise<void>((resolve, reject) => {
          const onError = (err: Error) => reject(err);
          sink.once("drain", () => {
            sink.removeListener("error", onError);
            resolve();
          });
          sink.once("error", onError);
        });
      }
    }
  }
  sink.end(undefined);
  await done;
}

/** POSTs a tar written by `fill` to /images/load and fails on any error the engine reports. */
async function loadArchive(docker: Dockerode, fill: (pack: Pack) => Promise<void>): Promise<void> {
  const pack = tar.pack();
  const filling = fill(pack).then(() => pack.finalize());
  filling.catch((err: Error) => pack.destroy(err));
  let response: NodeJS.ReadableStream;
  try {
    response = await docker.loadImage(Readable.from(pack as unknown as AsyncIterable<Buffer>), {
      quiet: true,
    });
  } catch (err) {
    await filling.catch(() => undefined);
    throw new EngineError(`loading the squashed image failed: ${(err as Error).message}`);
  }
  let text = "";
  for await (const chunk of response as AsyncIterable<Buffer | string>) text += chunk.toString();
  await filling;
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    let msg: { error?: string; errorDetail?: { message?: string } };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      continue;
    }
    if (msg.error || msg.errorDetail) {
      throw new EngineError(
        `loading the squashed image failed: ${msg.errorDetail?.message ?? msg.error}`,
      );
    }
  }
}

async function inspectOrThrow(docker: Dockerode, ref: string): Promise<Dockerode.ImageInspectInfo> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (err) {
    throw new EngineError(`image ${ref} not found: ${(err as Error).message}`);
  }
}
