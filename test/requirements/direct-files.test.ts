import { describe, expect, it } from "vitest";
import {
  directFileOf,
  directFiles,
  rewriteDirectFiles,
} from "../../src/requirements/direct-files.js";
import { flattenConstraints, flattenRequirements } from "../../src/requirements/flatten.js";
import { loadRequirements, packageFileCandidates } from "../../src/requirements/load.js";
import { files, inputError, one } from "../helpers/requirements.js";

const HASH = "a".repeat(64);
const WHL = "tiny_pkg-1.0-py3-none-any.whl";

/** Loads `text` as /proj/reqs/r.txt with the given files existing. */
function load(text: string, existing: string[], extra: Record<string, string> = {}) {
  return loadRequirements("/proj/reqs/r.txt", {
    readFile: files({ "/proj/reqs/r.txt": text, ...extra }),
    isFile: (p) => existing.includes(p),
    cwd: "/work",
  });
}

describe("direct file references", () => {
  it("an https wheel: file name, fragment, and a key without the fragment", () => {
    const req = one(`tiny-pkg @ https://user:tok@host.example/p/${WHL}#sha256=${HASH}`);
    expect(directFileOf(req)).toEqual({
      key: `https://user:tok@host.example/p/${WHL}`,
      location: { kind: "remote", url: `https://user:tok@host.example/p/${WHL}` },
      fileName: WHL,
      fragment: `#sha256=${HASH}`,
    });
  });

  it("a source archive with a token in the query is a file named by its path", () => {
    const f = directFileOf(one("pkg @ https://host.example/dl/pkg-2.0.tar.gz?token=abc"));
    expect(f?.fileName).toBe("pkg-2.0.tar.gz");
  });

  it("names, VCS URLs, folders and pages are not package files", () => {
    for (const line of [
      "numpy==1.26.4",
      "pkg @ git+https://host.example/pkg.git@v1",
      "pkg @ https://host.example/simple/pkg/",
    ]) {
      expect(directFileOf(one(line)), line).toBeUndefined();
    }
  });

  it("reads a relative wheel path from the requirements file's folder", () => {
    const set = load(`./wheels/${WHL}\n`, [`/proj/reqs/wheels/${WHL}`]);
    expect(set.requirements[0]).toMatchObject({
      name: "tiny-pkg",
      localFile: `/proj/reqs/wheels/${WHL}`,
    });
  });

  it("falls back to the current directory, as pip reads it", () => {
    const set = load(`wheels/${WHL}\n`, [`/work/wheels/${WHL}`]);
    expect(set.requirements[0]!.localFile).toBe(`/work/wheels/${WHL}`);
    expect(packageFileCandidates(set.requirements[0]!, "/work")).toEqual([
      `/proj/reqs/wheels/${WHL}`,
      `/work/wheels/${WHL}`,
    ]);
  });

  it("reads name @ file:/// and an absolute path as they are", () => {
    const set = load(`tiny-pkg @ file:///srv/w/${WHL}\n/srv/w/other-2.0-py3-none-any.whl\n`, [
      `/srv/w/${WHL}`,
      "/srv/w/other-2.0-py3-none-any.whl",
    ]);
    expect(set.requirements.map((r) => r.localFile)).toEqual([
      `/srv/w/${WHL}`,
      "/srv/w/other-2.0-py3-none-any.whl",
    ]);
  });

  it("a missing wheel: the line, the paths looked at, and the fix (exit 2)", () => {
    const err = inputError(() => load(`numpy==1.26.4\n./wheels/${WHL}\n`, []));
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(
      `/proj/reqs/r.txt:2: './wheels/${WHL}': no such file (looked for /proj/reqs/wheels/${WHL}, then /work/wheels/${WHL})`,
    );
    expect(err.hint).toMatch(/put tiny_pkg-1\.0-py3-none-any\.whl there.*tiny_pkg==1\.0/);
  });

  it("a pip freeze file:/// line from another machine says what pip freeze recorded", () => {
    const err = inputError(() => load(`tiny-pkg @ file:///home/u/dist/${WHL}\n`, []));
    expect(err.message).toMatch(
      /^\/proj\/reqs\/r\.txt:1: tiny-pkg @ file:\/\/\/home\/u\/dist\/.* points to a file that does not exist here/,
    );
    expect(err.hint).toMatch(/tiny-pkg==1\.0/);
  });

  it("a local folder still needs --app", () => {
    const err = inputError(() => load("./src/mypkg\n", []));
    expect(err.hint).toMatch(/--app DIR/);
  });

  it("rewrites every form to name @ server URL, keeping extras, markers, hashes and -c", () => {
    const text = [
      `./wheels/${WHL} ; python_version >= "3"`,
      `Other[fast] @ file:///srv/w/other-2.0-py3-none-any.whl --hash=sha256:${HASH}`,
      `remote @ https://user:tok@host.example/x/remote-3.0-py3-none-any.whl#sha256=${HASH}`,
      "numpy==1.26.4",
      "-c pins.txt",
    ].join("\n");
    const set = load(text, [`/proj/reqs/wheels/${WHL}`, "/srv/w/other-2.0-py3-none-any.whl"], {
      "/proj/reqs/pins.txt": `remote @ https://user:tok@host.example/x/remote-3.0-py3-none-any.whl\n`,
    });
    const found = directFiles(set);
    expect(found.map((f) => f.fileName)).toEqual([
      WHL,
      "other-2.0-py3-none-any.whl",
      "remote-3.0-py3-none-any.whl",
    ]);
    const served = rewriteDirectFiles(
      set,
      (f) => `http://127.0.0.1:9/d${found.findIndex((x) => x.key === f.key)}/${f.fileName}`,
    );
    expect(served.requirements.map((r) => r.line)).toEqual([
      `tiny_pkg @ http://127.0.0.1:9/d0/${WHL} ; python_version >= "3"`,
      `Other[fast] @ http://127.0.0.1:9/d1/other-2.0-py3-none-any.whl --hash=sha256:${HASH}`,
      `remote @ http://127.0.0.1:9/d2/remote-3.0-py3-none-any.whl#sha256=${HASH}`,
      "numpy==1.26.4",
    ]);
    // Names stay what the import test and the markers see.
    expect(served.requirements.map((r) => r.name)).toEqual(set.requirements.map((r) => r.name));
    expect(served.requirements.some((r) => r.localFile !== undefined)).toBe(false);
    const flat = flattenRequirements(served) + flattenConstraints(served);
    expect(flat).not.toMatch(/tok|\/srv\/|\/proj\/|file:/);
    expect(flattenConstraints(served)).toContain(
      "remote @ http://127.0.0.1:9/d2/remote-3.0-py3-none-any.whl",
    );
    // Unrewritten, the credentials are refused: they would be copied into the image.
    expect(() => flattenRequirements(set)).toThrow(/carries credentials/);
  });

  it("one mount per file, whatever number of lines name it", () => {
    const url = `https://host.example/x/${WHL}`;
    const set = load(`tiny-pkg @ ${url}\ntiny-pkg[extra] @ ${url}#sha256=${HASH}\n`, []);
    expect(directFiles(set)).toHaveLength(1);
  });
});
