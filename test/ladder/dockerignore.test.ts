// .dockerignore semantics as Docker documents them (docs.docker.com, "Dockerignore files") and
// as moby/patternmatcher implements them: Go filepath.Match globs plus `**`, a pattern also
// excludes everything below a directory it matches, `!` re-includes, the last match wins.
import { describe, expect, it } from "vitest";

import { isIgnored, parseDockerignore } from "../../src/ladder/dockerignore.js";
import { InputError } from "../../src/errors.js";

/** The paths of `paths` that `text` excludes. */
function excluded(text: string, paths: string[]): string[] {
  const rules = parseDockerignore(text);
  return paths.filter((p) => isIgnored(rules, p));
}

describe("parseDockerignore", () => {
  it("skips blank lines and comments", () => {
    expect(parseDockerignore("\n# a comment\n   \n\t\n")).toEqual([]);
    expect(parseDockerignore("# node_modules\nvenv\n")).toHaveLength(1);
  });

  it("treats # as a comment only in column 1, as Docker does", () => {
    // "If a line starts with # in column 1, then this line is considered as a comment".
    expect(excluded("  #notes", ["#notes", "notes"])).toEqual(["#notes"]);
  });

  it("ignores a UTF-8 byte order mark", () => {
    expect(excluded("\uFEFF# comment\nvenv", ["venv", "# comment"])).toEqual(["venv"]);
    expect(excluded("\uFEFFvenv", ["venv"])).toEqual(["venv"]);
  });

  it("handles CRLF line endings and surrounding whitespace", () => {
    expect(excluded("venv\r\n  data  \r\n", ["venv", "data", "src"])).toEqual(["venv", "data"]);
  });

  it("refuses a pattern Docker refuses, naming the file and line", () => {
    expect(() => parseDockerignore("venv\nfile[z-a].txt", "app/.dockerignore")).toThrow(InputError);
    expect(() => parseDockerignore("venv\nfile[z-a].txt", "app/.dockerignore")).toThrow(
      /^app\/\.dockerignore:2: "file\[z-a\]\.txt" is not a valid pattern/,
    );
  });

  it("refuses an unterminated [ (Go's filepath.Match: syntax error) but takes \\[ literally", () => {
    expect(() => parseDockerignore("a[b")).toThrow(
      /^\.dockerignore:1: "a\[b" is not a valid pattern: unterminated \[/,
    );
    expect(excluded("a\\[b", ["a[b", "ab"])).toEqual(["a[b"]);
  });

  it("marks ! lines as re-includes", () => {
    expect(parseDockerignore("*.md\n!README.md").map((r) => r.negate)).toEqual([false, true]);
    expect(parseDockerignore("! README.md")[0]!.negate).toBe(true);
  });
});

describe("isIgnored", () => {
  it("excludes nothing without rules", () => {
    expect(isIgnored([], "anything/at/all")).toBe(false);
  });

  it("matches a plain name at the root only (not like .gitignore)", () => {
    expect(excluded("data", ["data", "src/data", "database"])).toEqual(["data"]);
  });

  it("excludes everything below a matched directory", () => {
    expect(excluded("data", ["data/raw/big.csv", "data/x", "src/x"])).toEqual([
      "data/raw/big.csv",
      "data/x",
    ]);
    expect(excluded("src/cache", ["src/cache/a/b", "src/cached", "src"])).toEqual([
      "src/cache/a/b",
    ]);
  });

  it("treats a trailing slash, a leading slash and ./ as the same path", () => {
    for (const p of ["data/", "/data", "./data", "/data/", "data/."]) {
      expect(excluded(p, ["data", "data/x", "src/data"])).toEqual(["data", "data/x"]);
    }
    expect(excluded("/foo/bar", ["foo/bar", "bar", "foo"])).toEqual(["foo/bar"]);
  });

  it("cleans .. like filepath.Clean", () => {
    expect(excluded("a/../b", ["b", "a", "a/b"])).toEqual(["b"]);
  });

  it("* matches within one path segment", () => {
    expect(excluded("*.pyc", ["x.pyc", ".pyc", "pkg/x.pyc", "x.pyco"])).toEqual(["x.pyc", ".pyc"]);
    expect(
      excluded("*/temp*", ["somedir/temporary.txt", "somedir/temp", "temp", "a/b/temp"]),
    ).toEqual(["somedir/temporary.txt", "somedir/temp"]);
    expect(excluded("*/*/temp*", ["somedir/subdir/temporary.txt", "somedir/temp"])).toEqual([
      "somedir/subdir/temporary.txt",
    ]);
  });

  it("* alone excludes everything", () => {
    expect(excluded("*", ["a", "b/c", ".git/HEAD"])).toEqual(["a", "b/c", ".git/HEAD"]);
  });

  it("? matches one character, never a slash", () => {
    expect(excluded("temp?", ["tempa", "tempb", "temp", "tempab", "temp/"])).toEqual([
      "tempa",
      "tempb",
    ]);
    expect(excluded("a?b", ["a/b", "axb"])).toEqual(["axb"]);
  });

  it("**/ matches any number of directories, including none", () => {
    expect(excluded("**/*.go", ["main.go", "a/main.go", "a/b/c/main.go", "main.gox"])).toEqual([
      "main.go",
      "a/main.go",
      "a/b/c/main.go",
    ]);
    expect(
      excluded("**/__pycache__", ["__pycache__/x.pyc", "pkg/__pycache__/x.pyc", "pkg/x.py"]),
    ).toEqual(["__pycache__/x.pyc", "pkg/__pycache__/x.pyc"]);
    expect(excluded("a/**/b", ["a/b", "a/x/b", "a/x/y/b", "a/xb", "b"])).toEqual([
      "a/b",
      "a/x/b",
      "a/x/y/b",
    ]);
  });

  it("a trailing ** matches everything below", () => {
    expect(excluded("data/**", ["data/x", "data/a/b", "datax", "data"])).toEqual([
      "data/x",
      "data/a/b",
    ]);
    expect(excluded("**", ["a", "a/b"])).toEqual(["a", "a/b"]);
  });

  it("** inside a segment spans directories only at a boundary, as moby's patternmatcher does", () => {
    // moby translates a non-trailing ** to (.*/)?, so "a**b" is "a", any directories, then "b".
    expect(excluded("a**b", ["ab", "ax/b", "axb"])).toEqual(["ab", "ax/b"]);
  });

  it("character classes follow Go's filepath.Match: ^ negates, ! is a member", () => {
    expect(excluded("file[0-9].txt", ["file1.txt", "filex.txt"])).toEqual(["file1.txt"]);
    expect(excluded("file[^0-9].txt", ["file1.txt", "filex.txt"])).toEqual(["filex.txt"]);
    expect(excluded("file[!0-9].txt", ["file!.txt", "file1.txt", "filex.txt"])).toEqual([
      "file!.txt",
      "file1.txt",
    ]);
  });

  it("escapes regex characters and honours backslash escapes", () => {
    expect(excluded("a.b", ["a.b", "axb"])).toEqual(["a.b"]);
    expect(excluded("(x)+{1}$", ["(x)+{1}$", "xx"])).toEqual(["(x)+{1}$"]);
    expect(excluded("\\*.txt", ["*.txt", "a.txt"])).toEqual(["*.txt"]);
  });

  describe("! re-includes, and the last matching line wins", () => {
    it("keeps README.md out of *.md", () => {
      expect(excluded("*.md\n!README.md", ["README.md", "CHANGES.md", "docs/x.md"])).toEqual([
        "CHANGES.md",
      ]);
    });

    it("Docker's example: a later exclusion beats an earlier re-include", () => {
      expect(
        excluded("*.md\n!README*.md\nREADME-secret.md", [
          "README.md",
          "README-secret.md",
          "other.md",
        ]),
      ).toEqual(["README-secret.md", "other.md"]);
    });

    it("Docker's example: a later re-include beats an earlier exclusion", () => {
      expect(
        excluded("*.md\nREADME-secret.md\n!README*.md", [
          "README.md",
          "README-secret.md",
          "other.md",
        ]),
      ).toEqual(["other.md"]);
    });

    it("re-includes a file below an excluded directory", () => {
      expect(excluded("data\n!data/keep.txt", ["data/keep.txt", "data/drop.txt", "data"])).toEqual([
        "data/drop.txt",
        "data",
      ]);
    });

    it("* then ! lists what to include", () => {
      expect(
        excluded("*\n!app.py\n!pkg", ["app.py", "pkg/mod.py", "secrets.env", ".git/config"]),
      ).toEqual(["secrets.env", ".git/config"]);
    });

    it("re-including a directory brings back its contents", () => {
      expect(excluded("*\n!src", ["src/a/b.py", "tests/t.py"])).toEqual(["tests/t.py"]);
    });

    it("a re-include that comes first changes nothing", () => {
      expect(excluded("!venv\nvenv", ["venv/bin/python"])).toEqual(["venv/bin/python"]);
    });
  });

  it("handles the talk's .dockerignore", () => {
    const text = [
      ".git",
      "venv",
      "data/",
      "notebooks",
      "**/__pycache__",
      "**/*.pyc",
      ".pytest_cache",
    ].join("\n");
    expect(
      excluded(text, [
        ".git/objects/ab/cdef",
        "venv/lib/python3.11/site-packages/numpy/__init__.py",
        "data/train.parquet",
        "notebooks/explore.ipynb",
        "app/__pycache__/main.cpython-311.pyc",
        "app/main.py",
        "requirements.txt",
        "app/util.pyc",
      ]),
    ).toEqual([
      ".git/objects/ab/cdef",
      "venv/lib/python3.11/site-packages/numpy/__init__.py",
      "data/train.parquet",
      "notebooks/explore.ipynb",
      "app/__pycache__/main.cpython-311.pyc",
      "app/util.pyc",
    ]);
  });

  it("normalises the path it is given", () => {
    const rules = parseDockerignore("data");
    expect(isIgnored(rules, "./data/x")).toBe(true);
    expect(isIgnored(rules, "data/")).toBe(true);
  });
});
