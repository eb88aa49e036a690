import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { startIndexServer, type IndexServer } from "../../src/packages/index-server.js";
import { pip } from "../helpers/pip.js";

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A raw HTTP request: the path is sent exactly as given (no client-side normalisation). */
function request(url: string, rawPath: string, method = "GET"): Promise<Reply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: rawPath, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("startIndexServer with a temporary index", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "shrinkbench-index-"));
  const repo = path.join(tmp, "repo"); // holds simple/ and files/, like /opt/pypi
  const wheels = path.join(tmp, "wheels"); // a find-links folder
  const outside = path.join(tmp, "outside");
  const wheelBytes = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) % 256));
  let server: IndexServer;

  beforeAll(async () => {
    fs.mkdirSync(path.join(repo, "simple", "demo"), { recursive: true });
    fs.mkdirSync(path.join(repo, "simple", "nopage"), { recursive: true });
    fs.mkdirSync(path.join(repo, "files"));
    fs.mkdirSync(wheels);
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(repo, "files", "demo-1.0-py3-none-any.whl"), wheelBytes);
    fs.writeFileSync(path.join(repo, "files", "unlinked-1.0-py3-none-any.whl"), "x");
    fs.writeFileSync(path.join(repo, "notes.txt"), "private notes next to the index");
    fs.writeFileSync(
      path.join(repo, "simple", "demo", "index.html"),
      '<!DOCTYPE html><html><body><a href="../../files/demo-1.0-py3-none-any.whl">demo-1.0-py3-none-any.whl</a></body></html>\n',
    );
    fs.writeFileSync(path.join(repo, "simple", "nopage", "nopage-2.0.tar.gz"), "sdist");
    fs.writeFileSync(path.join(outside, "secret.txt"), "top secret");
    fs.writeFileSync(path.join(wheels, "w-1.0+cpu-py3-none-any.whl"), wheelBytes);
    fs.writeFileSync(path.join(wheels, ".hidden"), "x");
    fs.mkdirSync(path.join(wheels, "subdir"));
    fs.symlinkSync(path.join(outside, "secret.txt"), path.join(wheels, "escape.whl"));
    fs.symlinkSync(outside, path.join(repo, "simple", "evil"));
    fs.symlinkSync(path.join(wheels, "w-1.0+cpu-py3-none-any.whl"), path.join(wheels, "alias.whl"));

    server = await startIndexServer({
      indexUrl: pathToFileURL(path.join(repo, "simple")).href,
      extraIndexUrls: ["https://user:tok@mirror.example/simple", path.join(tmp, "missing-index")],
      findLinks: [wheels, "https://links.example/wheels/", pathToFileURL(wheels).href],
      trustedHosts: ["mirror.example"],
    });
  });
  afterAll(async () => {
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("binds 127.0.0.1 and rewrites local sources, and remote ones to the proxy", () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.sources).toEqual({
      indexUrl: `${server.url}/i0/simple/`,
      extraIndexUrls: [`${server.url}/r0/simple`],
      findLinks: [`${server.url}/f0/`, `${server.url}/r1/wheels/`],
      // Trusted so that pip keeps its HTTP cache of what it downloads from here.
      trustedHosts: [new URL(server.url).host],
    });
    expect(server.mounts.map((m) => [m.prefix, m.kind, m.root])).toEqual([
      ["/i0/", "index", repo],
      ["/f0/", "find-links", wheels],
      ["/r0/", "proxy", "https://mirror.example"],
      ["/r1/", "proxy", "https://links.example"],
    ]);
    expect(server.rewrites[0]).toEqual({
      from: pathToFileURL(path.join(repo, "simple")).href,
      to: `${server.url}/i0/simple/`,
    });
    expect(server.warnings).toEqual([
      `package index ${path.join(tmp, "missing-index")}: no such directory; left out`,
    ]);
  });

  it("serves a project's index.html, and the file its relative link points at", async () => {
    const page = await request(server.url, "/i0/simple/demo/");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    const href = /href="([^"]+)"/.exec(page.body.toString())![1]!;
    const fileUrl = new URL(href, `${server.url}/i0/simple/demo/`);
    expect(fileUrl.pathname).toBe("/i0/files/demo-1.0-py3-none-any.whl");
    const file = await request(server.url, fileUrl.pathname);
    expect(file.status).toBe(200);
    expect(file.headers["content-type"]).toBe("application/zip");
    expect(Number(file.headers["content-length"])).toBe(wheelBytes.length);
    expect(sha256(file.body)).toBe(sha256(wheelBytes));
  });

  it("serves files outside the index folder only once a served page links to them", async () => {
    const fresh = await startIndexServer({
      indexUrl: pathToFileURL(path.join(repo, "simple")).href,
      extraIndexUrls: [],
      findLinks: [],
      trustedHosts: [],
    });
    try {
      const file = "/i0/files/demo-1.0-py3-none-any.whl";
      expect((await request(fresh.url, file)).status).toBe(404);
      expect((await request(fresh.url, "/i0/simple/demo/")).status).toBe(200);
      expect((await request(fresh.url, file)).status).toBe(200);
      // Never linked, or not a file a page links to: the index's parent folder stays private.
      for (const p of [
        "/i0/files/unlinked-1.0-py3-none-any.whl",
        "/i0/notes.txt",
        "/i0/",
        "/i0/files/",
      ]) {
        expect((await request(fresh.url, p)).status, p).toBe(404);
      }
    } finally {
      await fresh.close();
    }
  });

  it("serves a find-links file, and nothing else of its folder", async () => {
    const fresh = await startIndexServer({
      extraIndexUrls: [],
      findLinks: [path.join(repo, "files", "demo-1.0-py3-none-any.whl")],
      trustedHosts: [],
    });
    try {
      expect(fresh.sources.findLinks).toEqual([`${fresh.url}/f0/demo-1.0-py3-none-any.whl`]);
      const r = await request(fresh.url, "/f0/demo-1.0-py3-none-any.whl");
      expect(r.status).toBe(200);
      expect(sha256(r.body)).toBe(sha256(wheelBytes));
      expect((await request(fresh.url, "/f0/")).status).toBe(404);
      expect((await request(fresh.url, "/f0/unlinked-1.0-py3-none-any.whl")).status).toBe(404);
    } finally {
      await fresh.close();
    }
  });

  it("answers HEAD with headers only", async () => {
    await request(server.url, "/i0/simple/demo/");
    const head = await request(server.url, "/i0/files/demo-1.0-py3-none-any.whl", "HEAD");
    expect(head.status).toBe(200);
    expect(Number(head.headers["content-length"])).toBe(wheelBytes.length);
    expect(head.body.length).toBe(0);
  });

  it("generates a page of links for a directory without index.html", async () => {
    const page = await request(server.url, "/i0/simple/nopage/");
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain('<a href="nopage-2.0.tar.gz">nopage-2.0.tar.gz</a>');
    const root = (await request(server.url, "/i0/simple/")).body.toString();
    expect(root).toContain('<a href="demo/">demo/</a>');
    expect(root).not.toContain("evil"); // a symlink out of the root is not listed
  });

  it("serves a find-links folder as a page of links to its files", async () => {
    const page = await request(server.url, "/f0/");
    const html = page.body.toString();
    expect(page.status).toBe(200);
    expect(html).toContain('<a href="w-1.0%2Bcpu-py3-none-any.whl">w-1.0+cpu-py3-none-any.whl</a>');
    expect(html).toContain('href="alias.whl"'); // a symlink inside the root is fine
    expect(html).not.toMatch(/hidden|escape|subdir/);
    const file = await request(server.url, "/f0/w-1.0%2Bcpu-py3-none-any.whl");
    expect(file.status).toBe(200);
    expect(sha256(file.body)).toBe(sha256(wheelBytes));
  });

  it("redirects a directory without its trailing slash", async () => {
    const r = await request(server.url, "/i0/simple/demo");
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe("/i0/simple/demo/");
    expect((await request(server.url, "/f0")).headers.location).toBe("/f0/");
  });

  it("refuses path traversal, plain or encoded, and symlinks out of the root", async () => {
    const refused = [
      "/i0/../../../../etc/passwd",
      "/i0/simple/../../outside/secret.txt",
      "/i0/%2e%2e/outside/secret.txt",
      "/i0/%2E%2E/%2E%2E/etc/passwd",
      "/i0/simple%2f..%2f..%2foutside/secret.txt",
      "/i0/..%5c..%5coutside/secret.txt",
      "/f0/escape.whl",
      "/i0/simple/evil/secret.txt",
      "/f0/.hidden",
      "/f0/%00",
      "/f0/%zz",
    ];
    for (const p of refused) {
      const r = await request(server.url, p);
      expect([403, 404], p).toContain(r.status);
      expect(r.body.toString(), p).not.toContain("top secret");
    }
    expect((await request(server.url, "/f0/escape.whl")).status).toBe(403);
    expect((await request(server.url, "/i0/simple/evil/secret.txt")).status).toBe(403);
  });

  it("answers 404 for unknown paths and 405 for other methods", async () => {
    expect((await request(server.url, "/nope/")).status).toBe(404);
    expect((await request(server.url, "/i0/simple/missing/")).status).toBe(404);
    expect((await request(server.url, "/i0/files/demo-1.0-py3-none-any.whl/")).status).toBe(404);
    const post = await request(server.url, "/i0/simple/", "POST");
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
  });

  it("counts requests", async () => {
    const before = server.requests;
    await request(server.url, "/i0/simple/");
    expect(server.requests).toBe(before + 1);
  });
});

describe("startIndexServer: errors and lifecycle", () => {
  it("refuses an index folder that does not exist", async () => {
    const missing = path.join(os.tmpdir(), "shrinkbench-no-such-index", "simple");
    await expect(
      startIndexServer({
        indexUrl: pathToFileURL(missing).href,
        extraIndexUrls: [],
        findLinks: [],
        trustedHosts: [],
      }),
    ).rejects.toThrow(InputError);
  });

  it("proxies remote-only sources and closes idempotently", async () => {
    const s = await startIndexServer({
      indexUrl: "https://pypi.example/simple",
      extraIndexUrls: [],
      findLinks: [],
      trustedHosts: [],
    });
    expect(s.sources.indexUrl).toBe(`${s.url}/r0/simple`);
    expect(s.mounts.map((m) => m.kind)).toEqual(["proxy"]);
    await s.close();
    await s.close();
    await expect(request(s.url, "/")).rejects.toThrow();
  });
});

// pip itself against the server: the proof that pip accepts what it serves.
const pypiRoot = "/opt/pypi";
const pipWorks = (() => {
  try {
    execFileSync("python3", ["-m", "pip", "--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
const sixWheel = fs.existsSync(path.join(pypiRoot, "simple", "six"))
  ? fs.readdirSync(path.join(pypiRoot, "files")).find((f) => /^six-.*\.whl$/.test(f))
  : undefined;

describe.skipIf(!pipWorks || !sixWheel)("pip against the server", () => {
  it("downloads six from the served /opt/pypi index", { timeout: 120_000 }, async () => {
    const server = await startIndexServer({
      indexUrl: pathToFileURL(path.join(pypiRoot, "simple")).href,
      extraIndexUrls: [],
      findLinks: [],
      trustedHosts: [],
    });
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), "shrinkbench-pip-"));
    try {
      const r = await pip([
        "download",
        "--no-deps",
        "--no-cache-dir",
        "--index-url",
        server.sources.indexUrl!,
        "-d",
        dest,
        "six",
      ]);
      expect(r.out).toContain("Saved");
      expect(r.code).toBe(0);
      expect(server.requests).toBeGreaterThanOrEqual(2);
      const got = fs.readFileSync(path.join(dest, sixWheel!));
      expect(sha256(got)).toBe(sha256(fs.readFileSync(path.join(pypiRoot, "files", sixWheel!))));
    } finally {
      await server.close();
      fs.rmSync(dest, { recursive: true, force: true });
    }
  });

  it("installs from a served find-links folder with --no-index", { timeout: 120_000 }, async () => {
    const wheels = fs.mkdtempSync(path.join(os.tmpdir(), "shrinkbench-wheels-"));
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), "shrinkbench-pip-"));
    fs.copyFileSync(path.join(pypiRoot, "files", sixWheel!), path.join(wheels, sixWheel!));
    const server = await startIndexServer({
      extraIndexUrls: [],
      findLinks: [wheels],
      trustedHosts: [],
    });
    try {
      const r = await pip([
        "download",
        "--no-deps",
        "--no-cache-dir",
        "--no-index",
        "--find-links",
        server.sources.findLinks[0]!,
        "-d",
        dest,
        "six",
      ]);
      expect(r.code, r.out).toBe(0);
      expect(fs.existsSync(path.join(dest, sixWheel!))).toBe(true);
      expect(server.requests).toBeGreaterThanOrEqual(2);
    } finally {
      await server.close();
      fs.rmSync(dest, { recursive: true, force: true });
      fs.rmSync(wheels, { recursive: true, force: true });
    }
  });
});
