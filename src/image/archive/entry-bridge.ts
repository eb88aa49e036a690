// Hands a layer's entries to a consumer that awaits per entry (`LayerVisit.entries()`, used
// by squash): entries and their content are queued as copies, and the synchronous pipeline
// pauses while more than a few MB wait to be read.

import type { Header } from "tar-stream";
import { noop, type Flow } from "./flow.js";
import type { ContentSink, LayerEntry } from "./types.js";

/** Bytes an `entries()` consumer may have queued (content, plus this much per entry) before reading waits. */
export const BRIDGE_BYTES = 4 << 20;
export const BRIDGE_ENTRY_COST = 512;

/** Hands a layer's entries to an async consumer (`LayerVisit.entries()`), with backpressure. */
export class EntryBridge {
  private queue: BridgeEntry[] = [];
  private queuedBytes = 0;
  private done = false;
  private error: unknown;
  private closed = false;
  private current: BridgeEntry | undefined;
  private wake: (() => void) | undefined;
  private room: (() => void) | undefined;

  constructor(
    private readonly flow: Flow,
    private readonly visitor: Promise<unknown>,
  ) {}

  /** Producer side: an entry of the layer. */
  entry(header: Header, path: string): ContentSink | undefined {
    if (this.closed) return undefined;
    const e = new BridgeEntry(this, header, path);
    this.queue.push(e);
    this.add(BRIDGE_ENTRY_COST);
    this.notify();
    return e;
  }

  end(): void {
    this.done = true;
    this.notify();
  }

  fail(err: unknown): void {
    this.error ??= err;
    this.done = true;
    this.notify();
    this.current?.notify();
  }

  /** The consumer is gone: drop what is queued and what is still to come. */
  close(): void {
    this.closed = true;
    this.current?.skip();
    for (const e of this.queue) e.skip();
    this.queue = [];
    this.queuedBytes = 0;
    this.freeRoom();
  }

  add(n: number): void {
    this.queuedBytes += n;
    if (this.queuedBytes > BRIDGE_BYTES && !this.room && !this.closed) {
      const room = new Promise<void>((resolve) => (this.room = resolve));
      this.flow.defer(Promise.race([room, this.visitor.then(noop, noop)]));
    }
  }

  release(n: number): void {
    this.queuedBytes -= n;
    if (this.queuedBytes <= BRIDGE_BYTES / 2) this.freeRoom();
  }

  isFailed(): boolean {
    return this.error !== undefined;
  }

  errorOf(): unknown {
    return this.error;
  }

  iterable(): AsyncIterable<LayerEntry> {
    return { [Symbol.asyncIterator]: () => this.iterate() };
  }

  private freeRoom(): void {
    const room = this.room;
    this.room = undefined;
    room?.();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async *iterate(): AsyncGenerator<LayerEntry> {
    try {
      for (;;) {
        while (this.queue.length === 0 && !this.done) {
          await new Promise<void>((resolve) => (this.wake = resolve));
        }
        const e = this.queue.shift();
        if (!e) {
          if (this.error !== undefined) throw this.error;
          return;
        }
        this.release(BRIDGE_ENTRY_COST);
        this.current = e;
        yield e.entry;
        e.skip();
        this.current = undefined;
      }
    } finally {
      this.close();
    }
  }
}

class BridgeEntry implements ContentSink {
  readonly entry: LayerEntry;
  private chunks: Buffer[] = [];
  private ended = false;
  private skipped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly bridge: EntryBridge,
    header: Header,
    path: string,
  ) {
    this.entry = {
      header,
      path,
      stream: { [Symbol.asyncIterator]: () => this.iterate() },
      skip: () => this.skip(),
    };
  }

  data(chunk: Buffer): void {
    if (this.skipped) return;
    const copy = Buffer.from(chunk);
    this.chunks.push(copy);
    this.bridge.add(copy.length);
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  skip(): void {
    if (this.skipped) return;
    this.skipped = true;
    let n = 0;
    for (const c of this.chunks) n += c.length;
    this.chunks = [];
    if (n > 0) this.bridge.release(n);
    this.notify();
  }

  notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async *iterate(): AsyncGenerator<Buffer> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk) {
        this.bridge.release(chunk.length);
        yield chunk;
        continue;
      }
      if (this.ended || this.skipped) return;
      if (this.bridge.isFailed()) throw this.bridge.errorOf();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
