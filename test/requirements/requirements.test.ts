import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import {
  MAX_LINE_LENGTH,
  decodeRequirementsBytes,
  flattenConstraints,
  flattenRequirements,
  loadRequirements,
  normalizeName,
  parseRequirementsText,
  requirementKind,
  urlHasCredentials,
  type ParsedFile,
} from "../../src/requirements/requirements.js";
import type { PipOptionLine, Requirement } from "../../src/types.js";

const reqs = (p: ParsedFile): Requirement[] =>
  p.lines.flatMap((l) => (l.kind === "requirement" ? [l.requirement] : []));
const opts = (p: ParsedFile): PipOptionLine[] =>
  p.lines.flatMap((l) => (l.kind === "option" ? [l.option] : []));
const one = (line: string): Requirement => {
  const r = reqs(parseRequirementsText(line, "r.txt"));
  expect(r).toHaveLength(1);
  return r[0]!;
};

/** Runs fn, expects an InputError, returns it. */
function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error("expected an InputError");
}

const files = (map: Record<string, string>) => (p: string) => {
  const v = map[p];
  if (v === undefined) throw Object.assign(new Error(`ENOENT ${p}`), { code: "ENOENT" });
  return v;
};

describe("parseRequirementsText: lines", () => {
  it("skips comments and blank lines, numbers lines by their physical line", () => {
    const p = parseRequirementsText(
      "# top comment\n\nnumpy==1.26.4  # pinned\n   # indented comment\n\tpandas\n",
      "r.txt",
    );
    const r = reqs(p);
    expect(r.map((x) => [x.name, x.source.line, x.line])).toEqual([
      ["numpy", 3, "numpy==1.26.4"],
      ["pandas", 5, "pandas"],
    ]);
  });

  it("keeps # that is not preceded by whitespace (URL fragments)", () => {
    const r = one("git+https://example.com/repo.git#egg=MyPkg");
    expect(r.url).toBe("git+https://example.com/repo.git#egg=MyPkg");
    expect(r.name).toBe("mypkg");
  });

  it("joins backslash continuations; the location is the first physical line", () => {
    const text = [
      "flask==3.0.0 \\",
      "    --hash=sha256:" + "a".repeat(64) + " \\",
      "    --hash=sha256:" + "b".repeat(64),
      "six",
    ].join("\n");
    const r = reqs(parseRequirementsText(text, "r.txt"));
    expect(r).toHaveLength(2);
    expect(r[0]!.source.line).toBe(1);
    expect(r[0]!.specifier).toBe("==3.0.0");
    expect(r[0]!.line).toContain("--hash=sha256:" + "b".repeat(64));
    expect(r[1]!.source.line).toBe(4);
  });

  it("does not continue a comment line that ends in a backslash", () => {
    const r = reqs(parseRequirementsText("# comment \\\nnumpy\n", "r.txt"));
    expect(r.map((x) => x.name)).toEqual(["numpy"]);
  });

  it("accepts CRLF line endings and a UTF-8 BOM", () => {
    const r = reqs(parseRequirementsText("\uFEFFnumpy\r\npandas\r\n", "r.txt"));
    expect(r.map((x) => [x.name, x.source.line])).toEqual([
      ["numpy", 1],
      ["pandas", 2],
    ]);
  });
});

describe("parseRequirementsText: PEP 508", () => {
  it("normalises names per PEP 503 and keeps the raw name", () => {
    const r = one("Scikit_Learn..Extra-_-Thing>=1.0");
    expect(r.name).toBe("scikit-learn-extra-thing");
    expect(r.rawName).toBe("Scikit_Learn..Extra-_-Thing");
    expect(normalizeName("Foo.Bar_baz")).toBe("foo-bar-baz");
  });

  it("parses extras, specifiers and markers", () => {
    const r = one(
      'requests[socks, security] >= 2.31 , <3 ; python_version < "3.12" and os_name == "posix"',
    );
    expect(r.name).toBe("requests");
    expect(r.extras).toEqual(["socks", "security"]);
    expect(r.specifier).toBe(">=2.31,<3");
    expect(r.marker).toBe('python_version < "3.12" and os_name == "posix"');
    expect(r.url).toBeUndefined();
  });

  it("accepts parenthesised specifiers, wildcards, ~=, === and markers with in/not in", () => {
    expect(one("numpy (>=1.2,<2)").specifier).toBe(">=1.2,<2");
    expect(one("numpy==1.26.*").specifier).toBe("==1.26.*");
    expect(one("numpy~=1.26").specifier).toBe("~=1.26");
    expect(one("torch==2.1.0+cpu").specifier).toBe("==2.1.0+cpu");
    expect(one("weird===foo-bar").specifier).toBe("===foo-bar");
    expect(one("x; 'linux' in sys_platform or (platform_machine not in 'arm64')").marker).toBe(
      "'linux' in sys_platform or (platform_machine not in 'arm64')",
    );
  });

  it("parses name @ url direct references", () => {
    const r = one('pip @ https://example.com/pip-23.0-py3-none-any.whl ; python_version >= "3.8"');
    expect(r.name).toBe("pip");
    expect(r.url).toBe("https://example.com/pip-23.0-py3-none-any.whl");
    expect(r.marker).toBe('python_version >= "3.8"');
    expect(requirementKind(r)).toBe("url");
    expect(requirementKind(one("pkg @ file:///srv/pkg"))).toBe("local");
    expect(requirementKind(one("pkg[x]@git+https://h/r.git"))).toBe("url");
  });

  it("keeps --hash options in the line and validates them", () => {
    const h = "0".repeat(64);
    const r = one(`six==1.17.0 --hash=sha256:${h} --hash sha256:${h}`);
    expect(r.specifier).toBe("==1.17.0");
    expect(r.line).toBe(`six==1.17.0 --hash=sha256:${h} --hash sha256:${h}`);
    expect(inputError(() => one("six --hash=sha256:abc")).message).toMatch(
      /r\.txt:1: --hash sha256 value must be 64 hex digits/,
    );
    expect(inputError(() => one(`six --hash=md5:${"0".repeat(32)}`)).message).toMatch(
      /algorithm 'md5'/,
    );
  });
});

describe("parseRequirementsText: options, includes, paths", () => {
  it("turns option lines into PipOptionLine, with canonical long names", () => {
    const p = parseRequirementsText(
      [
        "-i https://mirror.example/simple",
        "--extra-index-url=https://extra.example/simple",
        "-f /opt/wheels",
        "--find-links ./wheels",
        "--trusted-host mirror.example",
        "--pre",
        "--no-binary :all:",
        "--only-binary=numpy,scipy",
        "--prefer-binary --no-index",
        "numpy",
      ].join("\n"),
      "r.txt",
    );
    expect(opts(p).map((o) => [o.option, o.value, o.source.line])).toEqual([
      ["--index-url", "https://mirror.example/simple", 1],
      ["--extra-index-url", "https://extra.example/simple", 2],
      ["--find-links", "/opt/wheels", 3],
      ["--find-links", "./wheels", 4],
      ["--trusted-host", "mirror.example", 5],
      ["--pre", undefined, 6],
      ["--no-binary", ":all:", 7],
      ["--only-binary", "numpy,scipy", 8],
      ["--prefer-binary", undefined, 9],
      ["--no-index", undefined, 9],
    ]);
    expect(reqs(p).map((r) => r.name)).toEqual(["numpy"]);
  });

  it("reports -r/--requirement and -c/--constraint includes", () => {
    const p = parseRequirementsText(
      "-r base.txt\n--requirement=dev.txt\n-c constraints.txt\n--constraint 'c 2.txt'\n",
      "r.txt",
    );
    const inc = p.lines.flatMap((l) => (l.kind === "include" ? [l.include] : []));
    expect(inc.map((i) => [i.path, i.constraint, i.source.line])).toEqual([
      ["base.txt", false, 1],
      ["dev.txt", false, 2],
      ["constraints.txt", true, 3],
      ["c 2.txt", true, 4],
    ]);
  });

  it("recognises -e and bare path/URL lines", () => {
    const p = parseRequirementsText(
      [
        "-e .",
        "--editable ./pkg[dev]",
        ".",
        "./libs/foo",
        "file:///srv/wheels/foo-1.0-py3-none-any.whl",
        "git+https://github.com/org/proj.git@v1#egg=Proj_X",
        "https://example.com/archive/bar-2.0.tar.gz",
        "local_thing-1.0-py3-none-any.whl",
      ].join("\n"),
      "r.txt",
    );
    const r = reqs(p);
    expect(r.map((x) => [requirementKind(x), x.name, x.url])).toEqual([
      ["editable", "", "."],
      ["editable", "", "./pkg"],
      ["local", "", "."],
      ["local", "", "./libs/foo"],
      ["local", "foo", "file:///srv/wheels/foo-1.0-py3-none-any.whl"],
      ["url", "proj-x", "git+https://github.com/org/proj.git@v1#egg=Proj_X"],
      ["url", "bar", "https://example.com/archive/bar-2.0.tar.gz"],
      ["local", "local-thing", "local_thing-1.0-py3-none-any.whl"],
    ]);
    expect(r[1]!.extras).toEqual(["dev"]);
    expect(r[0]!.line).toBe("-e .");
  });
});

describe("parseRequirementsText: errors name file:line and say how to fix", () => {
  const cases: [string, RegExp, RegExp?][] = [
    ["numpy=1.2", /r\.txt:2: invalid version operator '='/, /numpy==VERSION/],
    ["numpy 1.2", /r\.txt:2: unexpected '1.2' after 'numpy'/, /numpy==1\.2/],
    ["numpy>=", /r\.txt:2: expected a version after '>='/],
    ["numpy>=abc", /r\.txt:2: invalid version 'abc'/],
    ["numpy>=1.*", /invalid version '1\.\*'/, /wildcard works with == and !=/],
    ["numpy~=1", /invalid version '1'/, /at least two release numbers/],
    ["requests[socks", /r\.txt:2: unclosed '\['/],
    ["numpy; python_verison < '3'", /unknown marker variable 'python_verison'/],
    ["numpy;", /empty environment marker/],
    ["numpy; python_version <", /invalid environment marker/],
    ["--index-ur https://x", /r\.txt:2: unknown option '--index-ur'/, /--index-url/],
    ["--pre numpy", /unexpected 'numpy' after --pre/, /own line/],
    ["-i", /--index-url needs a value/],
    ["--pre=1", /--pre takes no value/],
    ["numpy --pre", /--pre cannot follow a requirement/],
    ["--hash=sha256:" + "0".repeat(64), /must follow a requirement/],
    ["numpy --install-option=--x", /--install-option is not supported/, /config-settings/],
    ["pkg @ ./local", /'\.\/local' after '@' is not a URL/, /file:\/\/\//],
    ["$$$", /expected a package name/],
    ["-i=https://x/simple", /short option takes its value after a space/, /--index-url=https/],
    ['pkg @ https://x/p.whl;python_version>"3"', /a ';' right after a URL/, /put a space/],
  ];
  for (const [line, msg, hint] of cases) {
    it(JSON.stringify(line), () => {
      const err = inputError(() => parseRequirementsText(`six\n${line}\n`, "r.txt"));
      expect(err.message).toMatch(msg);
      expect(err.hint ?? "").not.toBe(hint ? "" : "\u0000");
      if (hint) expect(err.hint).toMatch(hint);
    });
  }

  it("points at the first physical line of a continued line", () => {
    const err = inputError(() => parseRequirementsText("six\n\nnumpy \\\n  ==\\\n1.x\n", "r.txt"));
    expect(err.message).toMatch(/^r\.txt:3: /);
  });
});

describe("parseRequirementsText: junk", () => {
  it("refuses binary content (NUL bytes) naming the line", () => {
    const err = inputError(() => parseRequirementsText("numpy\n\u0000\u0001\u0002ELF", "bin.txt"));
    expect(err.message).toMatch(/^bin\.txt:2: binary content/);
  });

  it("refuses invalid UTF-8 naming the line", () => {
    const text = decodeRequirementsBytes(Buffer.from([0x6e, 0x0a, 0x6e, 0xff, 0xfe, 0x41, 0x0a]));
    const err = inputError(() => parseRequirementsText(text, "bad.txt"));
    expect(err.message).toMatch(/^bad\.txt:2: invalid UTF-8/);
  });

  it("decodes UTF-16 with a BOM (PowerShell redirection)", () => {
    const buf = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("numpy\r\n", "utf16le")]);
    expect(reqs(parseRequirementsText(decodeRequirementsBytes(buf), "r.txt"))[0]!.name).toBe(
      "numpy",
    );
  });

  it("refuses a line longer than 64 KiB", () => {
    const err = inputError(() =>
      parseRequirementsText(`numpy\n# ${"x".repeat(MAX_LINE_LENGTH)}\n`, "huge.txt"),
    );
    expect(err.message).toMatch(/^huge\.txt:2: line is \d+ characters long/);
  });

  it("refuses a logical line longer than 64 KiB built from continuations", () => {
    const piece = `${"x".repeat(1000)}\\\n`;
    const err = inputError(() => parseRequirementsText(piece.repeat(70) + "y\n", "long.txt"));
    expect(err.message).toMatch(/^long\.txt:1: logical line/);
  });
});

describe("loadRequirements", () => {
  it("follows -r and -c relative to the including file, in order", () => {
    const set = loadRequirements("proj/requirements.txt", {
      readFile: files({
        "proj/requirements.txt":
          "-i https://mirror.example/simple\nflask\n-r sub/base.txt\n-c constraints.txt\nsix\n",
        "proj/sub/base.txt": "numpy\n-r ../common.txt\n",
        "proj/common.txt": "Pandas\n",
        "proj/constraints.txt": "numpy<2\n",
      }),
    });
    expect(set.file).toBe("proj/requirements.txt");
    expect(set.requirements.map((r) => `${r.name}@${r.source.file}:${r.source.line}`)).toEqual([
      "flask@proj/requirements.txt:2",
      "numpy@proj/sub/base.txt:1",
      "pandas@proj/common.txt:1",
      "six@proj/requirements.txt:5",
    ]);
    expect(set.constraints.map((r) => `${r.name}${r.specifier}`)).toEqual(["numpy<2"]);
    expect(set.options.map((o) => o.option)).toEqual(["--index-url"]);
    expect(set.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("hashes the files read, in order", () => {
    const map = { "a.txt": "numpy\n-r b.txt\n", "b.txt": "six\n" };
    const h1 = loadRequirements("a.txt", { readFile: files(map) }).hash;
    const expected = createHash("sha256").update("numpy\n-r b.txt\n\0six\n\0").digest("hex");
    expect(h1).toBe(expected);
    const h2 = loadRequirements("a.txt", { readFile: files({ ...map, "b.txt": "six==1\n" }) }).hash;
    expect(h2).not.toBe(h1);
  });

  it("detects include cycles and names the chain", () => {
    const err = inputError(() =>
      loadRequirements("a.txt", {
        readFile: files({ "a.txt": "six\n-r b.txt\n", "b.txt": "numpy\n-c a.txt\n" }),
      }),
    );
    expect(err.message).toBe("b.txt:2: include cycle: a.txt -> b.txt -> a.txt");
    expect(err.hint).toMatch(/remove/);
  });

  it("allows the same file included twice without a cycle (diamond)", () => {
    const set = loadRequirements("a.txt", {
      readFile: files({
        "a.txt": "-r b.txt\n-r c.txt\n",
        "b.txt": "-r d.txt\n",
        "c.txt": "-r d.txt\n",
        "d.txt": "six\n",
      }),
    });
    expect(set.requirements.map((r) => r.name)).toEqual(["six", "six"]);
  });

  it("names the include line when an included file is missing", () => {
    const err = inputError(() =>
      loadRequirements("dir/a.txt", { readFile: files({ "dir/a.txt": "six\n-r nope.txt\n" }) }),
    );
    expect(err.message).toBe("dir/a.txt:2: -r nope.txt: no such file (looked for dir/nope.txt)");
    expect(err.hint).toMatch(/relative to the file that includes them/);
  });

  it("rejects -e and path requirements unless allowEditable", () => {
    const readFile = files({ "r.txt": "six\n-e .\n" });
    const err = inputError(() => loadRequirements("r.txt", { readFile }));
    expect(err.message).toMatch(/^r\.txt:2: '-e \.' installs from the project folder/);
    expect(err.hint).toMatch(/pass --app DIR/);
    const err2 = inputError(() =>
      loadRequirements("r.txt", { readFile: files({ "r.txt": "./libs/x\n" }) }),
    );
    expect(err2.hint).toMatch(/pass --app DIR/);
    const set = loadRequirements("r.txt", { readFile, allowEditable: true });
    expect(set.requirements.map((r) => requirementKind(r))).toEqual(["named", "editable"]);
    // Remote URL requirements need no project folder.
    expect(
      loadRequirements("r.txt", { readFile: files({ "r.txt": "git+https://h/x.git#egg=x\n" }) })
        .requirements[0]!.name,
    ).toBe("x");
  });

  it("applies pip's rules to constraints", () => {
    const load = (c: string) =>
      loadRequirements("r.txt", { readFile: files({ "r.txt": "six\n-c c.txt\n", "c.txt": c }) });
    expect(inputError(() => load("requests[socks]<3\n")).message).toMatch(
      /^c\.txt:1: constraints cannot have extras/,
    );
    expect(inputError(() => load("-e .\n")).message).toMatch(
      /editable requirements are not allowed/,
    );
    expect(inputError(() => load("./x\n")).message).toMatch(/unnamed requirements/);
  });

  it("refuses a set without requirements (empty file, only comments, only options)", () => {
    for (const text of ["", "\n\n# nothing\n", "--pre\n-c c.txt\n"]) {
      const err = inputError(() =>
        loadRequirements("r.txt", { readFile: files({ "r.txt": text, "c.txt": "six<2\n" }) }),
      );
      expect(err.message).toMatch(/^r\.txt: no requirements found/);
      expect(err.hint).toMatch(/at least one package/);
    }
  });

  it("refuses remote includes", () => {
    const err = inputError(() =>
      loadRequirements("r.txt", { readFile: files({ "r.txt": "-r https://x/r.txt\n" }) }),
    );
    expect(err.message).toMatch(/^r\.txt:1: remote includes are not supported/);
  });

  describe("with the real file system", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shrinkbench-req-"));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("reads files, resolving includes next to the including file", () => {
      fs.mkdirSync(path.join(dir, "sub"));
      fs.writeFileSync(path.join(dir, "requirements.txt"), "-r sub/base.txt\nflask\n");
      fs.writeFileSync(path.join(dir, "sub", "base.txt"), "numpy\n");
      const set = loadRequirements(path.join(dir, "requirements.txt"));
      expect(set.requirements.map((r) => r.name)).toEqual(["numpy", "flask"]);
    });

    it("says clearly when the file is missing, a directory, or unreadable", () => {
      expect(inputError(() => loadRequirements(path.join(dir, "nope.txt"))).message).toBe(
        `${path.join(dir, "nope.txt")}: no such file`,
      );
      expect(inputError(() => loadRequirements(dir)).message).toMatch(/is a directory/);
      const locked = path.join(dir, "locked.txt");
      fs.writeFileSync(locked, "six\n");
      fs.chmodSync(locked, 0o000);
      let readable = true;
      try {
        fs.readFileSync(locked);
      } catch {
        readable = false;
      }
      // root reads anything; only check the message where the OS refuses.
      if (!readable)
        expect(inputError(() => loadRequirements(locked)).message).toMatch(/permission denied/);
      fs.chmodSync(locked, 0o644);
    });

    it("names the file and line of binary junk", () => {
      const bin = path.join(dir, "junk.bin");
      fs.writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00]));
      expect(inputError(() => loadRequirements(bin)).message).toBe(
        `${bin}:1: binary content (NUL byte); this is not a requirements file`,
      );
    });
  });
});

describe("flattenRequirements / flattenConstraints", () => {
  const h = "f".repeat(64);
  const set = () =>
    loadRequirements("proj/requirements.txt", {
      readFile: files({
        "proj/requirements.txt": [
          "--index-url https://user:s3cret@mirror.example/simple",
          "--extra-index-url https://extra.example/simple",
          "-f /opt/wheels",
          "--trusted-host mirror.example",
          "--no-index",
          "--only-binary :all:",
          "--pre",
          `six==1.17.0 --hash=sha256:${h}`,
          "-r base.txt",
          "-c constraints.txt",
        ].join("\n"),
        "proj/base.txt": 'numpy>=1.26 ; python_version >= "3.10"\n',
        "proj/constraints.txt": "numpy<2\n",
      }),
    });

  it("writes every requirement line, without index/find-links options or credentials", () => {
    const text = flattenRequirements(set(), { constraintsFile: "constraints.txt" });
    expect(text).toContain("requirements.txt");
    expect(text.split("\n")[0]).toMatch(/^# /);
    expect(text).toContain(`six==1.17.0 --hash=sha256:${h}`);
    expect(text).toContain('numpy>=1.26 ; python_version >= "3.10"');
    expect(text).toContain("# from base.txt");
    expect(text).toContain("--only-binary :all:");
    expect(text).toContain("--pre");
    expect(text).toContain("-c constraints.txt");
    expect(text).not.toMatch(
      /index-url|find-links|trusted-host|no-index|s3cret|mirror|\/opt\/wheels/,
    );
    expect(text).not.toContain("numpy<2");
    // The flattened file parses back to the same requirements.
    const again = reqs(parseRequirementsText(text, "flat.txt"));
    expect(again.map((r) => r.name)).toEqual(["six", "numpy"]);
  });

  it("writes constraints apart", () => {
    const text = flattenConstraints(set());
    expect(text).toMatch(/^# Constraints of requirements\.txt/);
    expect(text).toContain("numpy<2");
    expect(text).not.toContain("six");
  });

  it("refuses requirements whose URL carries credentials", () => {
    const s = loadRequirements("r.txt", {
      readFile: files({ "r.txt": "six\npriv @ https://bob:tok@git.example/priv-1.0.tar.gz\n" }),
    });
    const err = inputError(() => flattenRequirements(s));
    expect(err.message).toMatch(/^r\.txt:2: this requirement's URL carries credentials/);
    expect(urlHasCredentials("https://token@host/x")).toBe(true);
    expect(urlHasCredentials("git+ssh://git@github.com/a/b.git")).toBe(false);
    expect(urlHasCredentials("https://${TOKEN}@host/x")).toBe(false);
    expect(urlHasCredentials("https://host/x@y")).toBe(false);
  });
});
