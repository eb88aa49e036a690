// Helpers of the archive-reading tests: compressible noise, and a reader that hands back
// every entry name and content hash of every layer.

import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { scanImageArchive } from "../../src/image/archive/scan.js";
import type { ArchiveInput, LayerVisit } from "../../src/image/archive/types.js";
import { GZIP_PIECE_BYTES } from "../../src/image/gzip-size.js";
import type { FixtureEntry } from "../fixtures/tar-fixtures.js";

/** Deterministic bytes that compress about as well as text and binaries do (3-4x). */
export function noise(n: number, seed = 1): Buffer {
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

/** Two layers, each holding a file of a few gzip pieces (the same bytes twice). */
export function bigLayers(): { big: Buffer; layers: FixtureEntry[][] } {
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
  return { big, layers };
}

export interface Seen {
  names: string[];
  hashes: Record<string, string>;
  layerSha: string;
  bytes: number;
}

/** Reads every layer with read(); `delay` makes the visitor and the listener slow. */
export async function readLayers(input: ArchiveInput, delay = false) {
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
