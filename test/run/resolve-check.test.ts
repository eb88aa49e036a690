import { describe, expect, it } from "vitest";
import { parsePipFailure } from "../../src/requirements/pip-errors.js";
import { loadRequirements } from "../../src/requirements/load.js";
import { describeSources, sourceFlags, unsatisfiable } from "../../src/run/resolve-check.js";
import { files } from "../helpers/requirements.js";

const sources = {
  indexUrl: "https://bob:s3cret@mirror.example/simple",
  extraIndexUrls: ["file:///opt/pypi/simple"],
  findLinks: ["/opt/wheels"],
  trustedHosts: [],
};
const set = loadRequirements("r.txt", { readFile: files({ "r.txt": "six\nnumpy>=99\n" }) });

describe("the pre-build resolve's verdicts", () => {
  it("names the line, the sources tried (credentials masked) and the versions that exist", () => {
    const f = parsePipFailure(
      "ERROR: Could not find a version that satisfies the requirement numpy>=99 (from versions: 1.26.4, 2.4.6)\nERROR: No matching distribution found for numpy>=99\n",
    )!;
    const err = unsatisfiable(f, set, sources);
    expect(err.message).toBe(
      "r.txt:2: numpy>=99: no source has a matching distribution for numpy>=99; sources tried: https://bob:***@mirror.example/simple, file:///opt/pypi/simple, /opt/wheels (find-links); versions that exist there: 1.26.4, 2.4.6",
    );
    expect(err.message).not.toContain("s3cret");
  });

  it("says when the missing one is a dependency, not a line of the file", () => {
    const f = parsePipFailure("ERROR: No matching distribution found for tzdata>=2022.7")!;
    expect(unsatisfiable(f, set, sources).message).toMatch(
      /^tzdata>=2022\.7 \(a dependency of a requirement\): .*versions that exist there: none$/,
    );
  });

  it("passes the build's sources to pip as flags", () => {
    expect(sourceFlags({ ...sources, indexUrl: "http://127.0.0.1:1/i0/simple/" })).toEqual([
      "--index-url",
      "http://127.0.0.1:1/i0/simple/",
      "--extra-index-url",
      "file:///opt/pypi/simple",
      "--find-links",
      "/opt/wheels",
    ]);
    expect(sourceFlags({ ...sources, noIndex: true })).toEqual([
      "--no-index",
      "--find-links",
      "/opt/wheels",
    ]);
    expect(describeSources({ extraIndexUrls: [], findLinks: [], trustedHosts: [] })).toBe(
      "https://pypi.org/simple/ (pip's default)",
    );
  });
});
