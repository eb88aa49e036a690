import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { readImageArchive, scanImageArchive } from "../../../src/image/archive/scan.js";
import type { LayerVisit } from "../../../src/image/archive/types.js";
import { normalizePath as normalizeEntryPath } from "../../../src/image/paths.js";
import { chunked, classicSave, ociSave, type FixtureEntry } from "../../fixtures/tar-fixtures.js";

const layers: FixtureEntry[][] = [
  [
    { name: "etc/", type: "directory" },
    { name: "etc/issue", content: "Debian\n" },
    { name: "usr/bin/python3", content: "x".repeat(5000) },
  ],
  [
    { name: "app/", type: "directory" },
    { name: "app/main.py", content: "print('hi')\n" },
    { name: "app/big.bin", content: Buffer.alloc(70_000, 7) },
    { name: "etc/.wh.issue" },
  ],
  [{ name: "app/link", type: "link", linkname: "app/main.py" }],
];

interface Seen {
  path: string;
  positions: number[];
  compression: string;
  names: string[];
  hashes: Record<string, string>;
  bytes: number;
  layerSha: string;
}

async function collect(
  archive: Buffer,
  opts: { layout?: Awaited<ReturnType<typeof readImageArchive>>; stopAfter?: number } = {},
) {
  const seen: Seen[] = [];
  // the layer digests are taken once the scan is over: a visitor that stops early returns
  // before its layer's bytes have all gone by, and the listener sees them still
  const digests: (() => void)[] = [];
  const visitor = async (layer: LayerVisit) => {
    const s: Seen = {
      path: layer.path,
      positions: layer.positions,
      compression: layer.compression,
      names: [],
      hashes: {},
      bytes: 0,
      layerSha: "",
    };
    const h = createHash("sha256");
    layer.onBytes((c) => {
      s.bytes += c.length;
      h.update(c);
    });
    let n = 0;
    for await (const entry of layer.entries()) {
      s.names.push(entry.path);
      if (entry.header.type === "file") {
        const fh = createHash("sha256");
        for await (const c of entry.stream) fh.update(c);
        s.hashes[entry.path] = fh.digest("hex");
      }
      if (opts.stopAfter !== undefined && ++n >= opts.stopAfter) break;
    }
    digests.push(() => (s.layerSha = h.digest("hex")));
    seen.push(s);
  };
  const info = await scanImageArchive(chunked(archive, 1000), visitor, { layout: opts.layout });
  for (const d of digests) d();
  return { info, seen };
}

describe("normalizeEntryPath", () => {
  it("strips ./, leading and trailing slashes", () => {
    expect(normalizeEntryPath("./usr/bin/")).toBe("usr/bin");
    expect(normalizeEntryPath("/etc/x")).toBe("etc/x");
    expect(normalizeEntryPath("./")).toBe("");
    expect(normalizeEntryPath(".")).toBe("");
  });
});

describe("scanImageArchive, classic layout", () => {
  it("reads layout, config and every layer's entries when layers precede manifest.json", async () => {
    const fx = await classicSave(layers, { config: { Cmd: ["python3"] } });
    const { info, seen } = await collect(fx.archive);
    expect(info.layout).toBe("classic");
    expect(info.repoTags).toEqual(["fixture:latest"]);
    expect(info.config.config?.Cmd).toEqual(["python3"]);
    expect(info.layers.map((l) => l.diffId)).toEqual(fx.diffIds);
    expect(createHash("sha256").update(info.configBytes).digest("hex")).toBe(
      info.configPath.replace(".json", ""),
    );
    // every layer visited once, positions unknown in a single pass
    expect(seen).toHaveLength(3);
    for (const s of seen) {
      expect(s.positions).toEqual([]);
      const layer = info.layers.find((l) => l.path === s.path);
      expect(layer).toBeDefined();
      // the bytes tap sees exactly the layer tar
      expect(`sha256:${s.layerSha}`).toBe(layer?.diffId);
      expect(s.bytes).toBe(fx.layers[layer?.index ?? -1]?.length);
    }
    const top = seen.find((s) => s.path === info.layers[1]?.path);
    expect(top?.names).toEqual(["app", "app/main.py", "app/big.bin", "etc/.wh.issue"]);
    expect(top?.hashes["app/big.bin"]).toBe(
      createHash("sha256").update(Buffer.alloc(70_000, 7)).digest("hex"),
    );
  });

  it("gives stack positions in a second pass and survives visitors that stop early", async () => {
    const fx = await classicSave(layers);
    const layout = await readImageArchive(chunked(fx.archive));
    const { seen } = await collect(fx.archive, { layout, stopAfter: 1 });
    expect(seen.map((s) => s.positions).sort()).toEqual([[0], [1], [2]]);
    const second = seen.find((s) => s.positions[0] === 1);
    expect(second?.names).toEqual(["app"]);
    // the tap still saw the whole layer, drained after the visitor returned
    expect(`sha256:${second?.layerSha}`).toBe(fx.diffIds[1]);
  });

  it("drains layers a visitor ignores", async () => {
    const fx = await classicSave(layers);
    const paths: string[] = [];
    const info = await scanImageArchive(chunked(fx.archive), (l) => {
      paths.push(l.path);
    });
    expect(paths.sort()).toEqual(info.layers.map((l) => l.path).sort());
  });

  it("propagates a visitor's error", async () => {
    const fx = await classicSave(layers);
    await expect(
      scanImageArchive(chunked(fx.archive), () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
  });

  it("rejects a truncated archive", async () => {
    const fx = await classicSave(layers);
    await expect(readImageArchive(chunked(fx.archive.subarray(0, 3000)))).rejects.toThrow();
  });
});

describe("scanImageArchive, OCI layout", () => {
  it("follows index.json to the manifest and gunzips gzip layer blobs", async () => {
    const fx = await ociSave(layers, {
      gzip: [true, false, true],
      config: { config: { User: "app" } },
    });
    const { info, seen } = await collect(fx.archive);
    expect(info.layout).toBe("oci");
    expect(info.config.config?.User).toBe("app");
    expect(info.repoTags).toEqual(["docker.io/library/fixture:latest"]);
    expect(info.layers.map((l) => l.mediaType)).toEqual([
      "application/vnd.oci.image.layer.v1.tar+gzip",
      "application/vnd.oci.image.layer.v1.tar",
      "application/vnd.oci.image.layer.v1.tar+gzip",
    ]);
    expect(seen).toHaveLength(3);
    for (const s of seen) {
      const layer = info.layers.find((l) => l.path === s.path);
      expect(s.compression).toBe(layer?.index === 1 ? "none" : "gzip");
      expect(`sha256:${s.layerSha}`).toBe(layer?.diffId);
    }
    const bottom = seen.find((s) => s.path === info.layers[0]?.path);
    expect(bottom?.names).toEqual(["etc", "etc/issue", "usr/bin/python3"]);
  });

  it("prefers manifest.json when the OCI archive carries one", async () => {
    const fx = await ociSave(layers, { withManifestJson: true });
    const info = await readImageArchive(chunked(fx.archive));
    expect(info.layout).toBe("oci");
    expect(info.repoTags).toEqual(["fixture:latest"]);
    expect(info.layers.map((l) => l.diffId)).toEqual(fx.diffIds);
  });
});
