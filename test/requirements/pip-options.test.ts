import { describe, expect, it } from "vitest";
import { parseRequirementsText } from "../../src/requirements/parse.js";
import { inputError, one, opts, reqs } from "../helpers/requirements.js";

describe("pip options in a requirements file", () => {
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
