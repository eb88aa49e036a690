import { createHash } from "node:crypto";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { DEFAULT_HOST, endpointFromHost, resolveEndpoint } from "../../src/docker/endpoint.js";
import { InputError } from "../../src/errors.js";

const CONFIG = "/home/u/.docker";

/** A fake file system for `read`: path → text; absent paths read as undefined. */
function files(map: Record<string, string> = {}): (p: string) => string | undefined {
  return (p) => map[p];
}

const contextId = (name: string) => createHash("sha256").update(name).digest("hex");
const metaPath = (name: string, dir = CONFIG) =>
  join(dir, "contexts", "meta", contextId(name), "meta.json");
const tlsPath = (name: string, file: string, dir = CONFIG) =>
  join(dir, "contexts", "tls", contextId(name), "docker", file);
const meta = (name: string, host: string) =>
  JSON.stringify({
    Name: name,
    Metadata: {},
    Endpoints: { docker: { Host: host, SkipTLSVerify: false } },
  });

/** env with DOCKER_CONFIG pointing at the fake config folder. */
const env = (more: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  DOCKER_CONFIG: CONFIG,
  ...more,
});

const CERTS = {
  "/certs/ca.pem": "CA",
  "/certs/cert.pem": "CERT",
  "/certs/key.pem": "KEY",
};

describe("resolveEndpoint", () => {
  it("uses the default socket when nothing is set", () => {
    const e = resolveEndpoint(undefined, env(), files());
    expect(e).toEqual({
      host: DEFAULT_HOST,
      from: "the default socket",
      modem: { socketPath: "/var/run/docker.sock" },
    });
  });

  it("lets --docker-host win over everything", () => {
    const read = files({ [metaPath("remote")]: meta("remote", "tcp://ctx:2375") });
    const e = resolveEndpoint(
      "unix:///run/user/1000/docker.sock",
      env({ DOCKER_HOST: "tcp://envhost:2375", DOCKER_CONTEXT: "remote" }),
      read,
    );
    expect(e.from).toBe("--docker-host");
    expect(e.modem).toEqual({ socketPath: "/run/user/1000/docker.sock" });
  });

  it("uses DOCKER_HOST over a docker context, as the docker CLI does", () => {
    const read = files({ [metaPath("remote")]: meta("remote", "tcp://ctx:2375") });
    const e = resolveEndpoint(
      undefined,
      env({ DOCKER_HOST: "tcp://envhost:2375", DOCKER_CONTEXT: "remote" }),
      read,
    );
    expect(e.from).toBe("DOCKER_HOST");
    expect(e.modem).toEqual({ protocol: "http", host: "envhost", port: 2375 });
  });

  it("reads DOCKER_CONTEXT's meta.json at contexts/meta/<sha256(name)>/meta.json", () => {
    const read = files({ [metaPath("remote")]: meta("remote", "ssh://me@builder:2222") });
    const e = resolveEndpoint(undefined, env({ DOCKER_CONTEXT: "remote" }), read);
    expect(e.host).toBe("ssh://me@builder:2222");
    expect(e.from).toBe('DOCKER_CONTEXT (context "remote")');
    expect(e.modem).toEqual({ protocol: "ssh", host: "builder", port: 2222, username: "me" });
  });

  it("uses the current context from config.json", () => {
    const read = files({
      [join(CONFIG, "config.json")]: JSON.stringify({ auths: {}, currentContext: "rootless" }),
      [metaPath("rootless")]: meta("rootless", "unix:///run/user/1000/docker.sock"),
    });
    const e = resolveEndpoint(undefined, env(), read);
    expect(e.modem).toEqual({ socketPath: "/run/user/1000/docker.sock" });
    expect(e.from).toBe(`currentContext in ${join(CONFIG, "config.json")} (context "rootless")`);
  });

  it("prefers DOCKER_CONTEXT to the current context", () => {
    const read = files({
      [join(CONFIG, "config.json")]: JSON.stringify({ currentContext: "a" }),
      [metaPath("a")]: meta("a", "unix:///a.sock"),
      [metaPath("b")]: meta("b", "unix:///b.sock"),
    });
    expect(resolveEndpoint(undefined, env({ DOCKER_CONTEXT: "b" }), read).modem.socketPath).toBe(
      "/b.sock",
    );
  });

  it("treats the context named default as the default socket", () => {
    const e = resolveEndpoint(undefined, env({ DOCKER_CONTEXT: "default" }), files());
    expect(e.host).toBe(DEFAULT_HOST);
  });

  it("falls back to the default socket for a config.json without a current context, or unreadable", () => {
    for (const text of ["{}", "not json", "null", '{"currentContext": 42}']) {
      const e = resolveEndpoint(undefined, env(), files({ [join(CONFIG, "config.json")]: text }));
      expect(e.host).toBe(DEFAULT_HOST);
    }
  });

  it("looks in ~/.docker without DOCKER_CONFIG", () => {
    const seen: string[] = [];
    resolveEndpoint(undefined, {}, (p) => {
      seen.push(p);
      return undefined;
    });
    expect(seen).toEqual([expect.stringMatching(/\.docker\/config\.json$/)]);
  });

  it("refuses a context that does not exist, naming where it looked", () => {
    const call = () => resolveEndpoint(undefined, env({ DOCKER_CONTEXT: "nope" }), files());
    expect(call).toThrow(InputError);
    expect(call).toThrow(`docker context "nope" not found (looked for ${metaPath("nope")})`);
  });

  it("refuses a context whose meta.json is not JSON with an InputError", () => {
    const call = () =>
      resolveEndpoint(undefined, env({ DOCKER_CONTEXT: "x" }), files({ [metaPath("x")]: "{" }));
    expect(call).toThrow(InputError);
    expect(call).toThrow(/docker context "x": .*meta\.json is not valid JSON/);
  });

  it("uses the TLS files a context stores", () => {
    const read = files({
      [metaPath("remote")]: meta("remote", "tcp://ctx.example:2376"),
      [tlsPath("remote", "ca.pem")]: "CA",
      [tlsPath("remote", "cert.pem")]: "CERT",
      [tlsPath("remote", "key.pem")]: "KEY",
    });
    const e = resolveEndpoint(undefined, env({ DOCKER_CONTEXT: "remote" }), read);
    expect(e.modem).toEqual({
      protocol: "https",
      host: "ctx.example",
      port: 2376,
      ca: Buffer.from("CA"),
      cert: Buffer.from("CERT"),
      key: Buffer.from("KEY"),
    });
  });

  it("speaks plain http to a tcp context without TLS files, whatever DOCKER_TLS_VERIFY says", () => {
    const read = files({ [metaPath("plain")]: meta("plain", "tcp://ctx:2375") });
    const e = resolveEndpoint(
      undefined,
      env({ DOCKER_CONTEXT: "plain", DOCKER_TLS_VERIFY: "1" }),
      read,
    );
    expect(e.modem).toEqual({ protocol: "http", host: "ctx", port: 2375 });
  });

  describe("tcp", () => {
    it("is plain http on 2375 by default", () => {
      expect(
        resolveEndpoint(undefined, env({ DOCKER_HOST: "tcp://10.0.0.5" }), files()).modem,
      ).toEqual({
        protocol: "http",
        host: "10.0.0.5",
        port: 2375,
      });
    });

    it("needs the certificates when DOCKER_TLS_VERIFY is set", () => {
      const e = resolveEndpoint(
        undefined,
        env({ DOCKER_HOST: "tcp://h", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/certs" }),
        files(CERTS),
      );
      expect(e.modem).toEqual({
        protocol: "https",
        host: "h",
        port: 2376,
        ca: Buffer.from("CA"),
        cert: Buffer.from("CERT"),
        key: Buffer.from("KEY"),
      });
    });

    it("turns TLS on for any non-empty DOCKER_TLS_VERIFY, as the docker CLI does", () => {
      for (const v of ["1", "true", "0"]) {
        const e = resolveEndpoint(
          undefined,
          env({ DOCKER_HOST: "tcp://h:2376", DOCKER_TLS_VERIFY: v, DOCKER_CERT_PATH: "/certs" }),
          files(CERTS),
        );
        expect(e.modem.protocol).toBe("https");
      }
      expect(
        resolveEndpoint(
          undefined,
          env({ DOCKER_HOST: "tcp://h:2376", DOCKER_TLS_VERIFY: "" }),
          files(),
        ).modem.protocol,
      ).toBe("http");
    });

    it("fails with an InputError naming the folder when the certificates are missing", () => {
      const call = () =>
        resolveEndpoint(
          undefined,
          env({ DOCKER_HOST: "tcp://h", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/nowhere" }),
          files(),
        );
      expect(call).toThrow(InputError);
      expect(call).toThrow(
        /^DOCKER_HOST: TLS is on for tcp:\/\/h but the certificates in \/nowhere cannot be read/,
      );
    });

    it("looks for certificates in the docker config folder without DOCKER_CERT_PATH", () => {
      const read = files({
        [join(CONFIG, "ca.pem")]: "CA",
        [join(CONFIG, "cert.pem")]: "CERT",
        [join(CONFIG, "key.pem")]: "KEY",
      });
      const e = resolveEndpoint(
        undefined,
        env({ DOCKER_HOST: "tcp://h", DOCKER_TLS_VERIFY: "1" }),
        read,
      );
      expect(e.modem.ca).toEqual(Buffer.from("CA"));
    });

    it("is TLS for https:// and keeps an explicit port", () => {
      const e = endpointFromHost("https://h:9999", "test", { DOCKER_CERT_PATH: "/certs" }, (p) =>
        Buffer.from(CERTS[p as keyof typeof CERTS] ?? ""),
      );
      expect(e.modem).toMatchObject({ protocol: "https", host: "h", port: 9999 });
    });
  });

  it("reads ssh:// with user and default port 22", () => {
    expect(resolveEndpoint("ssh://builder", env(), files()).modem).toEqual({
      protocol: "ssh",
      host: "builder",
      port: 22,
      username: undefined,
    });
  });

  it("passes the ssh agent (SSH_AUTH_SOCK) to ssh engines from a flag, DOCKER_HOST and a context", () => {
    const agent = { SSH_AUTH_SOCK: "/tmp/ssh-XYZ/agent.1" };
    const read = files({ [metaPath("remote")]: meta("remote", "ssh://ci@build2:2222") });
    const sources = [
      resolveEndpoint("ssh://builder", env(agent), read),
      resolveEndpoint(undefined, env({ ...agent, DOCKER_HOST: "ssh://builder" }), read),
      resolveEndpoint(undefined, env({ ...agent, DOCKER_CONTEXT: "remote" }), read),
      resolveEndpoint({ context: "remote" }, env(agent), read),
      endpointFromHost("ssh://builder", "config: engines[0]", env(agent)),
    ];
    for (const e of sources) expect(e.modem.sshOptions).toEqual({ agent: agent.SSH_AUTH_SOCK });
    expect(sources[3]!.modem).toMatchObject({ host: "build2", port: 2222, username: "ci" });
    // No agent in the environment: none is passed (ssh2 would try to open "undefined").
    expect(resolveEndpoint("ssh://builder", env(), read).modem.sshOptions).toBeUndefined();
    // Only ssh engines get it.
    expect(resolveEndpoint("tcp://h:2375", env(agent), read).modem.sshOptions).toBeUndefined();
  });

  describe("--context NAME", () => {
    const read = files({ [metaPath("remote")]: meta("remote", "tcp://ctx:2375") });

    it("selects that context over DOCKER_HOST and DOCKER_CONTEXT, as docker --context does", () => {
      const e = resolveEndpoint(
        { context: "remote" },
        env({ DOCKER_HOST: "tcp://envhost:2375", DOCKER_CONTEXT: "other" }),
        read,
      );
      expect(e).toMatchObject({ host: "tcp://ctx:2375", from: "--context remote" });
    });

    it("default is DOCKER_HOST, else the default socket", () => {
      expect(resolveEndpoint({ context: "default" }, env(), read).host).toBe(DEFAULT_HOST);
      expect(
        resolveEndpoint({ context: "default" }, env({ DOCKER_HOST: "tcp://e:2375" }), read).host,
      ).toBe("tcp://e:2375");
    });

    it("refuses a context that does not exist, and --docker-host with --context", () => {
      expect(() => resolveEndpoint({ context: "nope" }, env(), read)).toThrow(
        /docker context "nope" not found/,
      );
      expect(() =>
        resolveEndpoint({ host: "tcp://h:2375", context: "remote" }, env(), read),
      ).toThrow(/--docker-host and --context both given/);
    });
  });

  it.each([
    ["npipe:////./pipe/docker_engine", /unsupported scheme "npipe:"/],
    ["ftp://h", /unsupported scheme "ftp:"/],
    ["not a url", /"not a url" is not a Docker host/],
    ["unix://", /names no socket/],
  ])("refuses %s with an InputError", (host, message) => {
    expect(() => resolveEndpoint(host, env(), files())).toThrow(InputError);
    expect(() => resolveEndpoint(host, env(), files())).toThrow(message);
  });

  it("names where a bad host came from", () => {
    expect(() => resolveEndpoint(undefined, env({ DOCKER_HOST: "ftp://h" }), files())).toThrow(
      /^DOCKER_HOST: /,
    );
    expect(() => resolveEndpoint("ftp://h", env(), files())).toThrow(/^--docker-host: /);
  });
});
