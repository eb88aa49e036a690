// The run's package server: serves the local package sources (a PEP 503 tree on disk, a
// wheelhouse folder) over HTTP on 127.0.0.1 for the duration of a run, so that pip inside a
// host-network build can reach them. Users with an offline wheelhouse or a mirror on disk need
// exactly this; the builds never see a host path.
//
// - An index given as `file:///srv/pypi/simple` (or a plain path) is served as
//   `http://127.0.0.1:PORT/i<N>/simple/`: the prefix mirrors the directory that *contains*
//   `simple/`, so relative links such as `../../files/x.whl` resolve. A directory with an
//   `index.html` is served by that page, any other directory by a generated page of links.
//   Of the parent folder only the files that served pages link to are reachable (pip reads a
//   page before it fetches what the page links), so a mirror kept in a home folder does not
//   expose the rest of it.
// - A find-links folder is served as `http://127.0.0.1:PORT/f<N>/`, a generated page of links
//   to its files (pip's find-links reads such a page); a find-links file as `/f<N>/<name>`.
// - A remote http(s) index or find-links URL is served through the caching proxy (proxy.ts) as
//   `http://127.0.0.1:PORT/r<N>/<its path>`: credentials stay on the host, each file is fetched
//   once per run (and kept across runs with a cache folder), links in upstream pages are
//   rewritten to this server. With no index configured and no --no-index, pip's default index
//   (PyPI) is proxied too, so that an unreachable PyPI answers 404 at once instead of pip
//   retrying it for every package.
//
// Only GET and HEAD; `..`, encoded or not, dot files and symlinks leading out of a mount's
// root are refused.

import * as fsp from "node:fs/promises";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { InputError } from "../errors.js";
import { maskUrl } from "./pip-sources.js";
import { DEFAULT_INDEX, PackageProxy, type ProxyStats } from "./proxy.js";
import type { PackageSources } from "../types.js";

export interface MountInfo {
  /** URL path prefix, e.g. "/i0/". */
  prefix: string;
  kind: "index" | "find-links" | "proxy";
  /** The source as given (a file:// URL or a path); for a proxy, the upstream origin. */
  origin: string;
  /** The directory served under the prefix; for a proxy, the upstream origin. */
  root: string;
}

export interface IndexServer {
  /** The sources rewritten for the builds: local ones point at this server. */
  sources: PackageSources;
  /** http://127.0.0.1:PORT */
  url: string;
  mounts: MountInfo[];
  /** Each local source and the URL the builds use instead, in the order given. */
  rewrites: { from: string; to: string }[];
  /** Sources that were left out (a find-links or extra index folder that does not exist). */
  warnings: string[];
  /** Requests served so far. */
  readonly requests: number;
  /** What the caching proxy did: upstream requests, downloads, cache hits. */
  readonly proxy: ProxyStats;
  /** Notes for the user (an upstream that cannot be reached), credentials masked. */
  readonly notes: string[];
  close(): Promise<void>;
}

export interface IndexServerOptions {
  /** Address to bind; 127.0.0.1 unless told. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Called after each response, for verbose logs. */
  onRequest?: (entry: { method: string; path: string; status: number }) => void;
  /** Keeps proxied files across runs (--wheel-cache); default: a temporary folder. */
  cacheDir?: string;
  /** Called once per note (an upstream that cannot be reached). */
  onNote?: (note: string) => void;
  /** Called after each request the proxy sends upstream (URL without credentials). */
  onUpstream?: (e: { url: string; status?: number; error?: string }) => void;
  /** Idle limit of an upstream request, ms (30 s). */
  upstreamTimeoutMs?: number;
  /**
   * pip's default index, proxied when no index is configured and `noIndex` is not set;
   * false leaves it out. Default https://pypi.org/simple/.
   */
  defaultIndex?: string | false;
}

// --------------------------------------------------------------------------------- responses

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

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** A PEP 503 style page of links; pip reads it as a project page or a find-links page. */
export function linksPage(title: string, names: string[]): string {
  const links = names.map(
    (n) =>
      `<a href="${escapeHtml(n.endsWith("/") ? `${encodeURIComponent(n.slice(0, -1))}/` : encodeURIComponent(n))}">${escapeHtml(n)}</a><br>`,
  );
  return [
    "<!DOCTYPE html>",
    "<html>",
    `<head><meta name="pypi:repository-version" content="1.0"><title>${escapeHtml(title)}</title></head>`,
    "<body>",
    `<h1>${escapeHtml(title)}</h1>`,
    ...links,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** The request path without the query, as sent. */
  urlPath: string;
  /** Decoded path segments after the mount prefix, empty ones removed. */
  segments: string[];
  trailingSlash: boolean;
}

function sendText(ctx: Ctx, status: number, text: string, headers: http.OutgoingHttpHeaders = {}) {
  const body = Buffer.from(text);
  ctx.res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": body.length,
    "X-Content-Type-Options": "nosniff",
    ...headers,
  });
  ctx.res.end(ctx.req.method === "HEAD" ? undefined : body);
}

/** Pages are never cached: a file is served only after its page was (see Scope.linked). */
function sendBody(ctx: Ctx, type: string, body: Buffer) {
  ctx.res.writeHead(200, {
    "Content-Type": type,
    "Content-Length": body.length,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  });
  ctx.res.end(ctx.req.method === "HEAD" ? undefined : body);
}

async function sendFile(ctx: Ctx, file: string) {
  // Opened before the headers go out, so an unreadable file is a clean error status.
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, "r");
  } catch {
    return forbidden(ctx);
  }
  try {
    const { size } = await handle.stat();
    ctx.res.writeHead(200, {
      "Content-Type": contentType(file),
      "Content-Length": size,
      "Accept-Ranges": "none",
      "X-Content-Type-Options": "nosniff",
    });
    if (ctx.req.method === "HEAD") {
      ctx.res.end();
      return;
    }
    await pipeline(handle.createReadStream({ autoClose: false }), ctx.res);
  } finally {
    await handle.close();
  }
}

const notFound = (ctx: Ctx) => sendText(ctx, 404, "not found\n");
const forbidden = (ctx: Ctx) => sendText(ctx, 403, "forbidden\n");

// ------------------------------------------------------------------------------------ mounts

/** One served prefix. */
interface Mount {
  readonly info: MountInfo;
  handle(ctx: Ctx): Promise<void>;
}

/** True when p is root or below it. */
function within(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** What a DirectoryMount serves of its root. */
interface Scope {
  /** Everything under the root (a find-links folder). */
  all: boolean;
  /** First path segments under which everything is served: the index folders ("simple"). */
  open: Set<string>;
  /**
   * Single files, as mount-relative paths: a find-links file, and every file a served index
   * page links to (`../../files/x.whl` and its PEP 658 `.metadata`). The rest of an index's
   * parent folder stays private.
   */
  linked: Set<string>;
}

/** Index pages larger than this are streamed without collecting their links. */
const MAX_PAGE_SCAN = 8 * 1024 * 1024;

/**
 * A directory tree on disk. `indexPages`: a directory's index.html answers for it (PEP 503
 * trees); otherwise a generated page of links. `listDirectories`: generated pages link
 * subdirectories too (find-links pages list files only, as pip reads a folder).
 */
class DirectoryMount implements Mount {
  constructor(
    readonly info: MountInfo,
    /** Real paths a served file may live under (the root, and a symlinked index folder). */
    private readonly allowed: string[],
    private readonly scope: Scope,
    private readonly options: { indexPages: boolean; listDirectories: boolean },
  ) {}

  private allowedPath(real: string): boolean {
    return this.allowed.some((root) => within(root, real));
  }

  private inScope(segments: string[]): boolean {
    if (this.scope.all) return true;
    if (segments.length > 0 && this.scope.open.has(segments[0]!)) return true;
    return this.scope.linked.has(segments.join("/"));
  }

  /** realpath + stat, or undefined when missing; throws EscapeError when outside the roots. */
  private async resolve(
    p: string,
  ): Promise<{ real: string; stat: import("node:fs").Stats } | undefined> {
    let real: string;
    try {
      real = await fsp.realpath(p);
    } catch {
      return undefined;
    }
    if (!this.allowedPath(real)) throw new EscapeError();
    return { real, stat: await fsp.stat(real) };
  }

  async handle(ctx: Ctx): Promise<void> {
    if (!this.inScope(ctx.segments)) return notFound(ctx);
    const target = path.join(this.info.root, ...ctx.segments);
    if (!within(this.info.root, target)) return forbidden(ctx);
    let found;
    try {
      found = await this.resolve(target);
    } catch (err) {
      if (err instanceof EscapeError) return forbidden(ctx);
      throw err;
    }
    if (!found) return notFound(ctx);
    if (found.stat.isFile()) {
      if (ctx.trailingSlash) return notFound(ctx);
      return sendFile(ctx, found.real);
    }
    if (!found.stat.isDirectory()) return notFound(ctx);
    if (!ctx.trailingSlash) {
      // Relative links on the page resolve against the directory only with the slash.
      return sendText(ctx, 301, "moved\n", { Location: `${ctx.urlPath}/` });
    }
    if (this.options.indexPages) {
      let index;
      try {
        index = await this.resolve(path.join(found.real, "index.html"));
      } catch (err) {
        if (!(err instanceof EscapeError)) throw err;
      }
      if (index?.stat.isFile()) {
        if (index.stat.size > MAX_PAGE_SCAN) return sendFile(ctx, index.real);
        const page = await fsp.readFile(index.real);
        this.collectLinks(ctx.segments, page.toString("utf8"));
        return sendBody(ctx, "text/html; charset=utf-8", page);
      }
    }
    const names = await this.list(found.real);
    const title = `Links for ${ctx.segments[ctx.segments.length - 1] ?? this.info.prefix}`;
    return sendBody(ctx, "text/html; charset=utf-8", Buffer.from(linksPage(title, names)));
  }

  /** Adds the files a page at `segments/` links to, inside this mount, to the scope. */
  private collectLinks(segments: string[], html: string): void {
    if (this.scope.all) return;
    const prefix = this.info.prefix; // "/i0/"
    const page = new URL(
      `http://server${prefix}${segments.map((s) => encodeURIComponent(s)).join("/")}/`,
    );
    for (const m of html.matchAll(/\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi)) {
      let url: URL;
      try {
        url = new URL(decodeEntities(m[1] ?? m[2] ?? m[3] ?? ""), page);
      } catch {
        continue;
      }
      if (url.origin !== page.origin || !url.pathname.startsWith(prefix)) continue;
      let rel: string;
      try {
        rel = url.pathname
          .slice(prefix.length)
          .split("/")
          .filter((x) => x !== "")
          .map((x) => decodeURIComponent(x))
          .join("/");
      } catch {
        continue;
      }
      if (rel === "" || this.inScope(rel.split("/"))) continue;
      this.scope.linked.add(rel);
      this.scope.linked.add(`${rel}.metadata`);
    }
  }

  /** Entries a generated page links: no dot files, nothing outside the roots, sorted. */
  private async list(dir: string): Promise<string[]> {
    const names: string[] = [];
    for (const name of (await fsp.readdir(dir)).sort()) {
      if (name.startsWith(".") || name === "index.html") continue;
      let entry;
      try {
        entry = await this.resolve(path.join(dir, name));
      } catch {
        continue;
      }
      if (!entry) continue;
      if (entry.stat.isFile()) names.push(name);
      else if (entry.stat.isDirectory() && this.options.listDirectories) names.push(`${name}/`);
    }
    return names;
  }
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|quot|apos|lt|gt);/gi, (all, e: string) => {
    const named: Record<string, string> = { amp: "&", quot: '"', apos: "'", lt: "<", gt: ">" };
    if (e[0] !== "#") return named[e.toLowerCase()] ?? all;
    const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : all;
  });
}

class EscapeError extends Error {}

// ------------------------------------------------------------------------------------ routing

type Classified = { kind: "local"; path: string } | { kind: "remote"; url: string };

/** A source string: a local path (plain or file://) or a URL the server does not serve. */
function classify(source: string): Classified {
  if (/^file:/i.test(source)) {
    try {
      return { kind: "local", path: path.resolve(fileURLToPath(source)) };
    } catch {
      throw new InputError(
        `package source ${source}: not a local file URL`,
        "write file:///absolute/path (a file URL on another host cannot be served)",
      );
    }
  }
  if (/^https?:\/\//i.test(source)) {
    try {
      new URL(source);
    } catch {
      throw new InputError(`package source ${maskUrl(source)}: not a valid URL`);
    }
    return { kind: "remote", url: source };
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(source)) {
    throw new InputError(
      `package source ${maskUrl(source)}: pip reads only http(s) URLs and local paths`,
    );
  }
  return { kind: "local", path: path.resolve(source) };
}

async function statOrUndefined(p: string) {
  try {
    return await fsp.stat(p);
  } catch {
    return undefined;
  }
}

/** Splits a request target into the mount prefix and decoded segments; undefined when bad. */
function parseTarget(
  raw: string,
):
  | { prefix: string; segments: string[]; trailingSlash: boolean; urlPath: string; query: string }
  | undefined {
  let target = raw;
  const abs = /^https?:\/\/[^/]*/i.exec(target);
  if (abs) target = target.slice(abs[0].length) || "/";
  const urlPath = target.replace(/[?#].*$/s, "");
  const query = /^[^?#]*(\?[^#]*)/s.exec(target)?.[1] ?? "";
  if (!urlPath.startsWith("/")) return undefined;
  const parts = urlPath.split("/").slice(1);
  const prefix = parts.shift() ?? "";
  const trailingSlash = urlPath.endsWith("/");
  const segments: string[] = [];
  for (const part of parts) {
    if (part === "") continue;
    let seg: string;
    try {
      seg = decodeURIComponent(part);
    } catch {
      return undefined;
    }
    // "..", ".", dot files, and anything that would smuggle a separator.
    if (seg.startsWith(".") || /[/\\\0]/.test(seg)) return undefined;
    segments.push(seg);
  }
  return { prefix, segments, trailingSlash, urlPath, query };
}

/**
 * Starts the run's package server on 127.0.0.1 and rewrites the local sources to it.
 * Throws InputError when the index (`indexUrl`) is a local folder that does not exist; missing
 * extra indexes and find-links folders are left out with a warning, as pip skips them.
 */
export async function startIndexServer(
  sources: PackageSources,
  options: IndexServerOptions = {},
): Promise<IndexServer> {
  const host = options.host ?? "127.0.0.1";
  const warnings: string[] = [];
  const notes: string[] = [];
  const proxy = new PackageProxy({
    cacheDir: options.cacheDir,
    timeoutMs: options.upstreamTimeoutMs,
    trustedHosts: sources.trustedHosts,
    caFile: sources.cert,
    onNote: (n) => {
      notes.push(n);
      options.onNote?.(n);
    },
    onUpstream: options.onUpstream,
  });
  await proxy.open();

  // Plan the mounts first (their URLs need the port, known after listen).
  type Planned = {
    kind: "index" | "find-links";
    origin: string;
    root: string;
    /** Path under the prefix the builds use: "simple/" or "" or a file name. */
    entry: string;
    allowed: string[];
    scope: Scope;
  };
  const planned = new Map<string, Planned & { n: number }>();
  let indexCount = 0;
  let linksCount = 0;

  const planIndex = async (
    origin: string,
    required: boolean,
    isDefault = false,
  ): Promise<string | Planned> => {
    const c = classify(origin);
    if (c.kind === "remote") return proxy.addSource(c.url, "index", isDefault);
    const st = await statOrUndefined(c.path);
    if (!st?.isDirectory()) {
      const what = `package index ${origin}: ${st ? "not a directory" : "no such directory"}`;
      if (required) {
        throw new InputError(what, "pass the folder that holds the PEP 503 tree (…/simple)");
      }
      throw new SkipSource(what);
    }
    const root = path.dirname(c.path);
    const allowed = [await fsp.realpath(root), await fsp.realpath(c.path)];
    const base = path.basename(c.path);
    return {
      kind: "index",
      origin,
      root,
      entry: base === "" ? "" : `${base}/`,
      allowed,
      scope: { all: base === "", open: new Set([base]), linked: new Set() },
    };
  };

  const planLinks = async (origin: string): Promise<string | Planned> => {
    const c = classify(origin);
    if (c.kind === "remote") return proxy.addSource(c.url, "find-links");
    const st = await statOrUndefined(c.path);
    if (st?.isDirectory()) {
      return {
        kind: "find-links",
        origin,
        root: c.path,
        entry: "",
        allowed: [await fsp.realpath(c.path)],
        scope: { all: true, open: new Set(), linked: new Set() },
      };
    }
    if (st?.isFile()) {
      const root = path.dirname(c.path);
      return {
        kind: "find-links",
        origin,
        root,
        entry: path.basename(c.path),
        allowed: [await fsp.realpath(root)],
        scope: { all: false, open: new Set(), linked: new Set([path.basename(c.path)]) },
      };
    }
    throw new SkipSource(`find-links ${origin}: no such file or directory`);
  };

  // Each planned source keeps its place; the URL is filled in after listen. A string is the
  // local path of a proxied source ("/r0/simple/").
  type Slot = { proxied: string; origin: string } | { key: string; entry: string; origin: string };
  const slot = (p: string | Planned, origin = ""): Slot => {
    if (typeof p === "string") return { proxied: p, origin };
    const key = `${p.kind}:${p.root}`;
    const known = planned.get(key);
    if (known) {
      // Another source under the same root: widen what the one mount serves.
      known.allowed = unique([...known.allowed, ...p.allowed]);
      known.scope.all ||= p.scope.all;
      for (const x of p.scope.open) known.scope.open.add(x);
      for (const x of p.scope.linked) known.scope.linked.add(x);
    } else {
      const n = p.kind === "index" ? indexCount++ : linksCount++;
      planned.set(key, { ...p, n });
    }
    return { key, entry: p.entry, origin: p.origin };
  };
  const tryPlan = async (
    origin: string,
    f: () => Promise<string | Planned>,
  ): Promise<Slot | undefined> => {
    try {
      return slot(await f(), origin);
    } catch (err) {
      if (err instanceof SkipSource) {
        warnings.push(`${err.message}; left out`);
        return undefined;
      }
      throw err;
    }
  };

  // pip's default index when none is named (and --no-index is not set): proxied like any other.
  const defaultIndex = options.defaultIndex ?? DEFAULT_INDEX;
  const indexSource =
    sources.indexUrl ?? (sources.noIndex || defaultIndex === false ? undefined : defaultIndex);
  let indexSlot: Slot | undefined;
  try {
    indexSlot =
      indexSource === undefined || sources.noIndex
        ? undefined
        : slot(await planIndex(indexSource, true, sources.indexUrl === undefined), indexSource);
  } catch (e) {
    await proxy.close();
    throw e;
  }
  const extraSlots: Slot[] = [];
  const linkSlots: Slot[] = [];
  try {
    for (const u of sources.noIndex ? [] : sources.extraIndexUrls) {
      const s = await tryPlan(u, () => planIndex(u, false));
      if (s) extraSlots.push(s);
    }
    for (const u of sources.findLinks) {
      const s = await tryPlan(u, () => planLinks(u));
      if (s) linkSlots.push(s);
    }
  } catch (e) {
    await proxy.close();
    throw e;
  }

  const mounts = new Map<string, Mount>();
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const ctxPath = req.url ?? "/";
    res.on("finish", () =>
      options.onRequest?.({ method: req.method ?? "", path: ctxPath, status: res.statusCode }),
    );
    void handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
        res.end("internal error\n");
      } else {
        res.destroy();
      }
    });
  });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const t = parseTarget(req.url ?? "/");
    const ctx: Ctx = {
      req,
      res,
      urlPath: t?.urlPath ?? "/",
      segments: t?.segments ?? [],
      trailingSlash: t?.trailingSlash ?? false,
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      return sendText(ctx, 405, "method not allowed\n", { Allow: "GET, HEAD" });
    }
    if (!t) return notFound(ctx);
    const mount = mounts.get(t.prefix);
    if (!mount && proxy.has(t.prefix)) {
      return proxy.handle(t.prefix, t.urlPath.slice(t.prefix.length + 1), t.query, req, res);
    }
    if (!mount) {
      if (t.prefix === "" && t.segments.length === 0) {
        const names = [...mounts.keys()].map((k) => `${k}/`);
        return sendBody(
          ctx,
          "text/html; charset=utf-8",
          Buffer.from(linksPage("shrinkbench package server", names)),
        );
      }
      return notFound(ctx);
    }
    if (t.segments.length === 0 && !t.urlPath.endsWith("/")) {
      return sendText(ctx, 301, "moved\n", { Location: `${t.urlPath}/` });
    }
    return mount.handle(ctx);
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => {
      void proxy.close();
      reject(e);
    });
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const base = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  const infos: MountInfo[] = [];
  const prefixOfKey = new Map<string, string>();
  for (const [key, p] of planned) {
    const prefix = `${p.kind === "index" ? "i" : "f"}${p.n}`;
    prefixOfKey.set(key, prefix);
    const info: MountInfo = { prefix: `/${prefix}/`, kind: p.kind, origin: p.origin, root: p.root };
    infos.push(info);
    mounts.set(
      prefix,
      new DirectoryMount(info, p.allowed, p.scope, {
        indexPages: p.kind === "index",
        listDirectories: p.kind === "index",
      }),
    );
  }
  const rewrites: { from: string; to: string }[] = [];
  const urlOf = (s: Slot): string => {
    if ("proxied" in s) {
      const to = `${base}${s.proxied}`;
      if (!rewrites.some((r) => r.to === to)) rewrites.push({ from: maskUrl(s.origin), to });
      return to;
    }
    const to = `${base}/${prefixOfKey.get(s.key)!}/${encodeEntry(s.entry)}`;
    if (!rewrites.some((r) => r.from === s.origin)) rewrites.push({ from: s.origin, to });
    return to;
  };

  const indexUrl = indexSlot && urlOf(indexSlot);
  // Every source is on this server now: no host needs trusting inside the builds.
  const rewritten: PackageSources = {
    extraIndexUrls: unique(extraSlots.map(urlOf)).filter((u) => u !== indexUrl),
    findLinks: unique(linkSlots.map(urlOf)),
    trustedHosts: [],
  };
  if (indexUrl !== undefined) rewritten.indexUrl = indexUrl;
  if (sources.noIndex) rewritten.noIndex = true;
  for (const m of proxy.mounts()) {
    infos.push({ prefix: `/${m.prefix}/`, kind: "proxy", origin: m.origin, root: m.origin });
  }

  let closing: Promise<void> | undefined;
  return {
    sources: rewritten,
    url: base,
    mounts: infos,
    rewrites,
    warnings,
    get requests() {
      return requests;
    },
    get proxy() {
      return { ...proxy.stats };
    },
    notes,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }).finally(() => proxy.close());
      return closing;
    },
  };
}

class SkipSource extends Error {}

function encodeEntry(entry: string): string {
  return entry
    .split("/")
    .map((s) => encodeURIComponent(s))
    .join("/");
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
