// Which HTTP proxy the package server goes through to reach an upstream URL, as pip does
// (requests' environment proxies): pip's own `proxy` option when set, else `https_proxy` or
// `http_proxy` by the URL's scheme, else `all_proxy` (lowercase names before uppercase), unless
// `no_proxy` names the host. Pure: the URL and the variables in, a proxy URL (or none) out.

export type ProxyEnv = Record<string, string | undefined>;

function variable(env: ProxyEnv, name: string): string | undefined {
  const v = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return v?.trim() ? v.trim() : undefined;
}

function ipv4(host: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  const parts = m?.slice(1).map(Number);
  return parts && parts.every((n) => n <= 255) ? parts : undefined;
}

function inCidr(ip: number[], cidr: string): boolean {
  const [net, bitsText] = cidr.split("/");
  const base = ipv4(net ?? "");
  const bits = Number(bitsText);
  if (!base || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const block = (p: number[]) => Math.floor(p.reduce((n, x) => n * 256 + x, 0) / 2 ** (32 - bits));
  return block(ip) === block(base);
}

/**
 * Whether `no_proxy` exempts the URL: `*` exempts all; an IPv4 host matches an address or a
 * CIDR block; a name matches an entry it ends with (`example.com` and `.example.com` both cover
 * `pypi.example.com`), with or without the URL's port, as requests does.
 */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const entries = noProxy
    .replace(/\s/g, "")
    .split(",")
    .filter((e) => e !== "");
  if (entries.includes("*")) return true;
  const host = target.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const ip = ipv4(host);
  if (ip) return entries.some((e) => (e.includes("/") ? inCidr(ip, e) : e === host));
  const withPort = target.port ? `${host}:${target.port}` : host;
  return entries.some((e) => {
    const entry = e.toLowerCase();
    return host.endsWith(entry) || withPort.endsWith(entry);
  });
}

/**
 * The proxy for an upstream URL, or undefined to connect directly. `pipProxy` is pip's `proxy`
 * option (PIP_PROXY, `pip config`): pip hands it to both schemes, and no_proxy still applies.
 */
export function proxyFor(target: URL, env: ProxyEnv, pipProxy?: string): URL | undefined {
  if (bypassesProxy(target, variable(env, "no_proxy"))) return undefined;
  const scheme = target.protocol === "https:" ? "https_proxy" : "http_proxy";
  const chosen = pipProxy?.trim() || variable(env, scheme) || variable(env, "all_proxy");
  if (!chosen) return undefined;
  // requests reads a proxy without a scheme as http://.
  const proxy = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(chosen) ? chosen : `http://${chosen}`);
  if (proxy.protocol !== "http:" && proxy.protocol !== "https:")
    throw new Error(`proxy ${proxy.protocol}// is not supported: use an http:// or https:// proxy`);
  return proxy;
}

/**
 * `no_proxy` with the loopback added, for a pip this machine runs against the run's package
 * server on 127.0.0.1: with https_proxy set and no exemption, pip would ask the proxy for it.
 */
export function noProxyWithLoopback(noProxy: string | undefined): string {
  const entries = (noProxy ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  for (const loopback of ["127.0.0.1", "localhost", "::1"])
    if (!entries.includes(loopback)) entries.push(loopback);
  return entries.join(",");
}
