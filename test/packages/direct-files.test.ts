// Direct file references served by the run's package server (packages/direct-file-mount.ts):
// a wheel on disk and a wheel behind basic auth on 127.0.0.1, as the builds read them; and the
// host's pip installing from the rewritten requirements, as a build's pip does.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRunSources, type RunSources } from "../../src/packages/run-sources.js";
import type { Engine } from "../../src/docker/engine.js";
import { loadRequirements } from "../../src/requirements/load.js";
import { tinyWheel } from "../fixtures/tiny-wheel.js";
import { pip } from "../helpers/pip.js";
import { startPrivateFiles, type PrivateFiles } from "../helpers/private-files.js";

const TOKEN = "wheel-s3cr3t";
const local = tinyWheel("tiny-local");
const remote = tinyWheel("tiny-remote", "2.0", 7);

let dir: string;
let upstream: PrivateFiles;
let origin = "";
let seen: PrivateFiles["log"];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "shrinkbench-direct-"));
  fs.mkdirSync(path.join(dir, "wheels"));
  fs.writeFileSync(path.join(dir, "wheels", local.fileName), local.bytes);
  upstream = await startPrivateFiles(
    { user: "user", password: TOKEN },
    { [`/private/${remote.fileName}?sig=abc`]: remote.bytes },
  );
  origin = upstream.hostPort;
  seen = upstream.log;
});

afterAll(async () => {
  await upstream?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function open(text: string, indexUrl?: string): Promise<RunSources> {
  const file = path.join(dir, "requirements.txt");
  fs.writeFileSync(file, text);
  return openRunSources({
    sources: indexUrl
      ? { indexUrl, extraIndexUrls: [], findLinks: [], trustedHosts: [] }
      : { noIndex: true, extraIndexUrls: [], findLinks: [], trustedHosts: [] },
    engines: [{ host: "unix:///var/run/docker.sock" } as unknown as Engine],
    remoteHosts: [],
    baseImages: ["img"],
    requirements: loadRequirements(file, { cwd: "/" }),
    labels: {},
  });
}

describe("direct file references on the package server", { timeout: 120_000 }, () => {
  it("serves a wheel on disk and a wheel behind basic auth; builds see neither path nor token", async () => {
    const remoteUrl = `http://user:${TOKEN}@${origin}/private/${remote.fileName}?sig=abc#sha256=${remote.sha256}`;
    const s = await open(`./wheels/${local.fileName}\ntiny-remote @ ${remoteUrl}\n`);
    try {
      const lines = s.requirementsText.split("\n").filter((l) => !l.startsWith("#") && l !== "");
      expect(lines).toEqual([
        expect.stringMatching(
          /^tiny_local @ http:\/\/127\.0\.0\.1:\d+\/d0\/tiny_local-1\.0-py3-none-any\.whl$/,
        ),
        expect.stringMatching(
          new RegExp(
            `^tiny-remote @ http://127\\.0\\.0\\.1:\\d+/d1/tiny_remote-2\\.0-py3-none-any\\.whl#sha256=${remote.sha256}$`,
          ),
        ),
      ]);
      expect(s.requirementsText).not.toContain(TOKEN);
      expect(s.requirementsText).not.toContain("sig=abc");
      expect(s.requirementsText).not.toContain(dir);

      const url = (n: number) => /http:\/\/[^ #]+/.exec(lines[n]!)![0];
      const got0 = Buffer.from(await (await fetch(url(0))).arrayBuffer());
      expect(got0.equals(local.bytes)).toBe(true);
      for (let i = 0; i < 2; i++) {
        const r = await fetch(url(1));
        expect(r.status).toBe(200);
        expect(Buffer.from(await r.arrayBuffer()).equals(remote.bytes)).toBe(true);
      }
      // Fetched once upstream, with the credentials from the URL.
      const files = seen.filter((x) => x.path.includes(remote.fileName));
      expect(files).toHaveLength(1);
      expect(files[0]!.authorization).toBe(
        `Basic ${Buffer.from(`user:${TOKEN}`).toString("base64")}`,
      );
      // Nothing else is reachable through a direct file's mount.
      const base = url(0).replace(/\/d0\/.*$/, "");
      for (const p of ["/d0/", "/d0/other.whl", "/d1/", `/d1/${local.fileName}`, "/d2/x.whl"]) {
        expect((await fetch(`${base}${p}`)).status, p).toBe(404);
      }
    } finally {
      await s.close();
    }
  });

  it("a URL without credentials gets those of a configured index on the same host", async () => {
    const s = await open(
      `tiny-remote @ http://${origin}/private/${remote.fileName}?sig=abc\n`,
      `http://user:${TOKEN}@${origin}/simple/`,
    );
    try {
      const before = seen.length;
      const url = /http:\/\/127\.0\.0\.1:\d+\/d0\/\S+/.exec(s.requirementsText)![0];
      const r = await fetch(url);
      expect(r.status).toBe(200);
      expect(Buffer.from(await r.arrayBuffer()).equals(remote.bytes)).toBe(true);
      expect(seen.slice(before).map((x) => x.authorization)).toEqual([
        `Basic ${Buffer.from(`user:${TOKEN}`).toString("base64")}`,
      ]);
    } finally {
      await s.close();
    }
  });

  it("pip installs the rewritten requirements (hash checked) from the server", async () => {
    const remoteUrl = `http://user:${TOKEN}@${origin}/private/${remote.fileName}?sig=abc`;
    const s = await open(
      `tiny-local @ file://${path.join(dir, "wheels", local.fileName)} --hash=sha256:${local.sha256}\n` +
        `tiny-remote @ ${remoteUrl} --hash=sha256:${remote.sha256}\n`,
    );
    try {
      const req = path.join(dir, "built.txt");
      fs.writeFileSync(req, s.requirementsText);
      const target = path.join(dir, "target");
      const r = await pip(["install", "--no-index", "--target", target, "-r", req]);
      expect(r.code, r.out).toBe(0);
      expect(fs.readFileSync(path.join(target, "tiny_local", "__init__.py"), "utf8")).toBe(
        "VALUE = 42\n",
      );
      expect(fs.readFileSync(path.join(target, "tiny_remote", "__init__.py"), "utf8")).toBe(
        "VALUE = 7\n",
      );
      expect(r.out).not.toContain(TOKEN);
    } finally {
      await s.close();
    }
  });

  it("a wrong --hash makes pip refuse the served file (the same bytes are served)", async () => {
    const s = await open(`./wheels/${local.fileName} --hash=sha256:${"0".repeat(64)}\n`);
    try {
      const req = path.join(dir, "bad.txt");
      fs.writeFileSync(req, s.requirementsText);
      const r = await pip(["install", "--no-index", "--dry-run", "-r", req]);
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/THESE PACKAGES DO NOT MATCH THE HASHES/);
    } finally {
      await s.close();
    }
  });
});
