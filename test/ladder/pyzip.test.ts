// templates/scripts/pyzip.py runs inside scratch builds: what goes into the bytecode zips and what
// stays as files, on small trees made for the test, run with the host's python3.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, symlinkSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { TEMPLATES_DIR } from "../../src/ladder/assets.js";

const python = spawnSync("python3", ["-c", "import sys; print(sys.version_info >= (3, 9))"], {
  encoding: "utf8",
});
const havePython = python.status === 0 && python.stdout.trim() === "True";
const PYZIP = join(TEMPLATES_DIR, "scripts", "pyzip.py");

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-pyzip-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(rel: string, content = ""): Promise<void> {
  await mkdir(dirname(join(dir, rel)), { recursive: true });
  await writeFile(join(dir, rel), content);
}

function py(args: string[], env: Record<string, string> = {}) {
  return spawnSync("python3", args, {
    encoding: "utf8",
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", ...env },
  });
}

/** Compiles every .py under rel: legacy .pyc beside each (prune.py --pyc only) or __pycache__. */
function compile(rel: string, legacy: boolean): void {
  const r = py(["-m", "compileall", "-q", ...(legacy ? ["-b"] : []), join(dir, rel)]);
  expect(r.status, r.stderr + r.stdout).toBe(0);
}

/** A site-packages as prune.py --pyc only leaves it: legacy .pyc, sources only where read. */
async function site(): Promise<string> {
  await put("site/purepkg/__init__.py", "from purepkg.sub import mod\nVALUE = mod.X\n");
  await put("site/purepkg/sub/__init__.py");
  await put("site/purepkg/sub/mod.py", "X = 41 + 1\n");
  await put("site/purepkg/py.typed");
  await put("site/single.py", "Y = 'single'\n");
  await put("site/extpkg/__init__.py");
  await put("site/extpkg/_speedups.cpython-311-x86_64-linux-gnu.so", "\x7fELF");
  await put("site/datapkg/__init__.py");
  await put("site/datapkg/table.csv", "a,b\n");
  await put("site/filepkg/__init__.py", "import os\nHERE = os.path.dirname(__file__)\n");
  await put("site/attrpkg/__init__.py", "import json\nWHERE = json.__file__\n");
  // getattr(m, "__file__") on another module (joblib's spawn does this for __main__): no read
  // of a location this package holds.
  await put("site/constpkg/__init__.py", "import sys\nM = getattr(sys, '__file__', None)\n");
  await put("site/denied/__init__.py");
  await put("site/pure-1.0.dist-info/METADATA", "Name: pure\n");
  compile("site", true);
  for (const rel of [
    "purepkg/__init__.py",
    "purepkg/sub/__init__.py",
    "purepkg/sub/mod.py",
    "single.py",
    "extpkg/__init__.py",
    "datapkg/__init__.py",
    "filepkg/__init__.py",
    "attrpkg/__init__.py",
    "constpkg/__init__.py",
    "denied/__init__.py",
  ]) {
    await rm(join(dir, "site", rel));
  }
  // A source the smoke test read as a file: prune.py kept it beside its bytecode.
  await put("site/readsrc/__init__.py", "Z = 1\n");
  compile("site/readsrc", true);
  return join(dir, "site");
}

function plan(...args: string[]): { zipped: string[]; kept: Record<string, string> } {
  const r = py([PYZIP, ...args, "--plan"]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

const sha = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex");

describe.skipIf(!havePython)("scripts/pyzip.py site", () => {
  it("zips only packages of bytecode that read no __file__; says why each other one stays", async () => {
    const sp = await site();
    const p = plan("site", sp, "--deny", "denied");
    expect(p.zipped.sort()).toEqual(["constpkg", "purepkg", "single"]);
    expect(p.kept.extpkg).toMatch(/^extension module extpkg\/_speedups/);
    expect(p.kept.datapkg).toBe("data file datapkg/table.csv");
    expect(p.kept.filepkg).toMatch(/filepkg\/__init__\.pyc reads __file__/);
    expect(p.kept.attrpkg).toMatch(/reads __file__/);
    expect(p.kept.readsrc).toMatch(/^source readsrc\/__init__\.py kept as a file/);
    expect(p.kept.denied).toBe("denied (--deny)");
    expect(Object.keys(p.kept)).not.toContain("pure-1.0.dist-info");
  });

  it("writes the zip and a .pth, removes what it holds, and the packages import from it", async () => {
    const sp = await site();
    const r = py([PYZIP, "site", sp]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pyzip: 4 of 9 entries .* MB zip/);
    expect(await readFile(join(sp, "shrinkbench-bytecode.pth"), "utf8")).toBe(
      "shrinkbench-bytecode.zip\n",
    );
    expect(existsSync(join(sp, "purepkg"))).toBe(false);
    expect(existsSync(join(sp, "single.pyc"))).toBe(false);
    expect(existsSync(join(sp, "datapkg/table.csv"))).toBe(true);
    expect(existsSync(join(sp, "extpkg/__init__.pyc"))).toBe(true);
    expect(existsSync(join(sp, "pure-1.0.dist-info/METADATA"))).toBe(true);
    // site.addsitedir reads the .pth as Python's startup does for the user site-packages.
    const imp = py([
      "-c",
      `import site; site.addsitedir(${JSON.stringify(sp)}); import purepkg, single, datapkg; ` +
        "print(purepkg.VALUE, single.Y, purepkg.__file__, datapkg.__file__)",
    ]);
    expect(imp.stderr).toBe("");
    const [value, y, zipped, onDisk] = imp.stdout.trim().split(" ");
    expect([value, y]).toEqual(["42", "single"]);
    expect(zipped).toBe(join(sp, "shrinkbench-bytecode.zip", "purepkg", "__init__.pyc"));
    expect(onDisk).toBe(join(sp, "datapkg", "__init__.pyc"));
  });

  it("writes the same zip bytes every time", async () => {
    const sp = await site();
    await cp(sp, join(dir, "again"), { recursive: true });
    expect(py([PYZIP, "site", sp]).status).toBe(0);
    expect(py([PYZIP, "site", join(dir, "again")]).status).toBe(0);
    expect(await sha(join(sp, "shrinkbench-bytecode.zip"))).toBe(
      await sha(join(dir, "again", "shrinkbench-bytecode.zip")),
    );
  });

  it("writes nothing when no package is bytecode only", async () => {
    await put("site/extpkg/__init__.pyc", "x");
    await put("site/extpkg/_c.so", "\x7fELF");
    const r = py([PYZIP, "site", join(dir, "site")]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("nothing in");
    expect(existsSync(join(dir, "site", "shrinkbench-bytecode.pth"))).toBe(false);
  });
});

describe.skipIf(!havePython)("scripts/pyzip.py stdlib", () => {
  async function stdlib(): Promise<string> {
    await put("lib/os.py", "# the prefix landmark\n");
    await put("lib/sbmod.py", "import sbpkg\nVALUE = sbpkg.W\n");
    await put("lib/sbpkg/__init__.py", "W = 'from the zip'\n");
    await put("lib/sbdata/__init__.py");
    await put("lib/sbdata/Grammar.txt", "grammar\n");
    await put("lib/lib-dynload/_sbext.cpython-311-x86_64-linux-gnu.so", "\x7fELF");
    // A __pycache__ .pyc for sbmod only: sbpkg is compiled when the zip is written.
    compile("lib/sbmod.py", false);
    symlinkSync(join(dir, "lib", "sbmod.py"), join(dir, "lib", "sblink.py"));
    return join(dir, "lib");
  }

  it("zips sources as bytecode, keeps os (the landmark), data packages, symlinks and lib-dynload", async () => {
    const lib = await stdlib();
    const p = plan("stdlib", lib, join(dir, "python311.zip"));
    expect(p.zipped.sort()).toEqual(["sbmod", "sbpkg"]);
    expect(p.kept).toEqual({ sbdata: "data file sbdata/Grammar.txt", sblink: "a symlink" });
    const r = py([PYZIP, "stdlib", lib, join(dir, "python311.zip")]);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(lib, "sbmod.py"))).toBe(false);
    expect(existsSync(join(lib, "__pycache__"))).toBe(true); // only os's bytecode may be there
    expect(existsSync(join(lib, "sbpkg"))).toBe(false);
    expect(existsSync(join(lib, "os.py"))).toBe(true);
    expect(existsSync(join(lib, "lib-dynload"))).toBe(true);
    const imp = py([
      "-c",
      `import sys; sys.path.insert(0, ${JSON.stringify(join(dir, "python311.zip"))}); ` +
        "import sbmod; print(sbmod.VALUE, sbmod.__file__)",
    ]);
    expect(imp.stderr).toBe("");
    expect(imp.stdout.trim()).toBe(`from the zip ${join(dir, "python311.zip", "sbmod.pyc")}`);
  });
});

describe.skipIf(!havePython)("scripts/rootfs.py read_as_source", () => {
  it("names the top-level stdlib modules whose source the traced test opened as a file", async () => {
    const listing = join(dir, "used.txt");
    await put("used.txt", "/usr/lib/python3.11/json/__init__.py\n");
    await put(
      "used.txt.opened",
      [
        "/usr/lib/python3.11/json/__init__.py",
        "/usr/lib/python3.11/inspect.py",
        "/usr/lib/python3.11/__pycache__/abc.cpython-311.pyc", // bytecode: read by the importer
        "/usr/lib/python3.11/lib-dynload/x.txt",
        "/root/.local/lib/python3.11/site-packages/pkg/mod.py", // prune.py's business
      ].join("\n") + "\n",
    );
    const r = py([
      "-c",
      `import sys; sys.path.insert(0, ${JSON.stringify(join(TEMPLATES_DIR, "scripts"))}); ` +
        `import rootfs; print(rootfs.read_as_source(${JSON.stringify(listing)}, "/usr/lib/python3.11"), ` +
        `rootfs.read_as_source(None, "/usr/lib/python3.11"))`,
    ]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("['inspect', 'json'] []");
  });
});

describe.skipIf(!havePython)("scripts/rootfs.py clamp_mtimes", () => {
  const clamp = (env: Record<string, string> = {}) =>
    py(
      [
        "-c",
        `import sys; sys.path.insert(0, ${JSON.stringify(join(TEMPLATES_DIR, "scripts"))}); ` +
          `import rootfs; print(rootfs.clamp_mtimes(${JSON.stringify(join(dir, "out"))}, rootfs.source_date_epoch()))`,
      ],
      env,
    );
  const mtimeOf = (rel: string) =>
    py([
      "-c",
      `import os; print(int(os.lstat(${JSON.stringify(join(dir, rel))}).st_mtime))`,
    ]).stdout.trim();

  it("gives every later mtime the epoch, and spares a source whose timestamp .pyc matches it", async () => {
    await put("out/site/pkg/data.txt", "x");
    await put("out/lib/kept.py", "A = 1\n");
    await put("out/lib/stale.py", "B = 1\n");
    symlinkSync("lib", join(dir, "out/lib64"));
    // kept.py gets a valid timestamp .pyc; stale.py a .pyc of another mtime (already invalid).
    const r = py(
      [
        "-c",
        "import py_compile, os, sys\n" +
          "for n in ('kept', 'stale'):\n" +
          "    py_compile.compile(os.path.join(sys.argv[1], n + '.py'), doraise=True)\n" +
          "os.utime(os.path.join(sys.argv[1], 'stale.py'), (1_800_000_000, 1_800_000_000))\n",
        join(dir, "out/lib"),
      ],
      { PYTHONDONTWRITEBYTECODE: "" },
    );
    expect(r.stderr).toBe("");
    const keptBefore = mtimeOf("out/lib/kept.py");
    const done = clamp({ SOURCE_DATE_EPOCH: "86400" });
    expect(done.stderr).toBe("");
    for (const rel of [
      "out",
      "out/site",
      "out/site/pkg/data.txt",
      "out/lib64",
      "out/lib/stale.py",
    ]) {
      expect([rel, mtimeOf(rel)]).toEqual([rel, "86400"]);
    }
    expect(mtimeOf("out/lib/kept.py")).toBe(keptBefore);
    // Already earlier than the epoch: left alone.
    expect(clamp({ SOURCE_DATE_EPOCH: "172800" }).stdout.trim()).toBe("0");
    expect(mtimeOf("out/site/pkg/data.txt")).toBe("86400");
  });

  it("uses 0 without SOURCE_DATE_EPOCH and refuses one that is not a number", async () => {
    await put("out/a.txt", "a");
    expect(clamp().stdout.trim()).not.toBe("0");
    expect(mtimeOf("out/a.txt")).toBe("0");
    const bad = clamp({ SOURCE_DATE_EPOCH: "yesterday" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("SOURCE_DATE_EPOCH='yesterday' is not a number");
  });
});
