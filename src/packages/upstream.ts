// The proxy's upstream fetcher: GETs to remote indexes with the user's credentials added on
// this host (and only ever sent to their own origin, redirects included), pip's trusted hosts
// and CA bundle honoured, an idle timeout, and an origin that cannot be reached marked down for
// the rest of the run so every later request fails at once.

import * as fsp from "node:fs/promises";
import * as http from "node:http";
import * as https from "node:https";
import type { Readable } from "node:stream";
import * as zlib from "node:zlib";
import { netrcAuthorization, parseNetrc, type Netrc } from "./netrc.js";
import { proxyFor, type ProxyEnv } from "./outbound-proxy.js";
import { TunnelAgent } from "./tunnel-agent.js";
import { maskUrl } from "./pip-sources.js";

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

export function errorCode(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return err.code ?? err.message ?? String(e);
}

/** Upstream could not be reached; the origin is marked down for the run. */
export class UpstreamDown extends Error {}

export interface UpstreamOptions {
  /** Idle limit of an upstream request (connect, headers, body), ms. */
  timeoutMs?: number;
  /** Hosts whose TLS certificate is not verified (pip's --trusted-host). */
  trustedHosts?: string[];
  /** CA bundle (PEM file) upstream TLS is verified with, as pip's `cert`; default: Node's. */
  caFile?: string;
  /** The host's .netrc: credentials for hosts whose sources carry none (netrc.ts). */
  netrcFile?: string;
  /** The variables that name an HTTP proxy (https_proxy, no_proxy, ...); default: none. */
  proxyEnv?: ProxyEnv;
  /** pip's own `proxy` option, which wins over the variables (outbound-proxy.ts). */
  pipProxy?: string;
  /** Called once per note (a CA bundle that cannot be read, an origin that is down). */
  onNote?: (note: string) => void;
  /** Called after each request sent upstream; the URL carries no credentials. */
  onUpstream?: (e: { url: string; status?: number; error?: string }) => void;
  /** How notes name an origin (the source as configured, masked). */
  labelOf?: (origin: string) => string | undefined;
}

interface Credential {
  /** Source URL without credentials: requests below it get this Authorization. */
  base: string;
  origin: string;
  authorization: string;
}

export class UpstreamClient {
  /** Requests sent (redirect hops included). */
  requests = 0;
  private readonly credentials: Credential[] = [];
  private netrc: Netrc | undefined;
  private readonly down = new Map<string, string>();
  private readonly active = new Set<http.ClientRequest>();
  private agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 8 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 8 }),
    insecure: new https.Agent({ keepAlive: true, maxSockets: 8, rejectUnauthorized: false }),
  };
  private readonly trusted: Set<string>;
  /** CONNECT-tunnel agents, by proxy and certificate checking. */
  private readonly tunnels = new Map<string, TunnelAgent>();
  private ca: Buffer | undefined;
  private closed = false;

  constructor(private readonly options: UpstreamOptions = {}) {
    this.trusted = new Set((options.trustedHosts ?? []).map((h) => h.toLowerCase()));
  }

  /**
   * Reads the CA bundle and the .netrc. A CA bundle that cannot be read is a note, and Node's CA
   * list is used; so is a .netrc that exists and cannot be read (none at all is the usual case).
   */
  async open(): Promise<void> {
    await this.readNetrc();
    if (!this.options.caFile) return;
    try {
      const ca = await fsp.readFile(this.options.caFile);
      this.agents.https.destroy();
      this.agents.https = new https.Agent({ keepAlive: true, maxSockets: 8, ca });
      this.ca = ca;
    } catch (e) {
      this.options.onNote?.(
        `pip's cert ${this.options.caFile} cannot be read (${errorCode(e)}): https indexes are verified with Node's own CA list`,
      );
    }
  }

  private async readNetrc(): Promise<void> {
    const file = this.options.netrcFile;
    if (!file) return;
    try {
      this.netrc = parseNetrc(await fsp.readFile(file, "utf8"));
    } catch (e) {
      if (errorCode(e) !== "ENOENT")
        this.options.onNote?.(
          `${file} cannot be read (${errorCode(e)}): indexes get no credentials from it`,
        );
    }
  }

  /** Requests at or below `base` (a URL without credentials) carry this Authorization. */
  addCredential(base: string, origin: string, authorization: string): void {
    this.credentials.push({ base, origin, authorization });
  }

  /** Why the origin is down, or undefined when it is not known to be. */
  downReason(origin: string): string | undefined {
    return this.down.get(origin);
  }

  private authorizationFor(u: URL): string | undefined {
    const href = u.href;
    const byPath = this.credentials.find((c) => href.startsWith(c.base));
    const byOrigin = byPath ?? this.credentials.find((c) => c.origin === u.origin);
    // As pip: a URL's own credentials first, else the .netrc's for the host (redirects too).
    return byOrigin?.authorization ?? (this.netrc && netrcAuthorization(this.netrc, u.hostname));
  }

  /** GET with redirects followed (credentials only ever sent to their own origin). */
  async get(
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
    this.requests++;
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
    const label = this.options.labelOf?.(origin) ?? origin;
    this.options.onNote?.(
      `${label} cannot be reached (${code}): the package server answers 404 for it for the rest of the run, so pip moves on to the other sources at once`,
    );
  }

  private request(
    u: URL,
    headers: Record<string, string>,
    insecure: boolean,
  ): Promise<http.IncomingMessage> {
    const timeout = this.options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const req = this.send(u, headers, insecure, timeout, (res) => {
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

  /** The GET for `u`: direct, or through the proxy outbound-proxy.ts picks for it. */
  private send(
    u: URL,
    headers: Record<string, string>,
    insecure: boolean,
    timeoutMs: number,
    onResponse: (res: http.IncomingMessage) => void,
  ): http.ClientRequest {
    const secure = u.protocol === "https:";
    const proxy = proxyFor(u, this.options.proxyEnv ?? {}, this.options.pipProxy);
    if (proxy && !secure) {
      // Plain http through the proxy: the request line names the whole URL.
      const auth = splitCredentials(proxy.href).authorization;
      const tlsToProxy = proxy.protocol === "https:";
      return (tlsToProxy ? https : http).request(
        {
          hostname: proxy.hostname,
          port: proxy.port || (tlsToProxy ? 443 : 80),
          path: u.href,
          method: "GET",
          headers: { ...headers, Host: u.host, ...(auth ? { "Proxy-Authorization": auth } : {}) },
          agent: tlsToProxy ? this.agents.https : this.agents.http,
        },
        onResponse,
      );
    }
    const agent = proxy
      ? this.tunnel(proxy, insecure, timeoutMs)
      : secure
        ? insecure
          ? this.agents.insecure
          : this.agents.https
        : this.agents.http;
    return (secure ? https : http).request(u, { method: "GET", headers, agent }, onResponse);
  }

  private tunnel(proxy: URL, insecure: boolean, timeoutMs: number): TunnelAgent {
    const key = `${proxy.href} ${insecure}`;
    let agent = this.tunnels.get(key);
    if (!agent) {
      agent = new TunnelAgent(
        proxy,
        maskUrl(proxy.href).replace(/\/$/, ""),
        splitCredentials(proxy.href).authorization,
        timeoutMs,
        {
          keepAlive: true,
          maxSockets: 8,
          ...(insecure ? { rejectUnauthorized: false } : this.ca ? { ca: this.ca } : {}),
        },
      );
      this.tunnels.set(key, agent);
    }
    return agent;
  }

  /** Aborts requests in flight; every later get fails. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.active) r.destroy();
    for (const a of [...Object.values(this.agents), ...this.tunnels.values()]) a.destroy();
  }
}

/** The body with its content encoding undone. */
export function decoded(res: http.IncomingMessage): Readable {
  const enc = String(res.headers["content-encoding"] ?? "").toLowerCase();
  if (enc === "gzip" || enc === "x-gzip") return res.pipe(zlib.createGunzip());
  if (enc === "deflate") return res.pipe(zlib.createInflate());
  if (enc === "br") return res.pipe(zlib.createBrotliDecompress());
  return res;
}

/** The whole body, refused past `limit` bytes. */
export async function readAll(stream: Readable, limit: number): Promise<Buffer> {
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
