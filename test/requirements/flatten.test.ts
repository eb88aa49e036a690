import { describe, expect, it } from "vitest";
import {
  flattenConstraints,
  flattenRequirements,
  urlHasCredentials,
} from "../../src/requirements/flatten.js";
import { loadRequirements } from "../../src/requirements/load.js";
import { parseRequirementsText } from "../../src/requirements/parse.js";
import { files, inputError, reqs } from "../helpers/requirements.js";

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
