// The run's package server: serves the local package sources (a PEP 503 tree on disk, a
// wheelhouse folder) over HTTP on 127.0.0.1 for the duration of a run, so that pip inside a
// host-network build can reach them. Users with an offline wheelhouse or a mirror on disk need
// exactly this; the builds never see a host path. This file holds the server's lifecycle and
// its routing; the parts live beside it:
//
// - mount-plan.ts: which mount serves each source. An index given as `file:///srv/pypi/simple`
//   (or a plain path) is served as `http://127.0.0.1:PORT/i<N>/simple/` (the prefix mirrors
//   the directory that *contains* `simple/`, so relative links such as `../../files/x.whl`
//   resolve); a find-links folder as `/f<N>/`, a find-links file as `/f<N>/<name>`.
// - directory-mount.ts: serving a folder (index.html pages, generated pages of links, files a
//   served page links to, nothing else).
// - proxy.ts: a remote http(s) index or find-links URL, served as `/r<N>/<its path>` with
//   credentials kept on the host and each file fetched once per run. With no index configured
//   and no --no-index, pip's default index (PyPI) is proxied too, so that an unreachable PyPI
//   answers 404 at once instead of pip retrying it for every package.
// - direct-file-mount.ts: package files named by direct references in the requirements (a wheel
//   on disk, `name @ https://…/x.whl`), each as `/d<N>/<file name>`.
//
// Only GET and HEAD; `..`, encoded or not, dot files and symlinks leading out of a mount's
// root are refused.

import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { DirectFile } from "../requirements/direct-files.js";
import type { PackageSources } from "../types.js";
import { DirectFileMount } from "./direct-file-mount.js";
import type { DirectoryMount, MountInfo } from "./directory-mount.js";
import { linksPage } from "./links-page.js";
import { MountPlan } from "./mount-plan.js";
import { DEFAULT_INDEX, PackageProxy, type ProxyStats } from "./proxy.js";
import { parseTarget } from "./request-target.js";
import { HTML, notFound, sendPage, sendText } from "./responses.js";
import type { ProxyEnv } from "./outbound-proxy.js";

export type { MountInfo } from "./directory-mount.js";

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
  /** The URL the builds fetch a direct file reference from (options.directFiles). */
  urlOf(file: DirectFile): string | undefined;
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
  /** Package files named by direct references, served as `/d<N>/<file name>`. */
  directFiles?: readonly DirectFile[];
  /** The variables naming an HTTP proxy for upstream requests (https_proxy, ...); default: this process's. */
  proxyEnv?: ProxyEnv;
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
  const notes: string[] = [];
  const proxy = new PackageProxy({
    cacheDir: options.cacheDir,
    timeoutMs: options.upstreamTimeoutMs,
    trustedHosts: sources.trustedHosts,
    caFile: sources.cert,
    netrcFile: sources.netrc,
    proxyEnv: options.proxyEnv ?? process.env,
    ...(sources.proxy ? { pipProxy: sources.proxy } : {}),
    onNote: (n) => {
      notes.push(n);
      options.onNote?.(n);
    },
    onUpstream: options.onUpstream,
  });
  await proxy.open();

  // Planned first: the mounts' URLs need the port, known after listen.
  let plan: MountPlan;
  try {
    plan = await MountPlan.of(sources, proxy, options.defaultIndex ?? DEFAULT_INDEX);
  } catch (e) {
    await proxy.close();
    throw e;
  }

  const direct = new DirectFileMount(options.directFiles ?? [], proxy);
  let mounts = new Map<string, DirectoryMount>();
  let requests = 0;
  const route = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const t = parseTarget(req.url ?? "/");
    if (req.method !== "GET" && req.method !== "HEAD") {
      return sendText(req, res, 405, "method not allowed\n", { Allow: "GET, HEAD" });
    }
    if (!t) return notFound(req, res);
    if (direct.has(t.prefix)) return direct.handle(t.prefix, t.segments, req, res);
    const mount = mounts.get(t.prefix);
    if (!mount && proxy.has(t.prefix)) {
      return proxy.handle(t.prefix, t.urlPath.slice(t.prefix.length + 1), t.query, req, res);
    }
    if (!mount) {
      if (t.prefix === "" && t.segments.length === 0) {
        const names = [...mounts.keys()].map((k) => `${k}/`);
        const page = linksPage("shrinkbench package server", names);
        return sendPage(req, res, HTML, Buffer.from(page));
      }
      return notFound(req, res);
    }
    if (t.segments.length === 0 && !t.urlPath.endsWith("/")) {
      return sendText(req, res, 301, "moved\n", { Location: `${t.urlPath}/` });
    }
    return mount.handle({ req, res, ...t });
  };
  const server = http.createServer((req, res) => {
    requests++;
    const ctxPath = req.url ?? "/";
    res.on("finish", () =>
      options.onRequest?.({ method: req.method ?? "", path: ctxPath, status: res.statusCode }),
    );
    void route(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
        res.end("internal error\n");
      } else {
        res.destroy();
      }
    });
  });

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
  const resolved = plan.resolve(base, proxy.mounts());
  mounts = resolved.mounts;

  let closing: Promise<void> | undefined;
  return {
    sources: resolved.sources,
    url: base,
    mounts: resolved.infos,
    rewrites: resolved.rewrites,
    warnings: plan.warnings,
    get requests() {
      return requests;
    },
    urlOf(file) {
      const p = direct.pathOf(file);
      return p === undefined ? undefined : `${base}${p}`;
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
