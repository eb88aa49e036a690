import { describe, expect, it } from "vitest";
import { MAX_LINE_LENGTH, parseRequirementsText } from "../../src/requirements/parse.js";
import { inputError, one, reqs } from "../helpers/requirements.js";

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

describe("parseRequirementsText: includes", () => {
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
