// Flow control: the archive is read by one synchronous pipeline (outer tar reader → layer
// sink → layer tar reader → the consumer's callbacks) that pauses its source whenever a
// consumer asks to wait, and resumes once it has. Sources: a Node stream, an async
// iterable, or a `PushSource` (the engine's socket).

import type { TarReader } from "./tar-reader.js";
import type { ArchiveInput, ChunkTarget, PushSource } from "./types.js";

export const noop = (): void => undefined;

/**
 * Promises the pipeline must wait for before it takes more bytes. Set from inside the
 * synchronous pipeline (`defer`); the source pauses and `settle()` waits them out.
 */
export class Flow {
  blocked = false;
  private deferred: Promise<unknown>[] = [];

  defer(p: Promise<unknown>): void {
    p.catch(noop); // observed in settle()
    this.deferred.push(p);
    this.blocked = true;
  }

  async settle(): Promise<void> {
    while (this.deferred.length > 0) {
      const waits = this.deferred;
      this.deferred = [];
      await Promise.all(waits);
    }
    this.blocked = false;
  }
}

/** Feeds chunks to the outer tar reader; keeps what it could not take yet. */
export class Feeder implements ChunkTarget {
  private queue: Buffer[] = [];

  constructor(
    private readonly reader: TarReader,
    private readonly flow: Flow,
  ) {}

  push(chunk: Buffer, copy: boolean): boolean {
    if (this.queue.length === 0 && !this.flow.blocked) {
      const pos = this.reader.write(chunk, 0);
      if (pos === chunk.length) return this.flow.blocked;
      chunk = chunk.subarray(pos);
    }
    this.queue.push(copy ? Buffer.from(chunk) : chunk);
    return true;
  }

  async drain(): Promise<void> {
    for (;;) {
      if (this.flow.blocked) await this.flow.settle();
      const head = this.queue[0];
      if (!head) return;
      const pos = this.reader.write(head, 0);
      if (pos === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(pos);
    }
  }
}

function toBuffer(raw: Uint8Array | string): Buffer {
  if (typeof raw === "string") return Buffer.from(raw);
  return Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
}

function isPushSource(input: ArchiveInput): input is PushSource {
  return typeof (input as Partial<PushSource>).pushTo === "function";
}

function isReadable(input: ArchiveInput): input is NodeJS.ReadableStream {
  const r = input as Partial<NodeJS.ReadableStream>;
  return typeof r.on === "function" && typeof r.pause === "function";
}

export function destroyInput(input: ArchiveInput): void {
  const d = (input as { destroy?: () => void }).destroy;
  if (typeof d === "function") d.call(input);
}

/** Pushes the whole input through the feeder, pausing the source while the pipeline waits. */
export async function pump(input: ArchiveInput, feeder: Feeder): Promise<void> {
  if (isPushSource(input)) return input.pushTo(feeder);
  if (isReadable(input)) return pumpReadable(input, feeder);
  for await (const raw of input as AsyncIterable<Uint8Array | string>) {
    if (feeder.push(toBuffer(raw), false)) await feeder.drain();
  }
  await feeder.drain();
}

function pumpReadable(input: NodeJS.ReadableStream, feeder: Feeder): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let draining: Promise<void> | undefined;
    let ended = false;
    let settled = false;
    const cleanup = () => {
      input.removeListener("data", onData);
      input.removeListener("end", onEnd);
      input.removeListener("error", fail);
      input.removeListener("close", onClose);
    };
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(err as Error);
    };
    const onData = (raw: Buffer | string) => {
      if (settled) return;
      try {
        if (feeder.push(toBuffer(raw), false) && !draining) {
          input.pause();
          draining = feeder.drain().then(() => {
            draining = undefined;
            if (!settled && !ended) input.resume();
          });
          draining.catch(fail);
        }
      } catch (err) {
        fail(err);
      }
    };
    const onEnd = () => {
      ended = true;
      (draining ?? Promise.resolve())
        .then(() => feeder.drain())
        .then(() => {
          if (settled) return;
          settled = true;
          cleanup();
          resolve();
        }, fail);
    };
    const onClose = () => {
      if (!ended) fail(new Error("the archive stream closed before its end"));
    };
    input.on("data", onData);
    input.once("end", onEnd);
    input.once("error", fail);
    input.once("close", onClose);
  });
}

export function waitDrain(w: NodeJS.WritableStream & { destroyed?: boolean }): Promise<void> {
  if (w.destroyed) return Promise.reject(new Error("stream destroyed while writing"));
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      w.removeListener("drain", onDrain);
      w.removeListener("close", onClose);
      w.removeListener("error", onError);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      // ended by its writer (the layer's last bytes were written, then end()): all taken
      if ((w as { writableFinished?: boolean }).writableFinished) resolve();
      else reject(new Error("stream closed while writing"));
    };
    const onError = (err: unknown) => {
      cleanup();
      reject(err as Error);
    };
    w.once("drain", onDrain);
    w.once("close", onClose);
    w.once("error", onError);
  });
}
