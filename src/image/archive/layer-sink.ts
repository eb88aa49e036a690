// One layer blob of the archive: runs the consumer's visitor and routes the blob's bytes
// (gunzip or zstd when stored compressed, then the byte listeners, then the layer's tar reader,
// whose entries go to the visitor's handler or to an `EntryBridge`).

import { finished } from "node:stream/promises";
import { createGunzip, type Gunzip } from "node:zlib";
import { Decompress as ZstdDecompress } from "fzstd";
import type { Header } from "tar-stream";
import { normalizePath } from "../paths.js";
import { EntryBridge } from "./entry-bridge.js";
import { noop, waitDrain, type Flow } from "./flow.js";
import { TarReader } from "./tar-reader.js";
import type {
  ByteListener,
  ContentSink,
  LayerCompression,
  LayerHandler,
  LayerVisit,
  LayerVisitor,
} from "./types.js";

export interface LayerInfo {
  path: string;
  storedSize: number;
  compression: LayerCompression;
  positions: number[];
}

/**
 * Takes a layer blob's bytes from the outer archive, runs the visitor and routes the bytes:
 * gunzip when stored compressed, then the byte listeners, then the layer's tar reader, whose
 * entries go to the visitor's handler (`read`) or to an `EntryBridge` (`entries`).
 */
export class LayerSink implements ContentSink {
  private mode: "waiting" | "read" | "entries" | "drain" = "waiting";
  private queued: Buffer[] = [];
  private ended = false;
  private live = true;
  private readonly listeners: ByteListener[] = [];
  private reader: TarReader | undefined;
  private gunzip: Gunzip | undefined;
  private gunzipError: unknown;
  /**
   * zstd layers (OCI allows them; Node's zlib has no zstd before 22.15/23.8): fzstd, pure
   * JavaScript, decompressing synchronously as the bytes arrive, so the pipeline stays one
   * synchronous pass and memory stays about one zstd window.
   */
  private zstd: ZstdDecompress | undefined;
  private handler: LayerHandler | undefined;
  private bridge: EntryBridge | undefined;
  private readDone: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  private chosen!: () => void;
  private readonly visitor: Promise<void>;

  constructor(
    private readonly info: LayerInfo,
    visit: LayerVisitor,
    private readonly flow: Flow,
    private readonly abort: (err: unknown) => void,
    private readonly done: () => void,
  ) {
    const chosen = new Promise<void>((resolve) => (this.chosen = resolve));
    const layerVisit: LayerVisit = {
      path: info.path,
      storedSize: info.storedSize,
      compression: info.compression,
      positions: info.positions,
      onBytes: (listener) => {
        this.assertLive();
        if (this.mode !== "waiting") throw new Error("onBytes must be called before entries()");
        this.listeners.push(listener);
      },
      entries: () => {
        this.choose("entries");
        const bridge = new EntryBridge(flow, this.visitor);
        this.bridge = bridge;
        return bridge.iterable();
      },
      read: (handler) => {
        this.choose("read");
        this.handler = handler;
        return new Promise<void>((resolve, reject) => (this.readDone = { resolve, reject }));
      },
    };
    let settle!: (result: Promise<void> | void) => void;
    this.visitor = new Promise<void>((resolve) => (settle = resolve)).finally(() => {
      this.live = false;
      this.bridge?.close(); // nobody reads what is left
    });
    this.visitor.catch((err) => this.abort(err));
    try {
      settle(visit(layerVisit));
    } catch (err) {
      settle(Promise.reject(err));
    }
    if (this.mode === "waiting") {
      // The visitor awaits something before it reads: hold the bytes until it reads or returns.
      flow.defer(Promise.race([chosen, this.visitor.then(noop, noop)]).then(() => this.resume()));
    }
  }

  data(chunk: Buffer): void {
    if (this.mode === "waiting") this.queued.push(Buffer.from(chunk));
    else this.stored(chunk);
  }

  end(): void {
    this.ended = true;
    if (this.mode !== "waiting") this.finish();
  }

  /** The scan failed: settle what the visitor waits on. */
  fail(err: unknown): void {
    this.readDone?.reject(err);
    this.readDone = undefined;
    this.bridge?.fail(err);
    this.gunzip?.destroy();
  }

  private assertLive(): void {
    if (!this.live) throw new Error("layer visit used after its visitor returned");
  }

  private choose(mode: "read" | "entries" | "drain"): void {
    if (mode !== "drain") {
      this.assertLive();
      if (this.mode !== "waiting") throw new Error(`layer ${this.info.path} read twice`);
    }
    const inflate = mode !== "drain" || this.listeners.length > 0;
    this.mode = mode;
    if (mode !== "drain") this.reader = new TarReader((h) => this.entry(h));
    if (this.info.compression === "gzip" && inflate) this.startGunzip();
    if (this.info.compression === "zstd" && inflate) {
      this.zstd = new ZstdDecompress((chunk) => {
        this.tar(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      });
    }
    this.chosen();
  }

  private resume(): void {
    if (this.mode === "waiting") this.choose("drain");
    const queued = this.queued;
    this.queued = [];
    for (const chunk of queued) this.stored(chunk);
    if (this.ended) this.finish();
  }

  private entry(header: Header): ContentSink | undefined {
    const path = normalizePath(header.name);
    if (this.handler) return this.handler.entry({ header, path }) || undefined;
    return this.bridge?.entry(header, path);
  }

  /** Bytes as stored in the archive. */
  private stored(chunk: Buffer): void {
    const gunzip = this.gunzip;
    if (this.zstd) {
      // a copy: fzstd may keep the tail of a chunk until the next one completes a block
      this.zstd.push(new Uint8Array(chunk));
    } else if (gunzip) {
      if (this.gunzipError) throw this.gunzipError;
      if (!gunzip.write(Buffer.from(chunk))) this.flow.defer(waitDrain(gunzip));
    } else if (this.mode !== "drain" || this.listeners.length > 0) {
      this.tar(chunk);
    }
  }

  /** Bytes of the uncompressed layer tar. Returns the listeners' promises, if any. */
  private tar(chunk: Buffer): Promise<unknown>[] | undefined {
    let waits: Promise<unknown>[] | undefined;
    for (const listener of this.listeners) {
      const r = listener(chunk);
      if (r) (waits ??= []).push(r);
    }
    this.reader?.write(chunk);
    if (waits && !this.gunzip) {
      for (const w of waits) this.flow.defer(w);
      return undefined;
    }
    return waits;
  }

  private startGunzip(): void {
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    this.gunzip = gunzip;
    gunzip.on("data", (chunk: Buffer) => {
      try {
        const waits = this.tar(chunk);
        if (waits) {
          gunzip.pause();
          Promise.all(waits).then(
            () => gunzip.resume(),
            (err) => gunzip.destroy(err as Error),
          );
        }
      } catch (err) {
        gunzip.destroy(err as Error);
      }
    });
    gunzip.on("error", (err) => {
      this.gunzipError ??= err;
      this.abort(err);
    });
  }

  private finish(): void {
    this.zstd?.push(new Uint8Array(0), true);
    const gunzip = this.gunzip;
    if (gunzip) {
      gunzip.end();
      this.flow.defer(finished(gunzip).then(() => this.complete()));
    } else {
      this.complete();
    }
  }

  private complete(): void {
    try {
      this.reader?.end();
    } catch (err) {
      this.fail(err);
      throw err;
    }
    this.bridge?.end();
    this.readDone?.resolve();
    this.readDone = undefined;
    this.done();
    // The next layer waits for this visitor to return (and fails if it threw).
    this.flow.defer(this.visitor);
  }
}
