import { describe, expect, it } from "vitest";
import { bypassesProxy, noProxyWithLoopback, proxyFor } from "../../src/packages/outbound-proxy.js";

const u = (s: string) => new URL(s);

describe("proxyFor", () => {
  it("picks the variable of the URL's scheme, lowercase before uppercase, else all_proxy", () => {
    const env = {
      https_proxy: "http://lower:3128",
      HTTPS_PROXY: "http://upper:3128",
      HTTP_PROXY: "http://plain:8080",
      ALL_PROXY: "http://all:1",
    };
    expect(proxyFor(u("https://pypi.org/simple/"), env)?.href).toBe("http://lower:3128/");
    expect(proxyFor(u("http://mirror.example/simple/"), env)?.href).toBe("http://plain:8080/");
    expect(proxyFor(u("http://mirror.example/"), { all_proxy: "http://all:1" })?.href).toBe(
      "http://all:1/",
    );
    expect(proxyFor(u("https://pypi.org/"), {})).toBeUndefined();
    expect(proxyFor(u("https://pypi.org/"), { HTTPS_PROXY: "  " })).toBeUndefined();
  });

  it("reads a proxy without a scheme as http://, lets pip's proxy option win, refuses socks", () => {
    expect(proxyFor(u("https://pypi.org/"), { HTTPS_PROXY: "proxy.corp:3128" })?.href).toBe(
      "http://proxy.corp:3128/",
    );
    expect(
      proxyFor(u("https://pypi.org/"), { HTTPS_PROXY: "http://env:1" }, "http://pip:2")?.href,
    ).toBe("http://pip:2/");
    expect(() => proxyFor(u("https://pypi.org/"), { HTTPS_PROXY: "socks5://s:1080" })).toThrow(
      /socks5:\/\/ is not supported: use an http:\/\/ or https:\/\/ proxy/,
    );
  });

  it("skips the proxy for what no_proxy names, pip's proxy option included", () => {
    const env = { HTTPS_PROXY: "http://p:1", NO_PROXY: "internal.example, .corp" };
    expect(proxyFor(u("https://pypi.internal.example/"), env)).toBeUndefined();
    expect(proxyFor(u("https://idx.corp/"), env, "http://pip:2")).toBeUndefined();
    expect(proxyFor(u("https://pypi.org/"), env)?.host).toBe("p:1");
  });
});

describe("bypassesProxy", () => {
  it("matches names by suffix, with or without the port, and * as everything", () => {
    expect(bypassesProxy(u("https://a.example.com/"), "example.com")).toBe(true);
    expect(bypassesProxy(u("https://a.example.com/"), ".example.com")).toBe(true);
    expect(bypassesProxy(u("https://A.Example.com/"), "EXAMPLE.COM")).toBe(true);
    expect(bypassesProxy(u("https://a.example.com:8443/"), "example.com:8443")).toBe(true);
    expect(bypassesProxy(u("https://a.example.com/"), "example.org")).toBe(false);
    expect(bypassesProxy(u("https://pypi.org/"), "*")).toBe(true);
    expect(bypassesProxy(u("https://pypi.org/"), undefined)).toBe(false);
  });

  it("matches IPv4 hosts by address or CIDR block, never by suffix", () => {
    expect(bypassesProxy(u("http://10.1.2.3/"), "10.0.0.0/8")).toBe(true);
    expect(bypassesProxy(u("http://10.1.2.3/"), "10.1.2.3")).toBe(true);
    expect(bypassesProxy(u("http://11.1.2.3/"), "10.0.0.0/8")).toBe(false);
    expect(bypassesProxy(u("http://192.168.1.200/"), "192.168.1.128/25")).toBe(true);
    expect(bypassesProxy(u("http://192.168.1.100/"), "192.168.1.128/25")).toBe(false);
    expect(bypassesProxy(u("http://10.1.2.3/"), "2.3")).toBe(false);
    expect(bypassesProxy(u("http://127.0.0.1:8080/"), "0.0.0.0/0")).toBe(true);
  });
});

describe("noProxyWithLoopback", () => {
  it("adds the loopback once, keeping what was there", () => {
    expect(noProxyWithLoopback(undefined)).toBe("127.0.0.1,localhost,::1");
    expect(noProxyWithLoopback(" .corp, localhost ")).toBe(".corp,localhost,127.0.0.1,::1");
    const env = { HTTP_PROXY: "http://p:1", NO_PROXY: noProxyWithLoopback(".corp") };
    expect(proxyFor(new URL("http://127.0.0.1:8080/simple/"), env)).toBeUndefined();
  });
});
