// A stand-in for a remote package index (a private mirror behind basic auth), on 127.0.0.1:
// it serves the project pages of a local PEP 503 tree (e.g. /opt/pypi) with every file link
// rewritten to an absolute URL (its own origin, or another "files host"), and counts requests.

import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

export interface FakeIndex {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** Requests by path (query included). */
  counts: Map<string, number>;
  /** Every request: path and the Authorization header it carried. */
  log: { path: string; authorization?: string }[];
  /** Requests for files (not pages). */
  fileRequests(): number;
  close(): Promise<void>;
}

export interface FakeIndexOptions {
  /** A PEP 503 tree holding simple/<project>/index.html and files/ (like /opt/pypi). */
  root: string;
  /** Required basic-auth credentials; without them every request is answered 401. */
  auth?: { user: string; password: string };
  /**
   * Where pages link files: "self" (absolute URLs on this server, /packages/<file>), or the
   * origin of another FakeIndex serving /packages/ (a files host, like files.pythonhosted.org).
   */
  filesOrigin?: string;
  /** Milliseconds to hold each file response before sending it (to test concurrent clients). */
  fileDelayMs?: number;
}

export async function startFakeIndex(options: FakeIndexOptions): Promise<FakeIndex> {
  const counts = new Map<string, number>();
  const log: FakeIndex["log"] = [];
  let origin = "";
  const expected = options.auth
    ? `Basic ${Buffer.from(`${options.auth.user}:${options.auth.password}`).toString("base64")}`
    : undefined;
  const server = http.createServer((req, res) => {
    const p = req.url ?? "/";
    counts.set(p, (counts.get(p) ?? 0) + 1);
    log.push({ path: p, authorization: req.headers.authorization });
    if (expected && req.headers.authorization !== expected) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="fake"', "Content-Length": 0 });
      return res.end();
    }
    const page = /^\/simple\/([a-z0-9._-]+)\/$/i.exec(p);
    if (page) {
      const file = path.join(options.root, "simple", page[1]!, "index.html");
      if (!fs.existsSync(file)) {
        res.writeHead(404, { "Content-Length": 0 });
        return res.end();
      }
      const filesBase = `${options.filesOrigin ?? origin}/packages/`;
      const html = fs
        .readFileSync(file, "utf8")
        .replace(/href="\.\.\/\.\.\/files\//g, `href="${filesBase}`);
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      return res.end(html);
    }
    const pkg = /^\/packages\/([^/?]+)$/.exec(p);
    if (pkg) {
      const file = path.join(options.root, "files", decodeURIComponent(pkg[1]!));
      if (!fs.existsSync(file)) {
        res.writeHead(404, { "Content-Length": 0 });
        return res.end();
      }
      const send = () => {
        res.writeHead(200, {
          "Content-Type": "application/octet-stream",
          "Content-Length": fs.statSync(file).size,
        });
        fs.createReadStream(file).pipe(res);
      };
      if (options.fileDelayMs) setTimeout(send, options.fileDelayMs);
      else send();
      return;
    }
    res.writeHead(404, { "Content-Length": 0 });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    counts,
    log,
    fileRequests: () =>
      [...counts].filter(([p]) => p.startsWith("/packages/")).reduce((n, [, c]) => n + c, 0),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (an unreachable upstream). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
