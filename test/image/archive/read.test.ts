// The fast path of the archive reader (LayerVisit.read), its flow control, and the entries()
// bridge under backpressure.

import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { scanImageArchive } from "../../../src/image/archive/scan.js";
import { bigLayers, readLayers, type Seen } from "../../helpers/archive.js";
import { chunked, classicSave, ociSave, sha256 } from "../../fixtures/tar-fixtures.js";

const { big, layers } = bigLayers();

describe("LayerVisit.read", () => {
  it("hands over every entry and byte, whatever the chunking, also to a slow visitor", async () => {
    const fx = await classicSave(layers);
    for (const [input, delay] of [
      [chunked(fx.archive, 777), false],
      [chunked(fx.archive, 64 * 1024), true],
      [Readable.from(chunked(fx.archive, 100_000)), true],
    ] as const) {
      const { info, seen } = await readLayers(input, delay);
      expect(info.layers.map((l) => l.diffId)).toEqual(fx.diffIds);
      for (const l of info.layers) {
        const s = seen.get(l.path) as Seen;
        expect(`sha256:${s.layerSha}`).toBe(l.diffId);
        expect(s.bytes).toBe(fx.layers[l.index]?.length);
      }
      const top = seen.get(info.layers[1]?.path as string) as Seen;
      expect(top.names).toEqual(["app", "app/main.py", "app/copy.so", "etc/.wh.issue"]);
      expect(top.hashes["app/copy.so"]).toBe(sha256(big));
    }
  });

  it("reads gzip-compressed layer blobs", async () => {
    const fx = await ociSave(layers, { gzip: [true, true] });
    const { info, seen } = await readLayers(chunked(fx.archive, 10_000), true);
    for (const l of info.layers) {
      expect(`sha256:${seen.get(l.path)?.layerSha}`).toBe(l.diffId);
    }
  });

  it("a handler that throws stops the scan with its error", async () => {
    const fx = await classicSave(layers);
    await expect(
      scanImageArchive(chunked(fx.archive), async (layer) => {
        await layer.read({
          entry: ({ path }) => {
            if (path === "app/main.py") throw new Error("handler broke");
          },
        });
      }),
    ).rejects.toThrow("handler broke");
  });

  it("rejects a layer tar that ends inside an entry", async () => {
    const cut = await classicSave([[{ name: "a", content: Buffer.alloc(5000, 1) }]]);
    // make the layer tar end inside its only file: rebuild the save with a shortened layer
    const whole = cut.layers[0] as Buffer;
    const broken = await classicSave([[{ name: "x", content: "y" }]]);
    const archive = Buffer.from(broken.archive);
    const at = archive.indexOf(broken.layers[0] as Buffer);
    expect(at).toBeGreaterThan(0);
    // same length as the layer we replace: 'broken' has a 2048-byte layer; use a 2048-byte prefix of 'whole'
    whole.copy(archive, at, 0, (broken.layers[0] as Buffer).length);
    await expect(
      scanImageArchive(chunked(archive), async (layer) => {
        await layer.read({ entry: () => undefined });
      }),
    ).rejects.toThrow(/truncated/);
  });
});

describe("LayerVisit.entries under backpressure", () => {
  it("a consumer slower than the archive still gets every byte, in order", async () => {
    const fx = await classicSave(layers);
    const hashes: Record<string, string> = {};
    await scanImageArchive(chunked(fx.archive, 64 * 1024), async (layer) => {
      for await (const e of layer.entries()) {
        if (e.header.type !== "file") continue;
        const h = createHash("sha256");
        let n = 0;
        for await (const c of e.stream) {
          h.update(c);
          if (++n % 16 === 0) await sleep(1);
        }
        hashes[e.path] = h.digest("hex");
      }
    });
    expect(hashes["usr/lib/libbig.so"]).toBe(sha256(big));
    expect(hashes["app/copy.so"]).toBe(sha256(big));
    expect(hashes["app/main.py"]).toBe(sha256("print('hi')\n"));
  });
});
