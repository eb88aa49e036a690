import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";

import { extract } from "tar-stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import {
  appEntries,
  contextEntries,
  packContext,
  type ContextSpec,
} from "../../src/ladder/context.js";
import { InputError } from "../../src/errors.js";

interface TarEntry {
  name: string;
  type: string;
  mode: number;
  mtime: number;
  uid: number;
  gid: number;
  linkname?: string;
  content: string;
}

async function collect(stream: Readable | AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads a tar back with tar-stream's extract. */
async function readTar(tar: Buffer): Promise<TarEntry[]> {
  const ex = extract();
  const entries: TarEntry[] = [];
  const done = (async () => {
    for await (const entry of ex) {
      const body = await collect(entry);
      const h = entry.header;
      entries.push({
        name: h.name,
        type: h.type ?? "file",
        mode: h.mode ?? 0,
        mtime: h.mtime?.getTime() ?? -1,
        uid: h.uid ?? -1,
        gid: h.gid ?? -1,
        linkname: h.linkname ?? undefined,
        content: body.toString("utf8"),
      });
    }
  })();
  ex.end(tar);
  await done;
  return entries;
}

async function pack(spec: ContextSpec): Promise<{ tar: Buffer; bytes: number }> {
  const ctx = packContext(await contextEntries(spec));
  const tar = await collect(ctx.stream);
  return { tar, bytes: ctx.bytes() };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-context-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(rel: string, content = rel): Promise<void> {
  await mkdir(dirname(join(dir, rel)), { recursive: true });
  await writeFile(join(dir, rel), content);
}

function spec(over: Partial<ContextSpec> = {}): ContextSpec {
  return {
    dockerfile: "FROM scratch\n",
    requirements: "numpy\npandas\n",
    constraints: "# none\n",
    scripts: { "install.sh": "#!/bin/sh\necho install\n", "cleanup.sh": "#!/bin/sh\n" },
    mode: "requirements",
    ...over,
  };
}

/** A project folder with the things the talk's .dockerignore leaves out. */
async function project(): Promise<void> {
  await put(".dockerignore", "# the talk's\n.git\nvenv/\ndata\n**/__pycache__\n*.log\n!keep.log\n");
  await put("app.py", "print('hi')\n");
  await put("pkg/mod.py");
  await put("pkg/__pycache__/mod.cpython-311.pyc");
  await put(".git/HEAD", "ref: refs/heads/main\n");
  await put("venv/bin/python");
  await put("data/big.csv", "x".repeat(5000));
  await put("debug.log");
  await put("keep.log");
}

describe("contextEntries + packContext", () => {
  it("holds the Dockerfile, requirements, constraints, scripts and app/", async () => {
    const { tar } = await pack(spec());
    const entries = await readTar(tar);
    expect(entries.map((e) => [e.name, e.type])).toEqual([
      ["Dockerfile", "file"],
      ["requirements.txt", "file"],
      ["constraints.txt", "file"],
      ["scripts", "directory"],
      ["scripts/cleanup.sh", "file"],
      ["scripts/install.sh", "file"],
      ["app", "directory"],
    ]);
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get("Dockerfile")!.content).toBe("FROM scratch\n");
    expect(byName.get("requirements.txt")!.content).toBe("numpy\npandas\n");
    expect(byName.get("constraints.txt")!.content).toBe("# none\n");
    expect(byName.get("scripts/install.sh")!.content).toBe("#!/bin/sh\necho install\n");
    expect(byName.get("scripts/install.sh")!.mode).toBe(0o755);
    expect(byName.get("Dockerfile")!.mode).toBe(0o644);
    for (const e of entries) {
      expect(e.mtime).toBe(0);
      expect([e.uid, e.gid]).toEqual([0, 0]);
    }
  });

  it("puts the smoke test under smoke/ when given, before app/", async () => {
    const smoke = { "shrinkbench_smoke.py": "print('smoke')\n", "argv.json": '["six"]\n' };
    const entries = await readTar((await pack(spec({ smoke }))).tar);
    expect(entries.map((e) => [e.name, e.type]).slice(6)).toEqual([
      ["smoke", "directory"],
      ["smoke/argv.json", "file"],
      ["smoke/shrinkbench_smoke.py", "file"],
      ["app", "directory"],
    ]);
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get("smoke/argv.json")!.content).toBe('["six"]\n');
    expect(byName.get("smoke/shrinkbench_smoke.py")!.mode).toBe(0o644);
  });

  it("leaves the project folder out in requirements mode, even with --app", async () => {
    await project();
    const names = (await readTar((await pack(spec({ appDir: dir }))).tar)).map((e) => e.name);
    expect(names.filter((n) => n.startsWith("app/"))).toEqual([]);
  });

  it("copies the whole project folder in app mode", async () => {
    await project();
    const names = (await readTar((await pack(spec({ mode: "app", appDir: dir }))).tar)).map(
      (e) => e.name,
    );
    expect(names).toEqual(
      expect.arrayContaining([
        "app/.dockerignore",
        "app/app.py",
        "app/pkg/mod.py",
        "app/pkg/__pycache__/mod.cpython-311.pyc",
        "app/.git/HEAD",
        "app/venv/bin/python",
        "app/data/big.csv",
        "app/debug.log",
      ]),
    );
  });

  it("honours the project's .dockerignore in app-dockerignore mode", async () => {
    await project();
    const entries = await readTar(
      (await pack(spec({ mode: "app-dockerignore", appDir: dir }))).tar,
    );
    const app = entries.map((e) => e.name).filter((n) => n.startsWith("app/"));
    expect(app).toEqual([
      "app/.dockerignore",
      "app/app.py",
      "app/keep.log",
      "app/pkg",
      "app/pkg/mod.py",
    ]);
    expect(entries.find((e) => e.name === "app/app.py")!.content).toBe("print('hi')\n");
    expect(entries.find((e) => e.name === "app/pkg")!.type).toBe("directory");
  });

  it("re-includes a file below an ignored directory", async () => {
    await put(".dockerignore", "data\n!data/schema.json\n");
    await put("data/schema.json", "{}");
    await put("data/big.csv");
    const names = (
      await readTar((await pack(spec({ mode: "app-dockerignore", appDir: dir }))).tar)
    ).map((e) => e.name);
    expect(names).toContain("app/data/schema.json");
    expect(names).not.toContain("app/data/big.csv");
  });

  it("works without a .dockerignore", async () => {
    await put("app.py");
    const names = (
      await readTar((await pack(spec({ mode: "app-dockerignore", appDir: dir }))).tar)
    ).map((e) => e.name);
    expect(names).toContain("app/app.py");
  });

  it("refuses a .dockerignore pattern Docker would refuse, naming the file", async () => {
    await put(".dockerignore", "ok\nbad[z-a]\n");
    await expect(contextEntries(spec({ mode: "app-dockerignore", appDir: dir }))).rejects.toThrow(
      InputError,
    );
    await expect(appEntries(dir, true)).rejects.toThrow(/\.dockerignore:2: /);
  });

  it("keeps symlinks as symlinks and file modes", async () => {
    await put("run.sh", "#!/bin/sh\n");
    await chmod(join(dir, "run.sh"), 0o750);
    await symlink("run.sh", join(dir, "start"));
    const entries = await readTar((await pack(spec({ mode: "app", appDir: dir }))).tar);
    const link = entries.find((e) => e.name === "app/start")!;
    expect(link.type).toBe("symlink");
    expect(link.linkname).toBe("run.sh");
    expect(entries.find((e) => e.name === "app/run.sh")!.mode).toBe(0o750);
  });

  it("gives byte-identical tars for the same inputs", async () => {
    await project();
    const a = await pack(spec({ mode: "app-dockerignore", appDir: dir }));
    const b = await pack(spec({ mode: "app-dockerignore", appDir: dir }));
    expect(a.tar.equals(b.tar)).toBe(true);
    // Scripts given in another key order still land in the same order.
    const c = await pack(
      spec({
        mode: "app-dockerignore",
        appDir: dir,
        scripts: { "cleanup.sh": "#!/bin/sh\n", "install.sh": "#!/bin/sh\necho install\n" },
      }),
    );
    expect(c.tar.equals(a.tar)).toBe(true);
  });

  it("counts the bytes it streamed", async () => {
    await project();
    for (const s of [spec(), spec({ mode: "app", appDir: dir })]) {
      const { tar, bytes } = await pack(s);
      expect(bytes).toBe(tar.length);
      expect(bytes % 512).toBe(0);
    }
  });

  it.skipIf(!existsSync("/proc/self/fd"))(
    "closes the file it was reading when the consumer goes away",
    async () => {
      const big = join(dir, "big.bin");
      await writeFile(big, Buffer.alloc(8_000_000, 1));
      const openFds = () =>
        readdirSync("/proc/self/fd").filter((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`) === big;
          } catch {
            return false;
          }
        }).length;
      const ctx = packContext([
        { type: "file", name: "Dockerfile", content: "FROM scratch\n" },
        { type: "disk-file", name: "app/big.bin", path: big, size: 8_000_000, mode: 0o644 },
        { type: "file", name: "after", content: "x" },
      ]);
      await new Promise<void>((resolve) => {
        let chunks = 0;
        ctx.stream.on("data", () => {
          if (++chunks === 3) {
            ctx.stream.destroy();
            resolve();
          }
        });
      });
      await new Promise((r) => setTimeout(r, 100));
      expect(openFds()).toBe(0);
      expect(ctx.bytes()).toBeLessThan(8_000_000);
    },
  );

  it("fails the stream when a file vanishes before it is read", async () => {
    const ctx = packContext([
      { type: "disk-file", name: "app/x", path: join(dir, "missing"), size: 3, mode: 0o644 },
    ]);
    await expect(collect(ctx.stream)).rejects.toThrow(/ENOENT/);
  });
});
