// The caching proxy half of the run's package server: remote http(s) indexes and find-links
// pages are served to the builds from 127.0.0.1, so that
//
// - credentials stay on the host: a source like `https://user:token@host/simple` becomes
//   `http://127.0.0.1:PORT/r0/simple/`; the proxy adds the Authorization header upstream
//   (upstream.ts), and nothing a build sees (build args, pages, errors) carries the token;
// - every upstream file is fetched at most once per run, however many rungs install it, and a
//   cache folder (`--wheel-cache DIR`) keeps them across runs (file-cache.ts);
// - an upstream that cannot be reached answers 404 at once for the rest of the run, so pip moves
//   on to its other sources instead of retrying it for every package.
//
// This file holds the mounts (one per upstream origin), what each may serve, and the pages.
// Pages (PEP 503 HTML, PEP 691 JSON) are fetched once per run and kept in memory; every link in
// them is rewritten (link-rewrite.ts) to a root-relative URL on this server, on the mount of the
// link's origin (created on first sight for other hosts, e.g. files.pythonhosted.org, never with
// credentials unless the user configured that host). The proxy fetches only what a configured
// source covers (the index's own path, the find-links page) and the exact URLs that pages it
// served link to, so it is not an open proxy.

import type * as http from "node:http";
import { FileCache, tail, type ExpectedDigest } from "./file-cache.js";
import { normalisePath, rewriteHtml, rewriteJson } from "./link-rewrite.js";
import { maskUrl } from "./pip-sources.js";
import { distributionCacheHeaders, sendPage, sendText } from "./responses.js";
import {
  decoded,
  errorCode,
  readAll,
  splitCredentials,
  UpstreamClient,
  UpstreamDown,
} from "./upstream.js";
import type { ProxyEnv } from "./outbound-proxy.js";

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
  /** The host's .netrc, as pip reads it (netrc.ts). */
  netrcFile?: string;
  /** The variables naming an HTTP proxy to reach upstream through (outbound-proxy.ts). */
  proxyEnv?: ProxyEnv;
  /** pip's own `proxy` option, which wins over the variables. */
  pipProxy?: string;
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

interface Page {
  status: number;
  contentType: string;
  body: Buffer;
}

const FILE_PATTERN = /\.(whl|tar\.gz|tgz|tar\.bz2|tar\.xz|zip|egg|metadata|exe|msi|dmg|rpm)$/i;
const MAX_PAGE = 64 * 1024 * 1024;
const MAX_DYNAMIC_UPSTREAMS = 64;
const TEXT = "text/plain; charset=utf-8";

export class PackageProxy {
  private readonly upstreams = new Map<string, Upstream>();
  private readonly byOrigin = new Map<string, Upstream>();
  private readonly pages = new Map<string, Promise<Page>>();
  /** Expected digest of an upstream URL, from its link's `#sha256=` fragment. */
  private readonly digests = new Map<string, ExpectedDigest>();
  /** Upstream URLs of direct references (addDirectFile), without credentials. */
  private readonly direct = new Set<string>();
  private readonly client: UpstreamClient;
  private readonly cache: FileCache;
  private dynamic = 0;
  private count = 0;
  private pageHits = 0;
  private closed = false;
  readonly notes: string[] = [];

  constructor(private readonly options: ProxyOptions = {}) {
    this.client = new UpstreamClient({
      timeoutMs: options.timeoutMs,
      trustedHosts: options.trustedHosts,
      caFile: options.caFile,
      netrcFile: options.netrcFile,
      proxyEnv: options.proxyEnv,
      pipProxy: options.pipProxy,
      onUpstream: options.onUpstream,
      labelOf: (origin) => this.byOrigin.get(origin)?.label,
      onNote: (note) => {
        this.notes.push(note);
        this.options.onNote?.(note);
      },
    });
    this.cache = new FileCache(this.client);
  }

  /** Prepares the cache folder, and reads the CA bundle. */
  async open(): Promise<void> {
    await this.client.open();
    await this.cache.open(this.options.cacheDir);
  }

  get stats(): ProxyStats {
    return {
      upstreamRequests: this.client.requests,
      downloads: this.cache.downloads,
      diskHits: this.cache.diskHits,
      memoryHits: this.pageHits + this.cache.memoryHits,
    };
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
    if (authorization) this.client.addCredential(url.href, url.origin, authorization);
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

  /**
   * Registers a package file named by a direct reference (`name @ https://user:tok@host/x.whl`):
   * its credentials are kept for its origin, and `serveDirectFile` may fetch it. Returns the URL
   * without credentials and fragment (what serveDirectFile takes).
   */
  addDirectFile(source: string): string {
    const { url, authorization } = splitCredentials(source);
    const m = /^#(sha256|sha384|sha512|sha224|md5)=([0-9a-f]+)$/i.exec(url.hash);
    url.hash = "";
    if (authorization) this.client.addCredential(url.href, url.origin, authorization);
    if (!this.byOrigin.has(url.origin)) this.newUpstream(url.origin, maskUrl(source));
    if (m) this.digests.set(url.href, { algo: m[1]!.toLowerCase(), hex: m[2]!.toLowerCase() });
    this.direct.add(url.href);
    return url.href;
  }

  /** Serves a file registered with addDirectFile, fetched once per run (and kept by --wheel-cache). */
  async serveDirectFile(url: string, req: http.IncomingMessage, res: http.ServerResponse) {
    if (!this.direct.has(url)) return sendText(req, res, 404, "not found\n");
    const downReason = this.client.downReason(new URL(url).origin);
    if (downReason !== undefined) {
      return sendText(req, res, 404, `upstream unreachable (${downReason})\n`);
    }
    return this.serveFile(url, req, res);
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
    const downReason = this.client.downReason(new URL(target).origin);
    if (downReason !== undefined) {
      return sendText(req, res, 404, `upstream unreachable (${downReason})\n`);
    }
    if (FILE_PATTERN.test(new URL(target).pathname)) return this.serveFile(target, req, res);
    return this.servePage(target, req, res);
  }

  // ------------------------------------------------------------------------------------ pages

  private async servePage(url: string, req: http.IncomingMessage, res: http.ServerResponse) {
    let memo = this.pages.get(url);
    if (memo) this.pageHits++;
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
    sendPage(req, res, page.contentType, page.body, page.status);
  }

  private async fetchPage(url: string): Promise<Page> {
    const { res, finalUrl } = await this.client.get(url, {
      accept:
        "application/vnd.pypi.simple.v1+html, text/html;q=0.2, application/vnd.pypi.simple.v1+json;q=0.1",
    });
    const status = res.statusCode ?? 502;
    const body = await readAll(decoded(res), MAX_PAGE);
    if (status !== 200) {
      return {
        status: status >= 500 ? 502 : status === 401 || status === 403 ? status : 404,
        contentType: TEXT,
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
          contentType: TEXT,
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
    const dl = this.cache.fetch(url, this.digests.get(url));
    await dl.ready;
    if (dl.status !== 200) {
      // Not kept: a failed download is tried again when pip asks again.
      if (dl.status !== 404) this.cache.forget(url, dl);
      return sendText(req, res, dl.status || 502, `${dl.error ?? "upstream error"}\n`);
    }
    res.writeHead(200, {
      "Content-Type": dl.contentType,
      ...(dl.size !== undefined ? { "Content-Length": dl.size } : {}),
      "Accept-Ranges": "none",
      "X-Content-Type-Options": "nosniff",
      ...distributionCacheHeaders(url),
    });
    if (req.method === "HEAD") return void res.end();
    await tail(dl, res);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
    // Downloads stop on their own (their sockets are gone); give them a moment to clean up.
    await this.cache.close();
  }
}
