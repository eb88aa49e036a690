import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { decodeRequirementsBytes, loadRequirements } from "../../src/requirements/load.js";
import { parseRequirementsText } from "../../src/requirements/parse.js";
import { requirementKind } from "../../src/requirements/references.js";
import { files, inputError, reqs } from "../helpers/requirements.js";

describe("decodeRequirementsBytes", () => {
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
