// The caching proxy half of the run's package server: remote http(s) indexes and find-links
// pages are served to the builds from 127.0.0.1, so that
//
// - credentials stay on the host: a source like `https://user:token@host/simple` becomes
//   `http://127.0.0.1:PORT/r0/simple/`; the proxy adds the Authorization header upstream, and
//   nothing a build sees (build args, pages, errors) carries the token;
// - every upstream file is fetched at most once per run, however many rungs install it (files
//   are streamed to disk while they download, and every client reads the growing file), and a
//   cache folder (`--wheel-cache DIR`) keeps them across runs;
// - an upstream that cannot be reached answers 404 at once for the rest of the run, so pip moves
//   on to its other sources instead of retrying it for every package.
//
// Pages (PEP 503 HTML, PEP 691 JSON) are fetched once per run and kept in memory; every link in
// them is rewritten to a root-relative URL on this server, on the mount of the link's origin
// (created on first sight for other hosts, e.g. files.pythonhosted.org, never with credentials
// unless the user configured that host). The proxy fetches only what a configured source covers
// (the index's own path, the find-links page) and the exact URLs that pages it served link to,
// so it is not an open proxy.

import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import type { Readable } from "node:stream";
import * as zlib from "node:zlib";
import { maskUrl } from "./pip-sources.js";

export const DEFAULT_INDEX = "https://pypi.org/simple/";

export interface ProxyOptions {
  /** Folder that keeps downloaded files across runs; default: a temporary folder. */
  cacheDir?: string;
  /** Idle limit of an upstream request (connect, headers, body), ms. */
  timeoutMs?: number;
  /** Hosts whose TLS certificate is not verified (pip's --trusted-host). */
  trustedHosts?: string[];
  /** CA bundle (PEM file) upstream TLS is verified with, as pip's `cert`; default: Node's. */
  caFile?: string;
  /** Called once for each upstream that cannot be reached, with a masked message. */
  onNote?: (note: string) => void;
  /** Called after each request sent upstream; the URL carries no credentials. */
  onUpstream?: (e: { url: string; status?: number; error?: string }) => void;
}

export interface ProxyStats {
  /** Requests sent upstream (redirect hops included). */
  upstreamRequests: number;
  /** Files downloaded from upstream in this run. */
  downloads: number;
  /** Files served from the cache folder without an upstream request. */
  diskHits: number;
  /** Requests answered from what this run fetched already (pages and files). */
  memoryHits: number;
}

interface Upstream {
  /** Mount prefix without slashes, e.g. "r0". */
  prefix: string;
  /** URL origin, e.g. "https://pypi.org". */
  origin: string;
  /** The source, masked, for notes. */
  label: string;
  /** Normalised path prefixes served freely (an index's own path). */
  open: string[];
  /** Normalised exact paths served freely (a find-links page). */
  exact: Set<string>;
  /** Normalised local path (+query) → upstream URL, for every link a served page contained. */
  linked: Map<string, string>;
}

interface Credential {
  /** Source URL without credentials: requests below it get this Authorization. */
  base: string;
  origin: string;
  authorization: string;
}

interface Page {
  status: number;
  contentType: string;
  body: Buffer;
}

/** Upstream could not be reached; the origin is marked down for the run. */
class UpstreamDown extends Error {}

const FILE_PATTERN = /\.(whl|tar\.gz|tgz|tar\.bz2|tar\.xz|zip|egg|metadata|exe|msi|dmg|rpm)$/i;
const MAX_PAGE = 64 * 1024 * 1024;
const MAX_DYNAMIC_UPSTREAMS = 64;

/** Percent-decodes each path segment, so pip's re-quoting and the page's spelling compare equal. */
export function normalisePath(p: string): string {
  return p
    .split("/")
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    })
    .join("/");
}

function escapeAttr(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|quot|apos|lt|gt);/gi, (all, e: string) => {
    const named: Record<string, string> = { amp: "&", quot: '"', apos: "'", lt: "<", gt: ">" };
    if (e[0] !== "#") return named[e.toLowerCase()] ?? all;
    const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : all;
  });
}

/**
 * Rewrites every http(s) `href` of an HTML page (a `<base href>` honoured) through `map`, which
 * returns the local URL for an absolute upstream URL. Links `map` refuses become `#`, so a page
 * never points a build at the outside.
 */
export function rewriteHtml(
  html: string,
  pageUrl: string,
  map: (u: URL) => string | undefined,
): string {
  const attr = /(\shref\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi;
  let base = new URL(pageUrl);
  const baseTag = /<base\b[^>]*?\shref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i.exec(html);
  if (baseTag) {
    try {
      base = new URL(decodeEntities(baseTag[1] ?? baseTag[2] ?? baseTag[3] ?? ""), base);
    } catch {
      // An unusable base: links resolve against the page, as a browser would.
    }
  }
  return html.replace(attr, (all, pre: string, a?: string, b?: string, c?: string) => {
    let u: URL;
    try {
      u = new URL(decodeEntities(a ?? b ?? c ?? ""), base);
    } catch {
      return all;
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") return all;
    return `${pre}"${escapeAttr(map(u) ?? "#")}"`;
  });
}

/** The PEP 691 JSON form: each `files[].url` through `map`. */
export function rewriteJson(
  text: string,
  pageUrl: string,
  map: (u: URL) => string | undefined,
): string {
  const doc = JSON.parse(text) as { files?: { url?: unknown }[] };
  for (const f of Array.isArray(doc.files) ? doc.files : []) {
    if (typeof f?.url !== "string") continue;
    try {
      f.url = map(new URL(f.url, pageUrl)) ?? "#";
    } catch {
      f.url = "#";
    }
  }
  return JSON.stringify(doc);
}

/** `https://user:tok@host/x` → the URL without credentials and the Basic header for them. */
export function splitCredentials(url: string): { url: URL; authorization?: string } {
  const u = new URL(url);
  let authorization: string | undefined;
  if (u.username !== "" || u.password !== "") {
    const dec = (s: string) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    };
    authorization = `Basic ${Buffer.from(`${dec(u.username)}:${dec(u.password)}`).toString("base64")}`;
    u.username = "";
    u.password = "";
  }
  return { url: u, authorization };
}

function errorCode(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return err.code ?? err.message ?? String(e);
}

/**
 * One download into the cache folder, readable while it is being written: clients read the
 * part file up to `written`, then wait for more.
 */
class Download {
  status = 0;
  contentType = "application/octet-stream";
  size?: number;
  written = 0;
  finished = false;
  error?: string;
  /** The part file while downloading; after it, the cache file. */
  partPath?: string;
  dataPath?: string;
  fromDisk = false;
  /** Settles when the status is known. */
  ready: Promise<void>;
  private markReady!: () => void;
  private waiters: (() => void)[] = [];
  constructor() {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }
  setReady(): void {
    this.markReady();
  }
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

interface CacheMeta {
  url: string;
  size: number;
  sha256: string;
  contentType: string;
  fetchedAt: string;
}

export class PackageProxy {
  private readonly upstreams = new Map<string, Upstream>();
  private readonly byOrigin = new Map<string, Upstream>();
  private readonly credentials: Credential[] = [];
  private readonly pages = new Map<string, Promise<Page>>();
  private readonly files = new Map<string, Download>();
  /** Expected digest of an upstream URL, from its link's `#sha256=` fragment. */
  private readonly digests = new Map<string, { algo: string; hex: string }>();
  private readonly down = new Map<string, string>();
  private readonly active = new Set<http.ClientRequest>();
  private agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 8 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 8 }),
    insecure: new https.Agent({ keepAlive: true, maxSockets: 8, rejectUnauthorized: false }),
  };
  private readonly trusted: Set<string>;
  private dynamic = 0;
  private count = 0;
  private dir = "";
  private temporary = false;
  private closed = false;
  readonly notes: string[] = [];
  readonly stats: ProxyStats = { upstreamRequests: 0, downloads: 0, diskHits: 0, memoryHits: 0 };

  constructor(private readonly options: ProxyOptions = {}) {
    this.trusted = new Set((options.trustedHosts ?? []).map((h) => h.toLowerCase()));
  }

  /** Prepares the cache folder, and reads the CA bundle. */
  async open(): Promise<void> {
    if (this.options.caFile) {
      try {
        const ca = await fsp.readFile(this.options.caFile);
        this.agents.https.destroy();
        this.agents.https = new https.Agent({ keepAlive: true, maxSockets: 8, ca });
      } catch (e) {
        const note = `pip's cert ${this.options.caFile} cannot be read (${errorCode(e)}): https indexes are verified with Node's own CA list`;
        this.notes.push(note);
        this.options.onNote?.(note);
      }
    }
    if (this.options.cacheDir) {
      this.dir = path.resolve(this.options.cacheDir);
      await fsp.mkdir(path.join(this.dir, "files"), { recursive: true });
    } else {
      this.dir = await fsp.mkdtemp(path.join(os.tmpdir(), "shrinkbench-proxy-"));
      this.temporary = true;
      await fsp.mkdir(path.join(this.dir, "files"));
    }
  }

  get cacheDir(): string {
    return this.dir;
  }

  /**
   * Registers a remote source and returns its local path (e.g. "/r0/simple/"): an index serves
   * everything under its path, a find-links URL that page (and what it links).
   */
  addSource(source: string, kind: "index" | "find-links", isDefault = false): string {
    const { url, authorization } = splitCredentials(source);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`not an http(s) URL: ${maskUrl(source)}`);
    }
    url.hash = "";
    const label = isDefault ? `the default index ${maskUrl(source)}` : maskUrl(source);
    if (authorization) {
      this.credentials.push({ base: url.href, origin: url.origin, authorization });
    }
    // One mount per origin; a second source on the same origin widens it.
    const up = this.byOrigin.get(url.origin) ?? this.newUpstream(url.origin, label);
    const p = normalisePath(url.pathname);
    if (kind === "index") {
      const dir = p.endsWith("/") ? p : `${p}/`;
      if (!up.open.includes(dir)) up.open.push(dir);
      up.exact.add(dir.slice(0, -1) + normalisePath(url.search));
    } else {
      // A find-links page (or file): that URL only; the files a page links come via `linked`.
      up.exact.add(p + normalisePath(url.search));
    }
    return `/${up.prefix}${url.pathname}${url.search}`;
  }

  private newUpstream(origin: string, label: string): Upstream {
    const up: Upstream = {
      prefix: `r${this.count++}`,
      origin,
      label,
      open: [],
      exact: new Set(),
      linked: new Map(),
    };
    this.upstreams.set(up.prefix, up);
    this.byOrigin.set(origin, up);
    return up;
  }

  /** True when `prefix` ("r0") is one of the proxy's mounts. */
  has(prefix: string): boolean {
    return this.upstreams.has(prefix);
  }

  /** Masked upstream of each mount, for MountInfo. */
  mounts(): { prefix: string; origin: string }[] {
    return [...this.upstreams.values()].map((u) => ({ prefix: u.prefix, origin: u.origin }));
  }

  /** The local URL path for an upstream URL a page links to; registers it as servable. */
  private localFor(u: URL): string | undefined {
    const { url } = splitCredentials(u.href);
    const fragment = url.hash;
    url.hash = "";
    let up = this.byOrigin.get(url.origin);
    if (!up) {
      if (this.dynamic >= MAX_DYNAMIC_UPSTREAMS) return undefined;
      this.dynamic++;
      up = this.newUpstream(url.origin, url.origin);
    }
    const rest = `${url.pathname}${url.search}`;
    up.linked.set(normalisePath(rest), url.href);
    up.linked.set(normalisePath(`${rest}.metadata`), `${url.href}.metadata`);
    const m = /^#(sha256|sha384|sha512|sha224|md5)=([0-9a-f]+)$/i.exec(fragment);
    if (m) this.digests.set(url.href, { algo: m[1]!.toLowerCase(), hex: m[2]!.toLowerCase() });
    return `/${up.prefix}${rest}${fragment}`;
  }

  /**
   * Answers a request for `/<prefix><rest><query>`; `rest` is the raw path after the prefix
   * (starting with "/"), `query` the raw query ("" or "?...").
   */
  async handle(
    prefix: string,
    rest: string,
    query: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const up = this.upstreams.get(prefix);
    if (!up) return sendText(req, res, 404, "not found\n");
    const key = normalisePath(rest + query);
    let target = up.linked.get(key);
    if (target === undefined && (up.exact.has(key) || up.open.some((p) => key.startsWith(p)))) {
      target = `${up.origin}${rest}${query}`;
    }
    if (target === undefined)
      return sendText(req, res, 404, "not found (not linked by a served page)\n");
    const downReason = this.down.get(new URL(target).origin);
    if (downReason !== undefined) {
      return sendText(req, res, 404, `upstream unreachable (${downReason})\n`);
    }
    if (FILE_PATTERN.test(new URL(target).pathname)) return this.serveFile(target, req, res);
    return this.servePage(target, req, res);
  }

  // ------------------------------------------------------------------------------------ pages

  private async servePage(url: string, req: http.IncomingMessage, res: http.ServerResponse) {
    let memo = this.pages.get(url);
    if (memo) this.stats.memoryHits++;
    else {
      memo = this.fetchPage(url);
      this.pages.set(url, memo);
    }
    let page: Page;
    try {
      page = await memo;
    } catch (e) {
      this.pages.delete(url);
      if (e instanceof UpstreamDown)
        return sendText(req, res, 404, `upstream unreachable (${e.message})\n`);
      return sendText(req, res, 502, `upstream error: ${errorCode(e)}\n`);
    }
    // Transient upstream failures are asked again next time; 404s and pages are kept.
    if (page.status >= 500) this.pages.delete(url);
    res.writeHead(page.status, {
      "Content-Type": page.contentType,
      "Content-Length": page.body.length,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    });
    res.end(req.method === "HEAD" ? undefined : page.body);
  }

  private async fetchPage(url: string): Promise<Page> {
    const { res, finalUrl } = await this.get(url, {
      accept:
        "application/vnd.pypi.simple.v1+html, text/html;q=0.2, application/vnd.pypi.simple.v1+json;q=0.1",
    });
    const status = res.statusCode ?? 502;
    const body = await readAll(decoded(res), MAX_PAGE);
    if (status !== 200) {
      return {
        status: status >= 500 ? 502 : status === 401 || status === 403 ? status : 404,
        contentType: "text/plain; charset=utf-8",
        body: Buffer.from(`upstream answered ${status}\n`),
      };
    }
    const type = String(res.headers["content-type"] ?? "text/html");
    const map = (u: URL) => this.localFor(u);
    if (/json/i.test(type)) {
      try {
        return {
          status,
          contentType: type,
          body: Buffer.from(rewriteJson(body.toString("utf8"), finalUrl, map)),
        };
      } catch {
        return {
          status: 502,
          contentType: "text/plain; charset=utf-8",
          body: Buffer.from("upstream sent invalid JSON\n"),
        };
      }
    }
    if (/html/i.test(type) || type === "") {
      return {
        status,
        contentType: type,
        body: Buffer.from(rewriteHtml(body.toString("utf8"), finalUrl, map)),
      };
    }
    return { status, contentType: type, body };
  }

  // ------------------------------------------------------------------------------------ files

  private async serveFile(url: string, req: http.IncomingMessage, res: http.ServerResponse) {
    let dl = this.files.get(url);
    if (dl) this.stats.memoryHits++;
    else {
      dl = new Download();
      this.files.set(url, dl);
      void this.download(url, dl);
    }
    await dl.ready;
    if (dl.status !== 200) {
      // Not kept: a failed download is tried again when pip asks again.
      if (this.files.get(url) === dl && dl.status !== 404) this.files.delete(url);
      return sendText(req, res, dl.status || 502, `${dl.error ?? "upstream error"}\n`);
    }
    res.writeHead(200, {
      "Content-Type": dl.contentType,
      ...(dl.size !== undefined ? { "Content-Length": dl.size } : {}),
      "Accept-Ranges": "none",
      "X-Content-Type-Options": "nosniff",
    });
    if (req.method === "HEAD") return void res.end();
    await tail(dl, res);
  }

  private keyOf(url: string): string {
    return createHash("sha256").update(url).digest("hex");
  }

  private async download(url: string, dl: Download): Promise<void> {
    const key = this.keyOf(url);
    const dataPath = path.join(this.dir, "files", key);
    const metaPath = `${dataPath}.json`;
    const expected = this.digests.get(url);
    // 1. The cache folder.
    try {
      const meta = JSON.parse(await fsp.readFile(metaPath, "utf8")) as CacheMeta;
      const st = await fsp.stat(dataPath);
      const digestOk = !expected || expected.algo !== "sha256" || expected.hex === meta.sha256;
      if (st.size === meta.size && meta.url === maskUrl(url) && digestOk) {
        Object.assign(dl, {
          status: 200,
          contentType: meta.contentType,
          size: meta.size,
          written: meta.size,
          dataPath,
          finished: true,
          fromDisk: true,
        });
        this.stats.diskHits++;
        dl.setReady();
        dl.notify();
        return;
      }
    } catch {
      // Not cached (or an unreadable entry): download it.
    }
    // 2. Upstream, into a part file that clients read while it grows.
    const partPath = `${dataPath}.${process.pid}.${randomBytes(4).toString("hex")}.part`;
    // Set before the rename, so a client that finds the part file gone opens the cache file.
    dl.dataPath = dataPath;
    let handle: fsp.FileHandle | undefined;
    try {
      const { res } = await this.get(url, { accept: "*/*" });
      dl.status = res.statusCode ?? 502;
      if (dl.status !== 200) {
        res.resume();
        dl.error = `upstream answered ${dl.status}`;
        if (dl.status >= 500) dl.status = 502;
        else if (dl.status !== 401 && dl.status !== 403) dl.status = 404;
        dl.finished = true;
        dl.setReady();
        dl.notify();
        return;
      }
      const encoded =
        res.headers["content-encoding"] && res.headers["content-encoding"] !== "identity";
      const length = Number(res.headers["content-length"]);
      dl.size =
        !encoded && Number.isFinite(length) && res.headers["content-length"] !== undefined
          ? length
          : undefined;
      dl.contentType = String(res.headers["content-type"] ?? "application/octet-stream");
      handle = await fsp.open(partPath, "w");
      dl.partPath = partPath;
      this.stats.downloads++;
      dl.setReady();
      const sha = createHash("sha256");
      const check = expected && expected.algo !== "sha256" ? tryHash(expected.algo) : undefined;
      // Clients get every byte but the latest chunk until the whole file is checked (size,
      // digest): a bad download reaches them cut short, never complete with the wrong bytes.
      let total = 0;
      for await (const chunk of decoded(res) as AsyncIterable<Buffer>) {
        await handle.write(chunk);
        sha.update(chunk);
        check?.update(chunk);
        dl.written = total;
        total += chunk.length;
        dl.notify();
      }
      await handle.close();
      handle = undefined;
      const sha256 = sha.digest("hex");
      if (dl.size !== undefined && total !== dl.size) {
        throw new Error(`upstream sent ${total} of ${dl.size} bytes`);
      }
      const got = expected?.algo === "sha256" ? sha256 : check?.digest("hex");
      if (expected && got !== undefined && got !== expected.hex) {
        throw new Error(
          `${expected.algo} mismatch: the page says ${expected.hex}, the file is ${got}`,
        );
      }
      await fsp.rename(partPath, dataPath);
      const meta: CacheMeta = {
        url: maskUrl(url),
        size: total,
        sha256,
        contentType: dl.contentType,
        fetchedAt: new Date().toISOString(),
      };
      const metaPart = `${metaPath}.${randomBytes(4).toString("hex")}.part`;
      await fsp.writeFile(metaPart, JSON.stringify(meta));
      await fsp.rename(metaPart, metaPath);
      dl.size = total;
      dl.written = total;
      dl.finished = true;
      dl.notify();
    } catch (e) {
      await handle?.close().catch(() => undefined);
      await fsp.rm(partPath, { force: true }).catch(() => undefined);
      dl.error =
        e instanceof UpstreamDown
          ? `upstream unreachable (${e.message})`
          : `download failed: ${errorCode(e)}`;
      if (!dl.status || dl.status === 200) dl.status = e instanceof UpstreamDown ? 404 : 502;
      dl.finished = true;
      if (this.files.get(url) === dl) this.files.delete(url);
      dl.setReady();
      dl.notify();
    }
  }

  // ------------------------------------------------------------------------------------ upstream

  private authorizationFor(u: URL): string | undefined {
    const href = u.href;
    const byPath = this.credentials.find((c) => href.startsWith(c.base));
    return (byPath ?? this.credentials.find((c) => c.origin === u.origin))?.authorization;
  }

  /** GET with redirects followed (credentials only ever sent to their own origin). */
  private async get(
    url: string,
    headers: { accept: string },
    hops = 0,
  ): Promise<{ res: http.IncomingMessage; finalUrl: string }> {
    if (this.closed) throw new Error("package server closed");
    const u = new URL(url);
    const down = this.down.get(u.origin);
    if (down !== undefined) throw new UpstreamDown(down);
    const auth = this.authorizationFor(u);
    const insecure =
      this.trusted.has(u.hostname.toLowerCase()) || this.trusted.has(u.host.toLowerCase());
    this.stats.upstreamRequests++;
    let res: http.IncomingMessage;
    try {
      res = await this.request(
        u,
        {
          Accept: headers.accept,
          "Accept-Encoding": "gzip, deflate",
          "User-Agent": "shrinkbench package proxy",
          ...(auth ? { Authorization: auth } : {}),
        },
        insecure,
      );
    } catch (e) {
      const code = errorCode(e);
      this.options.onUpstream?.({ url: maskUrl(u.href), error: code });
      if (!this.closed) this.markDown(u.origin, code);
      throw new UpstreamDown(code);
    }
    this.options.onUpstream?.({ url: maskUrl(u.href), status: res.statusCode });
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status >= 300 && status < 400 && location && hops < 5) {
      res.resume();
      return this.get(new URL(location, u).href, headers, hops + 1);
    }
    return { res, finalUrl: u.href };
  }

  private markDown(origin: string, code: string): void {
    if (this.down.has(origin)) return;
    this.down.set(origin, code);
    const up = this.byOrigin.get(origin);
    const note = `${up?.label ?? origin} cannot be reached (${code}): the package server answers 404 for it for the rest of the run, so pip moves on to the other sources at once`;
    this.notes.push(note);
    this.options.onNote?.(note);
  }

  private request(
    u: URL,
    headers: Record<string, string>,
    insecure: boolean,
  ): Promise<http.IncomingMessage> {
    const secure = u.protocol === "https:";
    const agent = secure ? (insecure ? this.agents.insecure : this.agents.https) : this.agents.http;
    const timeout = this.options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(u, { method: "GET", headers, agent }, (res) => {
        this.active.delete(req);
        resolve(res);
      });
      this.active.add(req);
      req.setTimeout(timeout, () =>
        req.destroy(Object.assign(new Error("no answer"), { code: "ETIMEDOUT" })),
      );
      req.on("error", (e) => {
        this.active.delete(req);
        reject(e);
      });
      req.end();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.active) r.destroy();
    for (const a of Object.values(this.agents)) a.destroy();
    // Downloads stop on their own (their sockets are gone); give them a moment to clean up.
    await Promise.all(
      [...this.files.values()].map((d) =>
        d.finished ? undefined : Promise.race([d.wait(), delay(2000)]),
      ),
    );
    if (this.temporary && this.dir)
      await fsp.rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function tryHash(algo: string) {
  try {
    return createHash(algo);
  } catch {
    return undefined;
  }
}

function decoded(res: http.IncomingMessage): Readable {
  const enc = String(res.headers["content-encoding"] ?? "").toLowerCase();
  if (enc === "gzip" || enc === "x-gzip") return res.pipe(zlib.createGunzip());
  if (enc === "deflate") return res.pipe(zlib.createInflate());
  if (enc === "br") return res.pipe(zlib.createBrotliDecompress());
  return res;
}

async function readAll(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) {
      stream.destroy();
      throw new Error(`page larger than ${limit} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

function sendText(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  text: string,
) {
  const body = Buffer.from(text);
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": body.length,
    "X-Content-Type-Options": "nosniff",
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

/** Streams a download to a client: what is written so far, then each new piece as it lands. */
async function tail(dl: Download, res: http.ServerResponse): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  const openData = async () => {
    // The part file is renamed when complete; an open handle survives the rename.
    if (!dl.finished && dl.partPath) {
      try {
        return await fsp.open(dl.partPath, "r");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
    }
    if (!dl.dataPath) throw new Error(dl.error ?? "download failed");
    return fsp.open(dl.dataPath, "r");
  };
  try {
    handle = await openData();
    const buf = Buffer.allocUnsafe(256 * 1024);
    let pos = 0;
    for (;;) {
      while (pos < dl.written) {
        const { bytesRead } = await handle.read(
          buf,
          0,
          Math.min(buf.length, dl.written - pos),
          pos,
        );
        if (bytesRead === 0) break;
        pos += bytesRead;
        if (!res.write(Buffer.from(buf.subarray(0, bytesRead)))) {
          await new Promise<void>((resolve) => {
            const done = () => {
              res.off("drain", done);
              res.off("close", done);
              resolve();
            };
            res.on("drain", done);
            res.on("close", done);
          });
        }
        if (res.destroyed) return;
      }
      if (dl.error) {
        res.destroy();
        return;
      }
      if (dl.finished && pos >= dl.written) break;
      // No await between the check above and this registration: a notify cannot slip by.
      await dl.wait();
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** True when a cache folder entry exists for the URL (for tests and messages). */
export function cachedFileCount(dir: string): number {
  try {
    return fs.readdirSync(path.join(dir, "files")).filter((f) => f.endsWith(".json")).length;
  } catch {
    return 0;
  }
}
