// Builds small tar archives in memory: layer tars and whole `docker save` archives, in the
// classic and the OCI layout, for tests of the archive reader and of inspect's collection.

import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import tar from "tar-stream";

export interface FixtureEntry {
  name: string;
  type?: "file" | "directory" | "symlink" | "link";
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
}

export async function tarBuffer(entries: FixtureEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const e of entries) {
    const type = e.type ?? "file";
    const body = type === "file" ? Buffer.from(e.content ?? "") : undefined;
    await new Promise<void>((resolve, reject) => {
      const header = {
        name: e.name,
        type,
        mode: e.mode ?? (type === "directory" ? 0o755 : 0o644),
        mtime: new Date(1_700_000_000_000),
        ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
      };
      if (body) pack.entry(header, body, (err) => (err ? reject(err) : resolve()));
      else pack.entry(header, (err) => (err ? reject(err) : resolve())).end(undefined);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function sha256(b: Buffer | string): string {
  return createHash("sha256").update(b).digest("hex");
}

export interface SaveFixture {
  /** The archive bytes. */
  archive: Buffer;
  /** Uncompressed layer tars, stack order. */
  layers: Buffer[];
  diffIds: string[];
  config: Record<string, unknown>;
}

/**
 * A classic-layout save archive. Entries are written in name order, like the engine does,
 * so layer tars come before manifest.json.
 */
export async function classicSave(
  layers: FixtureEntry[][],
  config: Record<string, unknown> = {},
  repoTag = "fixture:latest",
): Promise<SaveFixture> {
  const tars = await Promise.all(layers.map((l) => tarBuffer(l)));
  const diffIds = tars.map((t) => `sha256:${sha256(t)}`);
  const fullConfig = {
    architecture: "amd64",
    os: "linux",
    ...config,
    rootfs: { type: "layers", diff_ids: diffIds },
  };
  const configBytes = Buffer.from(JSON.stringify(fullConfig));
  const configHex = sha256(configBytes);
  // v1 ids in an order unrelated to the stack: reversed hashes of the diff ids
  const ids = diffIds.map((d, i) => sha256(`${i}:${d}`));
  const manifest = [
    {
      Config: `${configHex}.json`,
      RepoTags: [repoTag],
      Layers: ids.map((id) => `${id}/layer.tar`),
    },
  ];
  const entries: FixtureEntry[] = [{ name: `${configHex}.json`, content: configBytes }];
  ids.forEach((id, i) => {
    entries.push({ name: `${id}/`, type: "directory" });
    entries.push({ name: `${id}/VERSION`, content: "1.0" });
    entries.push({ name: `${id}/json`, content: JSON.stringify({ id }) });
    entries.push({ name: `${id}/layer.tar`, content: tars[i] as Buffer });
  });
  entries.push({ name: "manifest.json", content: JSON.stringify(manifest) });
  entries.push({ name: "repositories", content: "{}" });
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { archive: await tarBuffer(entries), layers: tars, diffIds, config: fullConfig };
}

/** An OCI-layout save archive (engines 25+), optionally with gzip layer blobs and manifest.json. */
export async function ociSave(
  layers: FixtureEntry[][],
  opts: { gzip?: boolean[]; withManifestJson?: boolean; config?: Record<string, unknown> } = {},
): Promise<SaveFixture> {
  const tars = await Promise.all(layers.map((l) => tarBuffer(l)));
  const diffIds = tars.map((t) => `sha256:${sha256(t)}`);
  const blobs = new Map<string, Buffer>();
  const add = (b: Buffer): string => {
    const hex = sha256(b);
    blobs.set(hex, b);
    return `sha256:${hex}`;
  };
  const layerDescs = tars.map((t, i) => {
    const gz = opts.gzip?.[i] ?? false;
    const b = gz ? gzipSync(t) : t;
    return {
      mediaType: gz
        ? "application/vnd.oci.image.layer.v1.tar+gzip"
        : "application/vnd.oci.image.layer.v1.tar",
      digest: add(b),
      size: b.length,
    };
  });
  const fullConfig = {
    architecture: "amd64",
    os: "linux",
    ...(opts.config ?? {}),
    rootfs: { type: "layers", diff_ids: diffIds },
  };
  const configDigest = add(Buffer.from(JSON.stringify(fullConfig)));
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest },
    layers: layerDescs,
  };
  const manifestDigest = add(Buffer.from(JSON.stringify(manifest)));
  const index = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: manifestDigest,
        annotations: { "io.containerd.image.name": "docker.io/library/fixture:latest" },
      },
    ],
  };
  const entries: FixtureEntry[] = [
    { name: "blobs/", type: "directory" },
    { name: "blobs/sha256/", type: "directory" },
    ...[...blobs].map(([hex, b]) => ({ name: `blobs/sha256/${hex}`, content: b })),
    { name: "index.json", content: JSON.stringify(index) },
    { name: "oci-layout", content: '{"imageLayoutVersion":"1.0.0"}' },
  ];
  if (opts.withManifestJson) {
    entries.push({
      name: "manifest.json",
      content: JSON.stringify([
        {
          Config: `blobs/sha256/${configDigest.slice(7)}`,
          RepoTags: ["fixture:latest"],
          Layers: layerDescs.map((d) => `blobs/sha256/${d.digest.slice(7)}`),
        },
      ]),
    });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { archive: await tarBuffer(entries), layers: tars, diffIds, config: fullConfig };
}

/** Splits a buffer into small chunks, as a socket would deliver it. */
export async function* chunked(b: Buffer, size = 4096): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}
