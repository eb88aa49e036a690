// The engine's response to GET /images/{name}/get, read off its unix socket with a minimal
// HTTP/1.1 client: one reused read buffer, and the body pushed synchronously into the
// archive reader (a `PushSource` for src/image/archive/scan.ts).

import net from "node:net";
import type { ChunkTarget, PushSource } from "../../image/archive/types.js";
import { BodyDecoder } from "./http-body.js";

/** Bytes each read of the socket takes at most; the one buffer every read reuses. */
const SOCKET_READ_BYTES = 256 * 1024;
const MAX_RESPONSE_HEAD = 64 * 1024;

/**
 * `GET path` on a unix socket, HTTP/1.1, body handed over from a single reused read buffer
 * (no allocation per read, unlike Node's HTTP client, whose garbage alone costs ~60 MB RSS
 * and seconds of collection over a GB-sized archive). Chunked and length-delimited bodies.
 */
export class SocketArchive implements PushSource {
  private readonly buffer = Buffer.allocUnsafe(SOCKET_READ_BYTES);
  private socket!: net.Socket;
  private phase: "head" | "body" | "done" = "head";
  private head: Buffer[] = [];
  private early: Buffer[] = [];
  private decoder: BodyDecoder | undefined;
  private feeder: ChunkTarget | undefined;
  private ended = false;
  /** Whether reading was stopped (a read callback returned false). */
  private paused = false;
  private result: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  private opened!: { resolve: () => void; reject: (err: unknown) => void };
  private error: unknown;

  private constructor() {}

  /** Connects and reads the response head; rejects when the status is not 200 (with the engine's message). */
  static async open(socketPath: string, path: string): Promise<SocketArchive> {
    const archive = new SocketArchive();
    await new Promise<void>((resolve, reject) => {
      archive.opened = { resolve, reject };
      archive.connect(socketPath, path);
    });
    return archive;
  }

  /** Pushes the whole body through `feeder`; resolves once it has taken it all. */
  pushTo(feeder: ChunkTarget): Promise<void> {
    if (this.feeder) return Promise.reject(new Error("the archive was read twice"));
    this.feeder = feeder;
    return new Promise<void>((resolve, reject) => {
      this.result = { resolve, reject };
      if (this.error !== undefined) {
        reject(this.error); // the connection failed before anyone read
        return;
      }
      let pause = false;
      for (const raw of this.early) {
        (this.decoder as BodyDecoder).feed(raw, 0, raw.length, (body) => {
          if (feeder.push(body, true)) pause = true;
        });
      }
      this.early = [];
      this.afterRead(pause);
    });
  }

  destroy(): void {
    this.phase = "done";
    this.socket.destroy();
  }

  private connect(socketPath: string, path: string): void {
    const socket = net.connect({
      path: socketPath,
      onread: { buffer: this.buffer, callback: (n: number) => this.onRead(n) },
    });
    this.socket = socket;
    socket.on("error", (err) => this.fail(err));
    socket.on("end", () => this.onEnd());
    socket.on("close", () => {
      if (this.phase !== "done") this.onEnd();
    });
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: shrinkbench\r\nConnection: close\r\n\r\n`,
    );
  }

  private onRead(n: number): boolean {
    try {
      if (this.phase === "head") return this.readHead(n);
      if (this.phase !== "body") return true;
      const feeder = this.feeder;
      if (!feeder) {
        this.early.push(Buffer.from(this.buffer.subarray(0, n)));
        this.paused = true;
        return false;
      }
      let pause = false;
      (this.decoder as BodyDecoder).feed(this.buffer, 0, n, (body) => {
        if (feeder.push(body, true)) pause = true;
      });
      return this.afterRead(pause);
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  /** After a read has been fed: finish, or pause until the pipeline has caught up. */
  private afterRead(pause: boolean): boolean {
    const feeder = this.feeder as ChunkTarget;
    if ((this.decoder as BodyDecoder).done || (this.ended && this.decoder?.untilClose)) {
      this.phase = "done";
      feeder.drain().then(
        () => {
          this.socket.destroy();
          this.result?.resolve();
        },
        (err) => this.fail(err),
      );
      return false;
    }
    if (this.ended) {
      this.fail(new Error("the engine closed the connection before the archive's end"));
      return false;
    }
    if (!pause) {
      if (this.paused) this.resume();
      return true;
    }
    this.paused = true;
    feeder.drain().then(
      () => {
        if (this.phase === "body") this.resume();
      },
      (err) => this.fail(err),
    );
    return false;
  }

  private resume(): void {
    this.paused = false;
    this.socket.resume(); // reading restarts (net.Socket does so for `onread` sockets)
  }

  private readHead(n: number): boolean {
    this.head.push(Buffer.from(this.buffer.subarray(0, n)));
    const all = Buffer.concat(this.head);
    const at = all.indexOf("\r\n\r\n");
    if (at < 0) {
      if (all.length > MAX_RESPONSE_HEAD) throw new Error("the engine's response head is too long");
      this.head = [all];
      return true;
    }
    this.head = [];
    const lines = all.toString("latin1", 0, at).split("\r\n");
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
    if (!status) throw new Error(`unexpected response from the engine: ${lines[0] ?? ""}`);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0)
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const chunked = /\bchunked\b/i.test(headers.get("transfer-encoding") ?? "");
    const length = headers.get("content-length");
    this.decoder = new BodyDecoder(
      chunked ? "chunked" : length !== undefined ? Number(length) : "close",
    );
    const rest = all.subarray(at + 4);
    const code = Number(status[1]);
    if (code !== 200) {
      this.readError(code, rest);
      return true;
    }
    this.phase = "body";
    if (rest.length > 0) this.early.push(rest);
    this.opened.resolve();
    this.paused = true;
    return false; // paused until pipe()
  }

  /** A failed request: read the (small) body for the engine's message, then reject `open`. */
  private readError(code: number, first: Buffer): void {
    const parts: Buffer[] = [];
    let size = 0;
    const take = (body: Buffer) => {
      if (size < MAX_RESPONSE_HEAD) parts.push(Buffer.from(body));
      size += body.length;
    };
    const decoder = this.decoder as BodyDecoder;
    const settle = () => {
      const text = Buffer.concat(parts).toString("utf8").trim();
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: the text itself
      }
      this.phase = "done";
      this.socket.destroy();
      this.opened.reject(new Error(`(HTTP ${code}) ${message}`));
    };
    decoder.feed(first, 0, first.length, take);
    if (decoder.done) return settle();
    this.phase = "body";
    this.feeder = {
      push: (body: Buffer) => {
        take(body);
        return false;
      },
      drain: () => Promise.resolve(),
    };
    this.result = {
      resolve: settle,
      reject: (err) => this.opened.reject(err),
    };
  }

  private onEnd(): void {
    if (this.phase === "done" || this.ended) return;
    this.ended = true;
    if (this.phase === "head") {
      this.fail(new Error("the engine closed the connection without an answer"));
    } else if (this.feeder) {
      this.afterRead(false);
    }
  }

  private fail(err: unknown): void {
    if (this.phase === "done" && this.error !== undefined) return;
    this.error ??= err;
    this.phase = "done";
    this.socket?.destroy();
    if (this.result) this.result.reject(err);
    else this.opened.reject(err);
  }
}
