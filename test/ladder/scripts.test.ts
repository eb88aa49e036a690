// templates/scripts/prune.py and trace_files.py are product code that runs inside builds: run
// them here with the host's python3 on small trees made for the test.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { TEMPLATES_DIR } from "../../src/ladder/assets.js";

const python = spawnSync("python3", ["-c", "import sys; print(sys.version_info >= (3, 9))"], {
  encoding: "utf8",
});
const havePython = python.status === 0 && python.stdout.trim() === "True";
const script = (name: string) => join(TEMPLATES_DIR, "scripts", name);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-scripts-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(rel: string, content = `# ${rel}\n`): Promise<void> {
  await mkdir(dirname(join(dir, rel)), { recursive: true });
  await writeFile(join(dir, rel), content);
}

const SITE = "prefix/lib/python3.11/site-packages";

/** A site-packages with what prune.py removes, and what it must keep. */
async function sitePackages(): Promise<void> {
  await put(`${SITE}/pkg/__init__.py`, "from pkg import core\n");
  await put(`${SITE}/pkg/core.py`, "VALUE = 1\n");
  await put(`${SITE}/pkg/tests/__init__.py`);
  await put(`${SITE}/pkg/tests/test_core.py`);
  await put(`${SITE}/pkg/testing/__init__.py`);
  await put(`${SITE}/used/testing/__init__.py`);
  await put(`${SITE}/pkg/_ext.c`);
  await put(`${SITE}/pkg/include/pkg.h`);
  await put(`${SITE}/pkg/_ext.pyx`);
  await put(`${SITE}/pkg/libstatic.a`);
  await put(`${SITE}/pkg/core.pyi`);
  await put(`${SITE}/pkg/docs/index.rst`);
  await put(`${SITE}/pkg/doc/__init__.py`); // a package named doc: code, not docs
  await put(`${SITE}/pkg/data/descr.rst`); // data a program reads
  await put(`${SITE}/pkg-1.0.dist-info/METADATA`, "Name: pkg\n");
  await put(`${SITE}/pkg-1.0.dist-info/LICENSE.md`);
  await put(`${SITE}/pkg/__pycache__/core.cpython-311.pyc`, "bytecode");
}

function prune(...args: string[]) {
  const r = spawnSync("python3", [script("prune.py"), join(dir, "prefix"), ...args], {
    encoding: "utf8",
  });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

const has = (rel: string) => existsSync(join(dir, SITE, rel));

describe.skipIf(!havePython)("scripts/prune.py", () => {
  it("removes tests, sources, headers, static libraries, stubs and docs; keeps code, data and metadata", async () => {
    await sitePackages();
    const out = prune("--pyc", "keep");
    for (const gone of ["pkg/tests", "pkg/_ext.c", "pkg/include/pkg.h", "pkg/_ext.pyx"]) {
      expect(has(gone), gone).toBe(false);
    }
    for (const gone of ["pkg/libstatic.a", "pkg/core.pyi", "pkg/docs"])
      expect(has(gone), gone).toBe(false);
    for (const kept of [
      "pkg/__init__.py",
      "pkg/core.py",
      "pkg/doc/__init__.py",
      "pkg/data/descr.rst",
    ]) {
      expect(has(kept), kept).toBe(true);
    }
    expect(has("pkg-1.0.dist-info/LICENSE.md")).toBe(true);
    expect(has("pkg/__pycache__/core.cpython-311.pyc")).toBe(true);
    // Without a trace nothing proves testing/ unused: it stays.
    expect(has("pkg/testing/__init__.py")).toBe(true);
    expect(out).toMatch(/prune: tests: 0\.0 MB removed/);
  });

  it("removes testing/ only when the smoke test did not use it, and keeps whatever it used", async () => {
    await sitePackages();
    const used = join(dir, "used.txt");
    await writeFile(
      used,
      [join(dir, SITE, "used/testing/__init__.py"), join(dir, SITE, "pkg/tests/test_core.py")].join(
        "\n",
      ) + "\n",
    );
    const out = prune("--keep", used);
    expect(has("pkg/testing")).toBe(false);
    expect(has("used/testing/__init__.py")).toBe(true);
    expect(has("pkg/tests/test_core.py")).toBe(true); // used: kept, and said so
    expect(out).toContain(`prune: kept ${join(dir, SITE, "pkg/tests")}: the smoke test used it`);
  });

  it("--pyc none removes every .pyc and __pycache__, sources stay", async () => {
    await sitePackages();
    prune("--pyc", "none");
    expect(has("pkg/__pycache__")).toBe(false);
    expect(has("pkg/core.py")).toBe(true);
  });

  it("--pyc only compiles a .pyc beside each source and removes the sources, which still import", async () => {
    await sitePackages();
    await put(`${SITE}/pkg/broken.py`, "def (:\n");
    const used = join(dir, "used.txt");
    await writeFile(used, "\n");
    await writeFile(`${used}.opened`, join(dir, SITE, "pkg/__init__.py") + "\n");
    prune("--pyc", "only", "--keep", used);
    expect(has("pkg/__pycache__")).toBe(false);
    expect(has("pkg/core.py")).toBe(false);
    expect(has("pkg/core.pyc")).toBe(true);
    expect(has("pkg/broken.py")).toBe(true); // does not compile: kept as it is
    expect(has("pkg/__init__.py")).toBe(true); // read as a file by the smoke test: kept
    const r = spawnSync(
      "python3",
      ["-c", "import pkg.core; print(pkg.core.VALUE, pkg.core.__file__)"],
      {
        encoding: "utf8",
        cwd: join(dir, SITE),
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
      },
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^1 .*pkg\/core\.pyc\n$/);
  });

  it("--pyc only writes the same bytes whatever the sources' mtimes (unchecked-hash headers)", async () => {
    const once = async (mtime: number) => {
      await rm(join(dir, "prefix"), { recursive: true, force: true });
      await sitePackages();
      // pip gives installed files the install time: two builds, two mtimes.
      for (const f of ["pkg/__init__.py", "pkg/core.py"]) {
        await utimes(join(dir, SITE, f), mtime, mtime);
      }
      // A legacy .pyc a wheel shipped, with a header of its own: rewritten too.
      await writeFile(join(dir, SITE, "pkg/core.pyc"), "stale");
      prune("--pyc", "only");
      return Promise.all(
        ["pkg/__init__.pyc", "pkg/core.pyc"].map((f) => readFile(join(dir, SITE, f))),
      );
    };
    const a = await once(1_700_000_000);
    const b = await once(1_800_000_123);
    expect(a[1]!.length).toBeGreaterThan(16);
    expect(a).toEqual(b);
    // Flags word: bit 0 hash-based, bit 1 checked against the source: 1 is unchecked-hash.
    expect(a[1]!.readUInt32LE(4)).toBe(1);
  });

  it("refuses an unknown policy", () => {
    const r = spawnSync("python3", [script("prune.py"), dir, "--pyc", "some"], {
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("usage: prune.py");
  });
});

describe.skipIf(!havePython)("scripts/trace_files.py", () => {
  it("lists the files every Python process of the smoke test used, and the libraries mapped", async () => {
    const smoke = join(dir, "smoke");
    await put("lib/tracedpkg/__init__.py", "import json\nfrom tracedpkg import sub\n");
    await put("lib/tracedpkg/sub.py", "X = 1\n");
    await put("lib/tracedpkg/data.txt", "data\n");
    await put("lib/tracedpkg/unused.py", "Y = 1\n");
    // The smoke test reads a data file and starts a child interpreter that imports the package.
    await put(
      "smoke/shrinkbench_smoke.py",
      [
        "import os, subprocess, sys",
        `sys.path.insert(0, ${JSON.stringify(join(dir, "lib"))})`,
        "import tracedpkg",
        "open(os.path.join(os.path.dirname(tracedpkg.__file__), 'data.txt')).read()",
        `code = subprocess.run([sys.executable, '-c', 'import sys; sys.path.insert(0, ${JSON.stringify(join(dir, "lib"))}); import tracedpkg.sub, csv']).returncode`,
        "print('args', sys.argv[1:])",
        "sys.exit(code)",
      ].join("\n") + "\n",
    );
    await put("smoke/argv.json", '["a", "b c"]\n');
    const out = join(dir, "used.txt");
    const r = spawnSync("python3", [script("trace_files.py"), out, smoke], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("args ['a', 'b c']");
    const files = (await readFile(out, "utf8")).split("\n");
    const lib = (p: string) => join(dir, "lib/tracedpkg", p);
    expect(files).toContain(lib("__init__.py"));
    expect(files).toContain(lib("sub.py"));
    expect(files).toContain(lib("data.txt"));
    expect(files).not.toContain(lib("unused.py"));
    // The child interpreter's own import of csv (an extension module maps _csv).
    expect(files.some((f) => /\/csv\.py$/.test(f))).toBe(true);
    // The interpreter and the C library come from /proc/self/maps.
    expect(files.some((f) => /\/libc[.-]/.test(f) || /\/libc\.so/.test(f))).toBe(true);
    // The smoke test's own files are not part of the image.
    expect(files.some((f) => f.startsWith(smoke))).toBe(false);
    const opened = (await readFile(`${out}.opened`, "utf8")).split("\n");
    expect(opened).toContain(lib("data.txt"));
  });

  it("fails when the smoke test fails, unless --allow-fail", async () => {
    await put("smoke/shrinkbench_smoke.py", "import sys\nsys.exit(3)\n");
    await put("smoke/argv.json", "[]\n");
    const out = join(dir, "used.txt");
    const fail = spawnSync("python3", [script("trace_files.py"), out, join(dir, "smoke")], {
      encoding: "utf8",
    });
    expect(fail.status).toBe(3);
    expect(fail.stderr).toContain("the smoke test fails in the builder already");
    const allowed = spawnSync(
      "python3",
      [script("trace_files.py"), out, join(dir, "smoke"), "--allow-fail"],
      { encoding: "utf8" },
    );
    expect(allowed.status).toBe(0);
    expect(existsSync(out)).toBe(true);
  });
});
