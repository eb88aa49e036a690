// gzip sizes computed in parallel pieces, against zlib's own.

import { constants, deflateRawSync, gzipSync, inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { collectImage } from "../../src/image/collect.js";
import { GZIP_PIECE_BYTES, GzipPool, GzipSize } from "../../src/image/gzip-size.js";
import { bigLayers, noise } from "../helpers/archive.js";
import { chunked, classicSave } from "../fixtures/tar-fixtures.js";

const { big, layers } = bigLayers();

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
