// Bad input through the real command line: a clear message naming the file (and line), exit 2,
// and no engine contacted. The engine is pointed at a socket that does not exist, so a test that
// got as far as the engine would fail with a different message.
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";

let dir: string;
const NO_ENGINE = "unix:///nonexistent/shrinkbench-test.sock";

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const o = vi
    .spyOn(process.stdout, "write")
    .mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi
    .spyOn(process.stderr, "write")
    .mockImplementation((s) => ((stderr += String(s)), true));
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

async function file(name: string, content: string | Buffer): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, content);
  return p;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (...args: string[]) =>
  cli("run", ...args, "--docker-host", NO_ENGINE, "--out", join(dir, "out"));

describe("bad input to run", () => {
  it("a missing requirements file", async () => {
    const r = await run(join(dir, "nope.txt"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.txt/);
    expect(r.stderr).toMatch(/hint:/);
  });

  it("a directory", async () => {
    await mkdir(join(dir, "adir"), { recursive: true });
    const r = await run(join(dir, "adir"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/adir/);
    expect(r.stderr).toMatch(/director/i);
  });

  it("an empty file", async () => {
    const r = await run(await file("empty.txt", ""));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/empty\.txt.*no requirements/);
  });

  it("binary junk", async () => {
    const r = await run(
      await file("junk.txt", Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0xff, 0xfe])),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/junk\.txt/);
  });

  it("a 1 MB line", async () => {
    const r = await run(await file("long.txt", "numpy\n" + "a".repeat(1_000_000) + "\n"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/long\.txt:2/);
  });

  it("invalid requirement syntax names the file and the line", async () => {
    const r = await run(await file("bad.txt", "numpy\n\npandas>=>1\n"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.txt:3/);
  });

  it("an include cycle", async () => {
    await file("a.txt", "-r b.txt\nnumpy\n");
    await file("b.txt", "-r a.txt\n");
    const r = await run(join(dir, "a.txt"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cycle/);
  });

  it("-e . without --app", async () => {
    const r = await run(await file("editable.txt", "-e .\n"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/editable\.txt:1/);
    expect(r.stderr).toMatch(/--app/);
  });

  it("a ladder that does not exist", async () => {
    const r = await run(await file("ok.txt", "six\n"), "--ladder", "no-such-ladder");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown ladder "no-such-ladder"/);
    expect(r.stderr).toMatch(/modern/);
  });

  it("invalid ladder JSON", async () => {
    const r = await run(
      await file("ok.txt", "six\n"),
      "--ladder",
      await file("broken.json", "{ nope"),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.json/);
  });

  it("an unknown rung id", async () => {
    const r = await run(await file("ok.txt", "six\n"), "--rung", "tiny");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown rung "tiny"/);
    expect(r.stderr).toMatch(/slim-dedupe/);
  });

  it("a --test file that does not exist", async () => {
    const r = await run(await file("ok.txt", "six\n"), "--test", join(dir, "missing_test.py"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--test .*missing_test\.py: no such file/);
  });

  it.each([
    ["--concurrency", "0"],
    ["--concurrency", "1.5"],
    ["--build-timeout", "-3"],
    ["--smoke-timeout", "abc"],
  ])("an impossible value: %s %s", async (flag, value) => {
    const r = await run(await file("ok.txt", "six\n"), flag, value);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(flag.replace(/-/g, "\\-")));
  });

  it("an unknown flag or command", async () => {
    expect((await cli("run", "x.txt", "--frobnicate")).code).toBe(2);
    expect((await cli("bulid")).code).toBe(2);
  });
});

describe("the engine not reachable", () => {
  it("one clear message naming the host, exit 2, within seconds", async () => {
    const started = Date.now();
    const r = await run(await file("ok.txt", "six\n"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /cannot reach the Docker engine at unix:\/\/\/nonexistent\/shrinkbench-test\.sock/,
    );
    expect(r.stderr).toMatch(/hint:/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

const COMMANDS = ["run", "check", "inspect", "diff", "list", "render", "report", "lint", "clean"];

describe("help", () => {
  it("teaches every command", async () => {
    const r = await cli("--help");
    expect(r.code).toBe(0);
    for (const cmd of COMMANDS) {
      expect(r.stdout).toMatch(new RegExp(`shrinkbench ${cmd}`));
    }
  });

  it.each(COMMANDS)("%s --help lists each flag once, with its choices once", async (cmd) => {
    const r = await cli(cmd, "--help");
    expect(r.code).toBe(0);
    // Option lines start with the flag column: "  -f, --format   ..." or "      --rung  ...".
    const options = r.stdout.slice(r.stdout.indexOf("Options:")).split(/\n\S/)[0]!;
    const flags = options
      .split("\n")
      .flatMap((l) => /^ {2,6}((?:-\w, )*--[\w-]+)/.exec(l)?.[1] ?? []);
    expect(flags.length).toBeGreaterThan(1);
    expect(flags.filter((f) => /(-\w), \1/.test(f))).toEqual([]);
    const names = flags.map((f) => f.replace(/^.*--/, ""));
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    for (const m of r.stdout.replace(/\s+/g, " ").matchAll(/\[choices: ([^\]]*)\]/g)) {
      const choices = m[1]!.split(", ");
      expect(new Set(choices).size).toBe(choices.length);
    }
  });

  it("report colours stdout's table by stdout and the environment", async () => {
    const saved = { FORCE_COLOR: process.env.FORCE_COLOR, TERM: process.env.TERM };
    try {
      process.env.FORCE_COLOR = "1";
      expect((await cli("report", "results/baseline.json")).stdout).toContain("\x1b[36m");
      delete process.env.FORCE_COLOR;
      process.env.TERM = "dumb";
      // stdout here is not a terminal (the test captures it) and TERM is dumb: plain.
      expect((await cli("report", "results/baseline.json")).stdout).not.toContain("\x1b[");
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });

  it("clean without --run or --all-runs is bad input (exit 2), never an internal error", async () => {
    const r = await cli("clean", "--dry-run");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/say whose leftovers: --run ID or --all-runs/);
    expect(r.stderr).not.toMatch(/internal error/);
  });

  it("list prints every rung of the modern ladder", async () => {
    const r = await cli("list");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/slim-dedupe/);
    expect(r.stdout).toMatch(/slim-squash/);
  });
});

describe("inspect and diff with no engine", () => {
  it("exit 0 within the gates, 1 over, 2 on a file that is no image; the engine never asked", async () => {
    const { classicSave } = await import("../fixtures/tar-fixtures.js");
    const { beforeLayers } = await import("../fixtures/crafted-images.js");
    const archive = await file("crafted.tar", (await classicSave(beforeLayers())).archive);
    const host = ["--docker-host", NO_ENGINE];
    expect((await cli("inspect", archive, "--no-gzip", ...host)).code).toBe(0);
    expect(
      (await cli("inspect", archive, "--no-gzip", "--max-wasted", "150kB", ...host)).code,
    ).toBe(0);
    const over = await cli("inspect", archive, "--no-gzip", "--max-wasted", "149999B", ...host);
    expect(over.code).toBe(1);
    expect(over.stdout).toMatch(/DIVE'S FORMULA/);
    const bad = await cli("inspect", await file("bad.tar", "not a tar"), ...host);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.tar: cannot read the image/);
    const diff = await cli("diff", archive, archive, "-f", "markdown", ...host);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/Size 284kB → 284kB \(0B\); wasted 150kB → 150kB/);
  }, 30_000);
});

describe("--context NAME on inspect and diff", () => {
  it("reads images from the docker context named, as run and check do", async () => {
    const { createHash } = await import("node:crypto");
    const config = join(dir, "docker-config");
    const id = createHash("sha256").update("sb-test").digest("hex");
    await mkdir(join(config, "contexts", "meta", id), { recursive: true });
    await writeFile(
      join(config, "contexts", "meta", id, "meta.json"),
      JSON.stringify({ Name: "sb-test", Endpoints: { docker: { Host: NO_ENGINE } } }),
    );
    vi.stubEnv("DOCKER_CONFIG", config);
    vi.stubEnv("DOCKER_HOST", "");
    vi.stubEnv("DOCKER_CONTEXT", "");
    try {
      // The context's (absent) engine is the one asked: the message names its socket.
      const unreachable =
        /cannot reach the Docker engine at unix:\/\/\/nonexistent\/shrinkbench-test\.sock/;
      const inspect = await cli("inspect", "myapp:1", "--context", "sb-test");
      expect(inspect.code).toBe(2);
      expect(inspect.stderr).toMatch(unreachable);
      const diff = await cli("diff", "myapp:1", "myapp:2", "--context", "sb-test");
      expect(diff.code).toBe(2);
      expect(diff.stderr).toMatch(unreachable);
      const missing = await cli("inspect", "myapp:1", "--context", "nope");
      expect(missing.stderr).toMatch(/docker context "nope" not found/);
      const both = await cli(
        "diff",
        "a:1",
        "b:1",
        "--context",
        "sb-test",
        "--docker-host",
        NO_ENGINE,
      );
      expect(both.code).toBe(2);
      expect(both.stderr).toMatch(/--docker-host and --context both given/);
    } finally {
      vi.unstubAllEnvs();
    }
  }, 30_000);
});
