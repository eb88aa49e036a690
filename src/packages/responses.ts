// The HTTP answers of the package server, shared by its local mounts and its proxy: short text
// answers (errors, redirects), in-memory pages that are never cached, and files streamed from
// disk. Every answer to HEAD carries the headers only.

import * as fsp from "node:fs/promises";
import type * as http from "node:http";
import { pipeline } from "node:stream/promises";

const CONTENT_TYPES: [string, string][] = [
  [".html", "text/html; charset=utf-8"],
  [".htm", "text/html; charset=utf-8"],
  [".whl", "application/zip"],
  [".zip", "application/zip"],
  [".tar.gz", "application/gzip"],
  [".tgz", "application/gzip"],
  [".tar.bz2", "application/x-bzip2"],
  [".tar.xz", "application/x-xz"],
  [".tar", "application/x-tar"],
  [".json", "application/json"],
  [".metadata", "text/plain; charset=utf-8"],
  [".txt", "text/plain; charset=utf-8"],
];

export function contentType(file: string): string {
  const lower = file.toLowerCase();
  return CONTENT_TYPES.find(([ext]) => lower.endsWith(ext))?.[1] ?? "application/octet-stream";
}

export const HTML = "text/html; charset=utf-8";

export function sendText(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  text: string,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const body = Buffer.from(text);
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": body.length,
    "X-Content-Type-Options": "nosniff",
    ...headers,
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

/**
 * A page held in memory. Pages are never cached by clients: a file is served only after the
 * page linking it was (the local mounts' scope, the proxy's linked URLs).
 */
export function sendPage(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  type: string,
  body: Buffer,
  status = 200,
): void {
  res.writeHead(status, {
    "Content-Type": type,
    "Content-Length": body.length,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

export const notFound = (req: http.IncomingMessage, res: http.ServerResponse) =>
  sendText(req, res, 404, "not found\n");
export const forbidden = (req: http.IncomingMessage, res: http.ServerResponse) =>
  sendText(req, res, 403, "forbidden\n");

/**
 * Headers for a distribution file (wheel, sdist): an index never changes a file once published,
 * and PyPI says so (`max-age=365000000, immutable`). pip's HTTP cache keeps only what the
 * headers allow, so without them a cache of pip's (a BuildKit cache mount) could hold nothing.
 */
export function distributionCacheHeaders(name: string): Record<string, string> {
  return /\.(whl|tar\.gz|tgz|tar\.bz2|zip)$/i.test(name.replace(/[?#].*$/, ""))
    ? { "Cache-Control": "max-age=31536000, immutable" }
    : {};
}

/** Streams a file from disk; one that cannot be opened is refused (403). */
export async function sendFile(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  file: string,
): Promise<void> {
  // Opened before the headers go out, so an unreadable file is a clean error status.
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, "r");
  } catch {
    return forbidden(req, res);
  }
  try {
    const { size } = await handle.stat();
    res.writeHead(200, {
      "Content-Type": contentType(file),
      "Content-Length": size,
      "Accept-Ranges": "none",
      "X-Content-Type-Options": "nosniff",
      ...distributionCacheHeaders(file),
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    await pipeline(handle.createReadStream({ autoClose: false }), res);
  } finally {
    await handle.close();
  }
}
