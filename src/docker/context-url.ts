// A build context handed to a local engine as a URL instead of an upload.
//
// BuildKit (dockerd's builder-next) keeps a build cache record for the context of every build.
// An uploaded context gets the description "http url http://build-context-<random>": the
// engine picks the name, nothing in it says whose it is, and `clean` cannot find it. Given the
// context as `POST /build?remote=<url>`, the engine fetches the tar itself and the record says
// "http url <that url>": served here on 127.0.0.1 under a path naming the run
// (ladder/run-marks.ts contextUrlPath), the record names its run like a marked RUN does.
// Only an engine on this machine can fetch it (see endpoint.ts isLocalEndpoint).
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { contextUrlPath } from "../ladder/run-marks.js";

/**
 * A context larger than this is uploaded as before: the served one is held in memory (the
 * engine may ask for it again, and it needs a length), and the ladder's contexts are tens of kB.
 */
export const MAX_SERVED_CONTEXT = 64 * 1024 * 1024;

export interface ServedContext {
  url: string;
  /** The tar, for an upload after all (an engine that cannot reach the URL). */
  body: Buffer;
  /** The bytes of its regular files (context-records.ts). */
  fileBytes: number;
  /** GET requests answered. */
  readonly requests: number;
  close(): Promise<void>;
}

/**
 * Reads the context; serves it on 127.0.0.1 at a path of the run's (with a random part no other
 * local process can guess). When it is larger than `maxBytes`, returns the stream to upload
 * instead (the bytes read so far put back in front).
 */
export async function serveContext(
  context: Readable,
  runId: string,
  maxBytes = MAX_SERVED_CONTEXT,
): Promise<{ served: ServedContext } | { upload: Readable }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const it = context[Symbol.asyncIterator]();
  for (;;) {
    const next = await it.next();
    if (next.done) break;
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as string);
    chunks.push(chunk);
    size += chunk.length;
    if (size > maxBytes) {
      async function* rest() {
        yield* chunks;
        for (;;) {
          const more = await it.next();
          if (more.done) return;
          yield more.value as Buffer;
        }
      }
      return { upload: Readable.from(rest(), { objectMode: false }) };
    }
  }
  const body = Buffer.concat(chunks);
  const path = contextUrlPath(runId, randomBytes(12).toString("hex"));
  let requests = 0;
  const server = createServer((req, res) => {
    if (req.url !== path || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404).end();
      return;
    }
    if (req.method === "GET") requests++;
    res.writeHead(200, {
      "Content-Type": "application/x-tar",
      "Content-Length": String(body.length),
    });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    served: {
      url: `http://127.0.0.1:${port}${path}`,
      body,
      fileBytes: tarFileBytes(body),
      get requests() {
        return requests;
      },
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections?.();
        }),
    },
  };
}

/**
 * The bytes of the regular files in a tar (ustar/pax/GNU headers; the sizes of pax and long-name
 * entries are metadata, not files).
 */
export function tarFileBytes(tar: Buffer): number {
  let total = 0;
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(
      header.subarray(124, 136).toString("ascii").replace(/\0.*$/s, "").trim() || "0",
      8,
    );
    const type = String.fromCharCode(header[156] ?? 0);
    if (type === "0" || type === "\0" || type === "7") total += size;
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return total;
}
