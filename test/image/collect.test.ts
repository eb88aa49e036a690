// collectImages: several images from one archive, as a multi-image `docker save` writes it
// (a layer the images share is written once; the engine links the other image's copy to it).

import { describe, expect, it } from "vitest";
import { collectImage, collectImages } from "../../src/image/collect.js";
import {
  chunked,
  classicSave,
  sha256,
  tarBuffer,
  type FixtureEntry,
} from "../fixtures/tar-fixtures.js";

const base: FixtureEntry[] = [
  { name: "usr/", type: "directory" },
  { name: "usr/lib/", type: "directory" },
  { name: "usr/lib/libbase.so", content: Buffer.alloc(30_000, 7) },
];
const appA: FixtureEntry[] = [
  { name: "app/", type: "directory" },
  { name: "app/a.py", content: "print('a')\n" },
  { name: "usr/lib/.wh.libbase.so", content: "" },
];
const appB: FixtureEntry[] = [
  { name: "srv/", type: "directory" },
  { name: "srv/b.bin", content: Buffer.alloc(12_345, 1) },
];

interface Img {
  layers: FixtureEntry[][];
  history: string[];
}

/** A classic-layout archive of several images; a shared layer is stored once, then linked. */
async function multiSave(images: Img[]): Promise<{ archive: Buffer; ids: string[] }> {
  const entries: FixtureEntry[] = [];
  const stored = new Map<string, string>(); // diff id -> v1 dir holding it
  const manifest: { Config: string; RepoTags: null; Layers: string[] }[] = [];
  const ids: string[] = [];
  for (const [n, img] of images.entries()) {
    const tars = await Promise.all(img.layers.map((l) => tarBuffer(l)));
    const diffIds = tars.map((t) => `sha256:${sha256(t)}`);
    const config = Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        // as classicSave writes it, so that an image's id is the same in both archives
        history: img.history.map((created_by) => ({ created_by })),
        rootfs: { type: "layers", diff_ids: diffIds },
      }),
    );
    const hex = sha256(config);
    ids.push(`sha256:${hex}`);
    entries.push({ name: `${hex}.json`, content: config });
    const paths = tars.map((t, i) => {
      const dir = sha256(`${n}:${i}`);
      entries.push({ name: `${dir}/`, type: "directory" });
      const first = stored.get(diffIds[i]!);
      if (first) {
        entries.push({
          name: `${dir}/layer.tar`,
          type: "symlink",
          linkname: `../${first}/layer.tar`,
        });
      } else {
        stored.set(diffIds[i]!, dir);
        entries.push({ name: `${dir}/layer.tar`, content: t });
      }
      return `${dir}/layer.tar`;
    });
    manifest.push({ Config: `${hex}.json`, RepoTags: null, Layers: paths });
  }
  entries.push({ name: "manifest.json", content: JSON.stringify(manifest) });
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { archive: await tarBuffer(entries), ids };
}

const imgA: Img = { layers: [base, appA], history: ["base", "RUN a"] };
const imgB: Img = { layers: [base, appB], history: ["base", "RUN b"] };

async function alone(img: Img, ref: string) {
  const fx = await classicSave(img.layers, {
    history: img.history.map((created_by) => ({ created_by })),
  });
  return collectImage(chunked(fx.archive), ref, { gzip: false });
}

describe("collectImages", () => {
  it("gives each image of a shared archive what an archive of it alone gives", async () => {
    const { archive, ids } = await multiSave([imgA, imgB]);
    // asked in another order than stored, one image twice
    const refs = [ids[1]!, ids[0]!, ids[1]!];
    const got = await collectImages(chunked(archive, 1000), refs, { gzip: false });
    expect(got.map((c) => c.id)).toEqual(refs);
    const [b, a] = [await alone(imgB, ids[1]!), await alone(imgA, ids[0]!)];
    // the single-image fixture tags its image; the shared archive names images by id only
    expect({ ...got[0], repoTags: [] }).toEqual({ ...b, repoTags: [] });
    expect({ ...got[1], repoTags: [] }).toEqual({ ...a, repoTags: [] });
    expect(got[2]).toEqual(got[0]);
    // the base layer was read once, and both images hold its records
    expect(got[0]!.layers[0]!.entries).toBe(got[1]!.layers[0]!.entries);
    expect(got[1]!.layers[1]!.entries.map((e) => e.path)).toEqual([
      "app",
      "app/a.py",
      "usr/lib/.wh.libbase.so",
    ]);
  });

  it("an id the archive does not hold is an error, never another image", async () => {
    const { archive, ids } = await multiSave([imgA, imgB]);
    const missing = `sha256:${"0".repeat(64)}`;
    await expect(collectImages(chunked(archive), [ids[0]!, missing])).rejects.toThrow(
      `image archive holds no image ${missing}`,
    );
  });
});
