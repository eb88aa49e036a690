// gzip sizes of layer tars, off the main thread: each layer is cut into pieces compressed in
// parallel on libuv's thread pool (as pigz does), and only their sizes are kept.

import { availableParallelism } from "node:os";
import { constants as zlibConstants, createDeflateRaw } from "node:zlib";

/**
 * Input bytes per compression task. The layer tar is cut into pieces this long, compressed
 * as raw deflate on libuv's thread pool in parallel, each piece primed with the 32 KiB
 * before it (the whole window deflate can look back), non-final pieces ended with a sync
 * flush, as pigz does. Concatenated, the pieces are a valid deflate stream of the layer;
 * its size differs from one zlib stream's by a few bytes per piece (5 for the sync flush,
 * give or take a block boundary): on the talk image's layers, by less than 0.01%.
 */
export const GZIP_PIECE_BYTES = 1 << 20;
const DICTIONARY_BYTES = 32 * 1024;
/** Output buffer of a compression task: a piece usually compresses into one (one trip to the thread pool). */
const OUTPUT_CHUNK_BYTES = 512 * 1024;
/** gzip header (10 bytes, no name) and trailer (CRC-32 and length, 8 bytes) around the deflate data. */
const GZIP_FRAMING_BYTES = 18;

/** Runs compression tasks on libuv's thread pool, a few at a time. */
export class GzipPool {
  private running = 0;
  private waiting: (() => void)[] = [];
  /** Piece buffers whose task is done, for the next pieces (no allocation per MiB). */
  private free: Buffer[] = [];

  constructor(
    readonly level: number,
    /** Tasks at once: one per core, plus two queued so a core never waits for the main thread. */
    readonly limit = Math.max(2, availableParallelism() + 2),
  ) {}

  /** Compresses one piece; resolves with its deflate size. */
  deflate(piece: Buffer, dictionary: Buffer | undefined, last: boolean): Promise<number> {
    this.running++;
    return new Promise<number>((resolve, reject) => {
      let size = 0;
      const done = (err?: Error) => {
        this.running--;
        this.waiting.shift()?.();
        if (err) reject(err);
        else resolve(size);
      };
      // a stream rather than zlib.deflateRaw(): its output is only counted, never concatenated
      const deflate = createDeflateRaw({
        level: this.level,
        finishFlush: last ? zlibConstants.Z_FINISH : zlibConstants.Z_SYNC_FLUSH,
        ...(dictionary ? { dictionary } : {}),
        chunkSize: OUTPUT_CHUNK_BYTES,
      });
      deflate.on("data", (chunk: Buffer) => (size += chunk.length));
      deflate.once("end", () => done());
      deflate.once("error", done);
      deflate.end(piece);
    });
  }

  /** A buffer for a piece: a recycled one when there is one. */
  takeBuffer(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(GZIP_PIECE_BYTES);
  }

  giveBuffer(buffer: Buffer): void {
    if (this.free.length < this.limit + 2) this.free.push(buffer);
  }

  /** Undefined when a task may start now; else a promise that resolves when one may. */
  room(): Promise<void> | undefined {
    if (this.running + this.waiting.length < this.limit) return undefined;
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }
}

/** The gzip size of one stream of bytes (a layer tar), computed on a `GzipPool`. */
export class GzipSize {
  private piece: Buffer;
  private fill = 0;
  private previous: Buffer | undefined;
  private total = GZIP_FRAMING_BYTES;
  private tasks: Promise<void>[] = [];
  private error: unknown;

  constructor(private readonly pool: GzipPool) {
    this.piece = pool.takeBuffer();
  }

  /** Takes bytes (copied); returns a promise when the caller should wait before writing more. */
  write(chunk: Buffer): Promise<void> | undefined {
    if (this.error !== undefined) throw this.error;
    let wait: Promise<void> | undefined;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.fill === this.piece.length) {
        this.submit(false);
        wait = this.pool.room() ?? wait;
      }
      const n = chunk.copy(this.piece, this.fill, pos);
      this.fill += n;
      pos += n;
    }
    return wait;
  }

  /** Compresses what is left; resolves with the gzip size of everything written. */
  async end(): Promise<number> {
    this.submit(true);
    await Promise.all(this.tasks);
    if (this.error !== undefined) throw this.error;
    return this.total;
  }

  private submit(last: boolean): void {
    const buffer = this.piece;
    const piece = buffer.subarray(0, this.fill);
    const dictionary = this.previous;
    // pieces but the last are full: the next one is primed with this one's last 32 KiB
    // (a copy: the piece's buffer is recycled once compressed)
    if (!last) this.previous = Buffer.from(piece.subarray(piece.length - DICTIONARY_BYTES));
    const task = this.pool.deflate(piece, dictionary, last).then(
      (n) => {
        this.total += n;
        this.pool.giveBuffer(buffer);
      },
      (err: unknown) => {
        this.error ??= err;
      },
    );
    this.tasks.push(task);
    if (!last) {
      this.piece = this.pool.takeBuffer();
      this.fill = 0;
    }
  }
}
