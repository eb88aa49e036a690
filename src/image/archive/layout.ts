// The archive's layout, known once every small JSON entry has been read: which image
// (manifest.json of the classic layout, or index.json → manifest of OCI), its config, and
// its layer blobs in stack order, symlinks (classic layouts linking into blobs/) resolved.

import { EngineError } from "../../errors.js";
import { normalizePath } from "../paths.js";
import type { ArchiveLayout, ImageArchive, ImageConfigFile } from "./types.js";

export function resolveLinks(path: string, links: Map<string, string>): string {
  let p = normalizePath(path);
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

/** The hex of an image id ("sha256:<64 hex>"): an id names the image whose config it hashes. */
function imageIdHex(ref: string | undefined): string | undefined {
  return ref && /^sha256:[0-9a-f]{64}$/.test(ref) ? ref.slice("sha256:".length) : undefined;
}

/** The hex a config's entry name carries: "<hex>.json" (classic) or "blobs/sha256/<hex>". */
function configHex(path: string): string | undefined {
  return /(?:^|\/)([0-9a-f]{64})(?:\.json)?$/.exec(path)?.[1];
}

/**
 * The layout of one image of the archive: the one whose RepoTags (or OCI name) include
 * `ref`, the one whose config an image id `ref` names (never another), else the first.
 */
export function describeArchive(
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
    const id = imageIdHex(ref);
    const item = id
      ? items.find((m) => configHex(resolveLinks(m.Config, links)) === id)
      : (ref && items.find((m) => m.RepoTags?.includes(ref))) || items[0];
    if (id && !item) throw new EngineError(`image archive holds no image ${ref}`);
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
    const id = imageIdHex(ref);
    if (id && configHex(configPath) !== id)
      throw new EngineError(`image archive holds no image ${ref}`);
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
