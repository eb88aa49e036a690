// Plain-data builders for tests of the inspect analysis.

import type { CollectedImage, EntryRecord, LayerData } from "../../src/image/types.js";

export const file = (path: string, size: number, sha256 = `sha-${path}-${size}`): EntryRecord => ({
  path,
  kind: "file",
  size,
  sha256,
});
export const dir = (path: string): EntryRecord => ({ path, kind: "dir", size: 0 });
export const symlink = (path: string, linkname: string): EntryRecord => ({
  path,
  kind: "symlink",
  size: 0,
  linkname,
});
export const hardlink = (path: string, linkname: string): EntryRecord => ({
  path,
  kind: "hardlink",
  size: 0,
  linkname,
});
export const whiteout = (path: string): EntryRecord => {
  const i = path.lastIndexOf("/");
  return { path: `${path.slice(0, i + 1)}.wh.${path.slice(i + 1)}`, kind: "file", size: 0 };
};
export const opaque = (dirPath: string): EntryRecord => ({
  path: `${dirPath}/.wh..wh..opq`,
  kind: "file",
  size: 0,
});

export function layers(
  ...specs: (
    EntryRecord[] | { entries: EntryRecord[]; createdBy?: string; texts?: Record<string, string> }
  )[]
): LayerData[] {
  return specs.map((spec, index) => {
    const s = Array.isArray(spec) ? { entries: spec } : spec;
    const texts = new Map<number, string>();
    for (const [path, text] of Object.entries(("texts" in s && s.texts) || {})) {
      const at = s.entries.findIndex((e) => e.path === path);
      if (at < 0) throw new Error(`no entry ${path} for its text`);
      texts.set(at, text);
    }
    return {
      index,
      diffId: `sha256:${String(index).padStart(64, "0")}`,
      ...("createdBy" in s && s.createdBy ? { createdBy: s.createdBy } : {}),
      entries: s.entries,
      tarBytes: 1024 + s.entries.reduce((n, e) => n + 512 + Math.ceil(e.size / 512) * 512, 0),
      texts,
    };
  });
}

export function image(layerData: LayerData[]): CollectedImage {
  return {
    ref: "fixture:latest",
    id: `sha256:${"f".repeat(64)}`,
    repoTags: ["fixture:latest"],
    layers: layerData,
  };
}
