// The fast path of the archive reader (LayerVisit.read), its flow control, the entries()
// bridge under backpressure, reading off an engine's unix socket, and piecewise gzip sizes.

import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { constants, deflateRawSync, gzipSync, inflateRawSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  openImageArchive,
  scanImageArchive,
  type ArchiveInput,
  type LayerVisit,
} from "../../../src/docker/archive/archive.js";
import {
  collectImage,
  GZIP_PIECE_BYTES,
  GzipPool,
  GzipSize,
} from "../../../src/docker/inspect-image.js";
import {
  chunked,
  classicSave,
  ociSave,
  sha256,
  type FixtureEntry,
} from "../../fixtures/tar-fixtures.js";

/** Deterministic bytes that compress about as well as text and binaries do (3-4x). */
function noise(n: number, seed = 1): Buffer {
  const words = ["import", "numpy", "def", "return", "self", "\n    ", "None", "lib", "\x00\x00"];
  const parts: Buffer[] = [];
  let length = 0;
  for (let i = 0; length < n; i++) {
    const r = createHash("sha256").update(`${seed}:${i}`).digest();
    // a run of words, then a few random bytes
    for (let k = 0; k < 24; k++) parts.push(Buffer.from(words[(r[k] as number) % words.length]!));
    parts.push(r.subarray(24));
    length += 24 * 5 + 8;
  }
  return Buffer.concat(parts).subarray(0, n);
}

const big = noise(3 * GZIP_PIECE_BYTES + 12345);
const layers: FixtureEntry[][] = [
  [
    { name: "etc/", type: "directory" },
    { name: "etc/issue", content: "Debian\n" },
    { name: "usr/lib/libbig.so", content: big },
  ],
  [
    { name: "app/", type: "directory" },
    { name: "app/main.py", content: "print('hi')\n" },
    { name: "app/copy.so", content: big },
    { name: "etc/.wh.issue" },
  ],
];

interface Seen {
  names: string[];
  hashes: Record<string, string>;
  layerSha: string;
  bytes: number;
}

/** Reads every layer with read(); `delay` makes the visitor and the listener slow. */
async function readLayers(input: ArchiveInput, delay = false) {
  const seen = new Map<string, Seen>();
  const digests: (() => void)[] = [];
  const info = await scanImageArchive(input, async (layer: LayerVisit) => {
    if (delay) await sleep(5); // reads only after a while: the bytes wait
    const s: Seen = { names: [], hashes: {}, layerSha: "", bytes: 0 };
    const h = createHash("sha256");
    let n = 0;
    layer.onBytes((c) => {
      s.bytes += c.length;
      h.update(c);
      if (delay && ++n % 8 === 0) return sleep(1); // backpressure now and then
    });
    await layer.read({
      entry: ({ header, path }) => {
        s.names.push(path);
        if (header.type !== "file") return undefined;
        const fh = createHash("sha256");
        return {
          data: (c) => fh.update(c),
          end: () => (s.hashes[path] = fh.digest("hex")),
        };
      },
    });
    digests.push(() => (s.layerSha = h.digest("hex")));
    seen.set(layer.path, s);
  });
  for (const d of digests) d();
  return { info, seen };
}

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

describe("gzip sizes in pieces", () => {
  it("equal one zlib stream below a piece, and the pigz-style pieces above", async () => {
    const pool = new GzipPool(6, 3);
    const small = noise(100_000, 7);
    const s = new GzipSize(pool);
    for (const c of [small.subarray(0, 5), small.subarray(5)]) await s.write(c);
    expect(await s.end()).toBe(gzipSync(small, { level: 6 }).length);

    const empty = new GzipSize(pool);
    expect(await empty.end()).toBe(gzipSync(Buffer.alloc(0)).length);

    // above a piece: the same as compressing the pieces one by one (primed, sync-flushed)
    const sized = new GzipSize(pool);
    for (let i = 0; i < big.length; i += 50_000) await sized.write(big.subarray(i, i + 50_000));
    const pieces: Buffer[] = [];
    for (let i = 0; i < big.length; i += GZIP_PIECE_BYTES) {
      const last = i + GZIP_PIECE_BYTES >= big.length;
      pieces.push(
        deflateRawSync(big.subarray(i, i + GZIP_PIECE_BYTES), {
          level: 6,
          finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
          ...(i > 0 ? { dictionary: big.subarray(i - 32 * 1024, i) } : {}),
        }),
      );
    }
    const expected = 18 + pieces.reduce((a, p) => a + p.length, 0);
    expect(await sized.end()).toBe(expected);
    // the pieces are one valid deflate stream of the data, within 0.1% of a single stream's size
    expect(inflateRawSync(Buffer.concat(pieces)).equals(big)).toBe(true);
    const single = gzipSync(big, { level: 6 }).length;
    expect(Math.abs(expected - single) / single).toBeLessThan(0.001);
  });

  it("collectImage sizes a multi-piece layer as the pieces say", async () => {
    const fx = await classicSave(layers);
    const c = await collectImage(chunked(fx.archive, 64 * 1024), "fixture:latest");
    for (const [i, l] of c.layers.entries()) {
      const t = fx.layers[i] as Buffer;
      const single = gzipSync(t, { level: 6 }).length;
      expect(Math.abs((l.gzipBytes as number) - single) / single).toBeLessThan(0.001);
    }
  });
});

describe("openImageArchive on a unix socket", () => {
  let dir: string;
  let server: Server;
  let archive: Buffer;
  let socketPath: string;
  const requests: string[] = [];

  beforeAll(async () => {
    archive = (await classicSave(layers)).archive;
    dir = mkdtempSync(join(tmpdir(), "shrinkbench-sock-"));
    socketPath = join(dir, "docker.sock");
    server = createServer((req, res) => {
      requests.push(req.url ?? "");
      if (req.url?.includes("/images/missing/get")) {
        res.writeHead(404, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ message: "reference does not exist" }));
        return;
      }
      if (req.url?.includes("/images/cut/get")) {
        res.writeHead(200, { "Content-Type": "application/x-tar" });
        res.write(archive.subarray(0, 100_000));
        setTimeout(() => res.destroy(), 10);
        return;
      }
      // chunked, unless a length is given
      res.writeHead(200, {
        "Content-Type": "application/x-tar",
        ...(req.url?.includes("/length/") ? { "Content-Length": archive.length } : {}),
      });
      let i = 0;
      const next = () => {
        // uneven writes, so HTTP chunks and socket reads fall anywhere
        while (i < archive.length) {
          const n = 1000 + ((i * 7919) % 90_000);
          const ok = res.write(archive.subarray(i, i + n));
          i += n;
          if (!ok) return void res.once("drain", next);
        }
        res.end();
      };
      next();
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const docker = (version?: string) =>
    ({
      modem: { socketPath, ...(version ? { version } : {}) },
      getImage: () => {
        throw new Error("not over dockerode");
      },
    }) as unknown as Parameters<typeof openImageArchive>[0];

  it("streams the save archive straight off the socket, to a fast and to a slow reader", async () => {
    const expected = await readLayers(chunked(archive));
    for (const delay of [false, true]) {
      const input = await openImageArchive(docker(), "img:latest");
      const { info, seen } = await readLayers(input, delay);
      expect(info.layers).toEqual(expected.info.layers);
      expect([...seen.entries()].sort()).toEqual([...expected.seen.entries()].sort());
    }
    const input = await openImageArchive(docker("v1.41"), "img:latest");
    await scanImageArchive(input);
    expect(requests.at(-1)).toBe("/v1.41/images/img:latest/get");
  });

  it("reads a length-delimited body too", async () => {
    const input = await openImageArchive(docker("length"), "img");
    const c = await collectImage(input, "img", { gzip: false });
    expect(c.layers).toHaveLength(2);
  });

  it("gives the engine's message when the image is missing, and fails on a cut stream", async () => {
    await expect(openImageArchive(docker(), "missing")).rejects.toThrow(
      /cannot export image missing: \(HTTP 404\) reference does not exist/,
    );
    const input = await openImageArchive(docker(), "cut");
    await expect(collectImage(input, "cut", { gzip: false })).rejects.toThrow(
      /closed the connection before the archive's end/,
    );
  });
});
