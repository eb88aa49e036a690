// The caching proxy of the run's package server, against stand-in remote indexes on 127.0.0.1
// (basic auth, absolute file links, a second files host), and against pip itself.
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../src/packages/index-server.js";
import { pip } from "../helpers/pip.js";
import {
  maskSources,
  mergeSources,
  readHostPipSources,
  type RunCommand,
} from "../../src/packages/pip-sources.js";
import { sourceBuildArgs } from "../../src/ladder/plan.js";
import type { PackageSources } from "../../src/types.js";
import { closedPort, startFakeIndex, type FakeIndex } from "../helpers/fake-index.js";
import { startForwardProxy } from "../helpers/forward-proxy.js";

const PYPI = "/opt/pypi";
const TOKEN = "s3cr3t-token";
const haveIndex = fs.existsSync(path.join(PYPI, "simple", "six", "index.html"));

function get(
  url: string,
  method = "GET",
): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe.skipIf(!haveIndex)("the proxy in front of a remote index with basic auth", () => {
  let files: FakeIndex;
  let upstream: FakeIndex;
  let server: IndexServer | undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "shrinkbench-proxy-test-"));

  beforeAll(async () => {
    // The index links its files on another origin (as PyPI links files.pythonhosted.org).
    files = await startFakeIndex({ root: PYPI });
    upstream = await startFakeIndex({
      root: PYPI,
      auth: { user: "user", password: TOKEN },
      filesOrigin: files.origin,
    });
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    files.counts.clear();
    files.log.length = 0;
    upstream.counts.clear();
    upstream.log.length = 0;
  });
  afterAll(async () => {
    await files.close();
    await upstream.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const source = () => `http://user:${TOKEN}@${upstream.origin.slice("http://".length)}/simple/`;

  it("gives the builds a loopback URL without the credentials", async () => {
    server = await startIndexServer({
      indexUrl: source(),
      extraIndexUrls: [],
      findLinks: [],
      trustedHosts: [],
    });
    expect(server.sources.indexUrl).toBe(`${server.url}/r0/simple/`);
    expect(JSON.stringify(server.sources)).not.toContain(TOKEN);
    expect(JSON.stringify(server.rewrites)).not.toContain(TOKEN);
    expect(JSON.stringify(server.mounts)).not.toContain(TOKEN);
    expect(server.rewrites[0]!.from).toBe(`http://user:***@${upstream.origin.slice(7)}/simple/`);
  });

  it("serves pages with links rewritten to itself, and files on the other origin through it", async () => {
    server = await startIndexServer({
      indexUrl: source(),
      extraIndexUrls: [],
      findLinks: [],
      trustedHosts: [],
    });
    const page = await get(`${server.url}/r0/simple/six/`);
    expect(page.status).toBe(200);
    const html = page.body.toString();
    expect(html).not.toContain(files.origin);
    const href = /href="([^"]+)"/.exec(html)![1]!;
    expect(href).toMatch(
      /^\/r1\/packages\/six-1\.17\.0-py2\.py3-none-any\.whl#sha256=[0-9a-f]{64}$/,
    );
    const file = await get(`${server.url}${href.replace(/#.*/, "")}`);
    expect(file.status).toBe(200);
    expect(sha256(file.body)).toBe(
      sha256(fs.readFileSync(path.join(PYPI, "files", "six-1.17.0-py2.py3-none-any.whl"))),
    );
    // Credentials went to the index only, never to the files host.
    expect(upstream.log.every((r) => r.authorization?.startsWith("Basic "))).toBe(true);
    expect(files.log.every((r) => r.authorization === undefined)).toBe(true);
  });

  it("takes an index's credentials from the host's .netrc when its URL has none, as pip does", async () => {
    const plain = `${upstream.origin}/simple/`;
    const netrc = path.join(tmp, "netrc");
    const sources = (over: Partial<PackageSources>): PackageSources => ({
      indexUrl: plain,
      extraIndexUrls: [],
      findLinks: [],
      trustedHosts: [],
      netrc,
      ...over,
    });
    fs.writeFileSync(netrc, `machine elsewhere.example login user password nope\n`);
    server = await startIndexServer(sources({}));
    expect((await get(`${server.url}/r0/simple/six/`)).status).not.toBe(200);
    await server.close();
    expect(upstream.log.every((r) => r.authorization === undefined)).toBe(true);

    fs.writeFileSync(
      netrc,
      `# the index\nmachine 127.0.0.1\n  login user\n  password "${TOKEN}"\ndefault login x password y\n`,
    );
    server = await startIndexServer(sources({}));
    expect((await get(`${server.url}/r0/simple/six/`)).status).toBe(200);
    const basic = `Basic ${Buffer.from(`user:${TOKEN}`).toString("base64")}`;
    expect(upstream.log.at(-1)!.authorization).toBe(basic);
    expect(JSON.stringify([server.sources, server.rewrites, server.mounts])).not.toContain(TOKEN);
    await server.close();

    // The URL's own credentials win over the .netrc's.
    fs.writeFileSync(netrc, `machine 127.0.0.1 login user password wrong\n`);
    server = await startIndexServer(sources({ indexUrl: source() }));
    expect((await get(`${server.url}/r0/simple/six/`)).status).toBe(200);
    expect(upstream.log.at(-1)!.authorization).toBe(basic);
    await server.close();

    // No .netrc at all is the usual case: no note. One that cannot be read is said once.
    server = await startIndexServer(sources({ netrc: path.join(tmp, "no-such-netrc") }));
    expect(server.notes).toEqual([]);
    await server.close();
    server = await startIndexServer(sources({ netrc: tmp }));
    expect(server.notes).toEqual([
      `${tmp} cannot be read (EISDIR): indexes get no credentials from it`,
    ]);
  });

  it("reaches an http index through http_proxy, naming the whole URL, credentials still added", async () => {
    const forward = await startForwardProxy();
    try {
      server = await startIndexServer(
        { indexUrl: source(), extraIndexUrls: [], findLinks: [], trustedHosts: [] },
        { proxyEnv: { http_proxy: forward.url.replace("http://", "") } },
      );
      expect((await get(`${server.url}/r0/simple/six/`)).status).toBe(200);
      expect(forward.log).toEqual([
        { method: "GET", target: `${upstream.origin}/simple/six/`, proxyAuthorization: undefined },
      ]);
      expect(upstream.log.at(-1)!.authorization).toBe(
        `Basic ${Buffer.from(`user:${TOKEN}`).toString("base64")}`,
      );
    } finally {
      await forward.close();
    }
  });

  it("is not an open proxy: only the index's path and linked files are fetched", async () => {
    server = await startIndexServer({
      indexUrl: source(),
      extraIndexUrls: [],
      findLinks: [],
      trustedHosts: [],
    });
    expect((await get(`${server.url}/r0/other/path`)).status).toBe(404);
    expect((await get(`${server.url}/r0/packages/six-1.17.0-py2.py3-none-any.whl`)).status).toBe(
      404,
    );
    expect((await get(`${server.url}/r1/packages/six-1.17.0-py2.py3-none-any.whl`)).status).toBe(
      404,
    );
    expect(upstream.counts.size + files.counts.size).toBe(0);
  });

  it("fetches a file once for many concurrent clients", async () => {
    const slowFiles = await startFakeIndex({ root: PYPI, fileDelayMs: 300 });
    const slowIndex = await startFakeIndex({ root: PYPI, filesOrigin: slowFiles.origin });
    try {
      server = await startIndexServer({
        indexUrl: `${slowIndex.origin}/simple/`,
        extraIndexUrls: [],
        findLinks: [],
        trustedHosts: [],
      });
      const page = (await get(`${server.url}/r0/simple/six/`)).body.toString();
      const href = /href="([^"#]+)/.exec(page)![1]!;
      const bodies = await Promise.all(
        Array.from({ length: 5 }, () => get(`${server!.url}${href}`)),
      );
      const want = sha256(
        fs.readFileSync(path.join(PYPI, "files", "six-1.17.0-py2.py3-none-any.whl")),
      );
      for (const b of bodies) {
        expect(b.status).toBe(200);
        expect(sha256(b.body)).toBe(want);
      }
      expect(slowFiles.fileRequests()).toBe(1);
      expect(server.proxy.downloads).toBe(1);
    } finally {
      await slowFiles.close();
      await slowIndex.close();
    }
  });

  it("refuses a file whose digest does not match its link, and keeps nothing of it", async () => {
    const liar = http.createServer((req, res) => {
      if (req.url === "/simple/six/") {
        res.writeHead(200, { "Content-Type": "text/html" });
        return res.end(
          `<a href="/packages/six-1.0-py3-none-any.whl#sha256=${"0".repeat(64)}">six</a>`,
        );
      }
      res.writeHead(200, { "Content-Length": 5 });
      res.end("hello");
    });
    await new Promise<void>((resolve) => liar.listen(0, "127.0.0.1", resolve));
    const port = (liar.address() as { port: number }).port;
    const cacheDir = path.join(tmp, "liar-cache");
    try {
      server = await startIndexServer(
        {
          indexUrl: `http://127.0.0.1:${port}/simple/`,
          extraIndexUrls: [],
          findLinks: [],
          trustedHosts: [],
        },
        { cacheDir },
      );
      await get(`${server.url}/r0/simple/six/`);
      const r = await get(`${server.url}/r0/packages/six-1.0-py3-none-any.whl`).catch(() => ({
        status: -1,
        body: Buffer.alloc(0),
      }));
      // Either an error status, or a body cut short: never a clean 200 with the wrong bytes.
      if (r.status === 200) expect(r.body.length).toBeLessThan(5);
      expect(fs.readdirSync(path.join(cacheDir, "files"))).toEqual([]);
    } finally {
      liar.closeAllConnections();
      await new Promise<void>((resolve) => liar.close(() => resolve()));
    }
  });

  it("answers 404 at once for an unreachable upstream, and says so once", async () => {
    const port = await closedPort();
    const notes: string[] = [];
    server = await startIndexServer(
      {
        extraIndexUrls: [pathToFileURL(path.join(PYPI, "simple")).href],
        findLinks: [],
        trustedHosts: [],
      },
      { defaultIndex: `http://127.0.0.1:${port}/simple/`, onNote: (n) => notes.push(n) },
    );
    expect(server.sources.indexUrl).toBe(`${server.url}/r0/simple/`);
    const t0 = performance.now();
    for (const p of ["six", "pyyaml", "markupsafe"]) {
      expect((await get(`${server.url}/r0/simple/${p}/`)).status).toBe(404);
    }
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain("the default index");
    expect(notes[0]).toContain("ECONNREFUSED");
    expect(server.proxy.upstreamRequests).toBe(1);
  });

  it("proxies pip's default index unless --no-index is set", async () => {
    server = await startIndexServer({ extraIndexUrls: [], findLinks: [], trustedHosts: [] });
    expect(server.sources.indexUrl).toBe(`${server.url}/r0/simple/`);
    expect(server.mounts).toEqual([
      { prefix: "/r0/", kind: "proxy", origin: "https://pypi.org", root: "https://pypi.org" },
    ]);
    await server.close();
    server = await startIndexServer({
      indexUrl: source(),
      extraIndexUrls: [source()],
      findLinks: [],
      trustedHosts: ["x.example"],
      noIndex: true,
    });
    expect(server.sources).toEqual({
      extraIndexUrls: [],
      findLinks: [],
      trustedHosts: [new URL(server.url).host],
      noIndex: true,
    });
  });
});

// An https upstream with a certificate of its own CA: verified with pip's `cert` bundle.
const haveOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!haveOpenssl || !haveIndex)("an https upstream", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "shrinkbench-proxy-tls-"));
  const certFile = path.join(tmp, "cert.pem");
  const wheel = "six-1.17.0-py2.py3-none-any.whl";
  let upstream: https.Server;
  let origin: string;

  beforeAll(async () => {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-keyout",
        path.join(tmp, "key.pem"),
        "-out",
        certFile,
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    upstream = https.createServer(
      { key: fs.readFileSync(path.join(tmp, "key.pem")), cert: fs.readFileSync(certFile) },
      (req, res) => {
        if (req.url === "/simple/six/") {
          res.writeHead(200, { "Content-Type": "text/html" });
          return res.end(`<a href="/packages/${wheel}">six</a>`);
        }
        if (req.url === `/packages/${wheel}`) {
          res.writeHead(200);
          return res.end(fs.readFileSync(path.join(PYPI, "files", wheel)));
        }
        res.writeHead(404);
        res.end();
      },
    );
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    origin = `https://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    upstream.closeAllConnections();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const fetchThrough = async (
    extra: Partial<PackageSources>,
    options: Parameters<typeof startIndexServer>[1] = {},
  ) => {
    const server = await startIndexServer(
      {
        indexUrl: `${origin}/simple/`,
        extraIndexUrls: [],
        findLinks: [],
        trustedHosts: [],
        ...extra,
      },
      { proxyEnv: {}, ...options },
    );
    try {
      const page = await get(`${server.url}/r0/simple/six/`);
      const file =
        page.status === 200 ? await get(`${server.url}/r0/packages/${wheel}`) : undefined;
      return { page: page.status, file: file?.status, notes: [...server.notes] };
    } finally {
      await server.close();
    }
  };

  it("is refused without the CA bundle, with a note saying why", async () => {
    const r = await fetchThrough({});
    expect(r.page).toBe(404);
    expect(r.notes.join("\n")).toMatch(
      /cannot be reached \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/,
    );
  });

  it("is verified with pip's cert bundle, or trusted as pip's --trusted-host", async () => {
    expect(await fetchThrough({ cert: certFile })).toEqual({ page: 200, file: 200, notes: [] });
    expect(await fetchThrough({ trustedHosts: ["127.0.0.1"] })).toEqual({
      page: 200,
      file: 200,
      notes: [],
    });
  });

  it("goes through https_proxy's CONNECT tunnel, still verified with the bundle; no_proxy skips it", async () => {
    const forward = await startForwardProxy({ user: "proxyuser", password: "pr0xy pass" });
    try {
      const port = new URL(origin).port;
      const proxyEnv = { HTTPS_PROXY: forward.url };
      expect(await fetchThrough({ cert: certFile }, { proxyEnv })).toEqual({
        page: 200,
        file: 200,
        notes: [],
      });
      expect(forward.log.length).toBeGreaterThanOrEqual(1);
      const basic = `Basic ${Buffer.from("proxyuser:pr0xy pass").toString("base64")}`;
      expect(forward.log).toEqual(
        forward.log.map(() => ({
          method: "CONNECT",
          target: `127.0.0.1:${port}`,
          proxyAuthorization: basic,
        })),
      );
      // TLS runs inside the tunnel: without the bundle the index is refused as before.
      expect((await fetchThrough({}, { proxyEnv })).page).toBe(404);

      forward.log.length = 0;
      const bypass = { ...proxyEnv, no_proxy: "localhost,127.0.0.0/8" };
      expect((await fetchThrough({ cert: certFile }, { proxyEnv: bypass })).page).toBe(200);
      // pip's own proxy option wins over the variables; no_proxy still applies to it.
      expect(
        (await fetchThrough({ cert: certFile, proxy: forward.url }, { proxyEnv: bypass })).page,
      ).toBe(200);
      expect(forward.log).toEqual([]);

      // A proxy that refuses: the note says so, without the proxy's password.
      const wrong = forward.url.replace("pr0xy%20pass", "nope");
      const refused = await fetchThrough({ cert: certFile }, { proxyEnv: { https_proxy: wrong } });
      expect(refused.page).toBe(404);
      expect(refused.notes.join("\n")).toContain(
        `proxy http://proxyuser:***@127.0.0.1:${new URL(forward.url).port} refused the tunnel to 127.0.0.1:${port}: HTTP 407)`,
      );
      expect(refused.notes.join("\n")).not.toContain("nope");
    } finally {
      await forward.close();
    }
  });

  it("notes a cert bundle that cannot be read", async () => {
    const r = await fetchThrough({ cert: path.join(tmp, "missing.pem") });
    expect(r.notes[0]).toMatch(/cert .*missing\.pem cannot be read \(ENOENT\)/);
  });
});

// pip against the proxy: the proof that pip accepts what it serves, and the request counts.
const pipWorks = (() => {
  try {
    execFileSync("python3", ["-m", "pip", "--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!pipWorks)("a secret in PIP_INDEX_URL", () => {
  it(
    "reaches the proxy's credentials, never the builds' sources",
    { timeout: 60_000 },
    async () => {
      const env = {
        ...process.env,
        PIP_CONFIG_FILE: "/dev/null",
        PIP_INDEX_URL: `https://user:${TOKEN}@private.example/simple/`,
      };
      const run: RunCommand = (command, args) =>
        new Promise((resolve, reject) =>
          execFile(command, args, { env, encoding: "utf8" }, (err, stdout) =>
            err ? reject(err) : resolve({ stdout }),
          ),
        );
      const host = await readHostPipSources(run, env);
      expect(host.indexUrl).toContain(TOKEN);
      const server = await startIndexServer(mergeSources({ host }, env));
      try {
        expect(server.sources.indexUrl).toBe(`${server.url}/r0/simple/`);
        expect(JSON.stringify([server.sources, server.mounts, server.rewrites])).not.toContain(
          TOKEN,
        );
        expect(sourceBuildArgs(server.sources).PIP_INDEX_URL).toBe(`${server.url}/r0/simple/`);
        expect(JSON.stringify(maskSources(mergeSources({ host }, env)))).not.toContain(TOKEN);
      } finally {
        await server.close();
      }
    },
  );
});

describe.skipIf(!pipWorks || !haveIndex)("pip through the proxy", () => {
  let upstream: FakeIndex;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "shrinkbench-proxy-pip-"));
  const want = ["python-dateutil", "six", "markupsafe", "pyyaml"];

  beforeAll(async () => {
    upstream = await startFakeIndex({ root: PYPI, auth: { user: "user", password: TOKEN } });
  });
  afterAll(async () => {
    await upstream.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const download = async (server: IndexServer, dest: string) => {
    const r = await pip([
      "download",
      "--no-cache-dir",
      "--index-url",
      server.sources.indexUrl!,
      "-d",
      dest,
      ...want,
    ]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toContain(TOKEN);
    return fs.readdirSync(dest).sort();
  };
  const source = () => `http://user:${TOKEN}@${upstream.origin.slice("http://".length)}/simple/`;

  it("fetches each file upstream once across two pip downloads", { timeout: 120_000 }, async () => {
    upstream.counts.clear();
    const server = await startIndexServer({
      indexUrl: source(),
      extraIndexUrls: [],
      findLinks: [],
      trustedHosts: [],
    });
    try {
      const a = await download(server, path.join(tmp, "a"));
      const b = await download(server, path.join(tmp, "b"));
      expect(a).toHaveLength(4);
      expect(b).toEqual(a);
      const perPath = [...upstream.counts];
      // One request per page and per file, however many times pip asked.
      expect(perPath.filter(([p]) => p.startsWith("/packages/")).map(([, n]) => n)).toEqual([
        1, 1, 1, 1,
      ]);
      expect(perPath.filter(([p]) => p.startsWith("/simple/")).every(([, n]) => n === 1)).toBe(
        true,
      );
      expect(server.proxy.downloads).toBe(4);
      expect(server.proxy.memoryHits).toBeGreaterThanOrEqual(4);
    } finally {
      await server.close();
    }
  });

  it(
    "keeps files across two server lifetimes with a cache folder",
    { timeout: 120_000 },
    async () => {
      const cacheDir = path.join(tmp, "wheel-cache");
      upstream.counts.clear();
      const first = await startIndexServer(
        { indexUrl: source(), extraIndexUrls: [], findLinks: [], trustedHosts: [] },
        { cacheDir },
      );
      try {
        await download(first, path.join(tmp, "c"));
      } finally {
        await first.close();
      }
      expect(upstream.fileRequests()).toBe(4);
      const cached = fs.readdirSync(path.join(cacheDir, "files"));
      expect(cached.filter((f) => f.endsWith(".json"))).toHaveLength(4);
      expect(cached.some((f) => f.endsWith(".part"))).toBe(false);
      for (const f of cached.filter((x) => x.endsWith(".json"))) {
        expect(fs.readFileSync(path.join(cacheDir, "files", f), "utf8")).not.toContain(TOKEN);
      }

      upstream.counts.clear();
      const second = await startIndexServer(
        { indexUrl: source(), extraIndexUrls: [], findLinks: [], trustedHosts: [] },
        { cacheDir },
      );
      try {
        const got = await download(second, path.join(tmp, "d"));
        expect(got).toHaveLength(4);
        expect(second.proxy.diskHits).toBe(4);
        expect(second.proxy.downloads).toBe(0);
      } finally {
        await second.close();
      }
      // Pages are asked again (an index changes), files never.
      expect(upstream.fileRequests()).toBe(0);
      expect([...upstream.counts.keys()].every((p) => p.startsWith("/simple/"))).toBe(true);
    },
  );

  it(
    "lets pip move on at once past an unreachable default index",
    { timeout: 120_000 },
    async () => {
      const port = await closedPort();
      const server = await startIndexServer(
        {
          extraIndexUrls: [pathToFileURL(path.join(PYPI, "simple")).href],
          findLinks: [],
          trustedHosts: [],
        },
        { defaultIndex: `http://127.0.0.1:${port}/simple/` },
      );
      try {
        const t0 = performance.now();
        const r = await pip([
          "download",
          "--no-cache-dir",
          "--no-deps",
          "--index-url",
          server.sources.indexUrl!,
          "--extra-index-url",
          server.sources.extraIndexUrls[0]!,
          "-d",
          path.join(tmp, "e"),
          ...want,
        ]);
        expect(r.code, r.out).toBe(0);
        // pip retries an unreachable index about 8 s per package; a 404 costs nothing.
        expect((performance.now() - t0) / 1000).toBeLessThan(15);
        expect(server.notes).toHaveLength(1);
      } finally {
        await server.close();
      }
    },
  );
});
