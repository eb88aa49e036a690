// Fetching a wheelhouse on this machine with its own pip, through the run's package server.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ShrinkbenchError } from "../../src/errors.js";
import { startIndexServer } from "../../src/packages/index-server.js";
import { parseTargetPython, TARGET_SCRIPT } from "../../src/packages/target-python.js";
import { fetchWheelhouse, sourceArgs } from "../../src/packages/wheelhouse.js";

describe("sourceArgs", () => {
  it("gives pip the sources as options; --no-index drops every index", () => {
    expect(
      sourceArgs({
        indexUrl: "http://127.0.0.1:1/i0/simple/",
        extraIndexUrls: ["http://127.0.0.1:1/r0/simple/"],
        findLinks: ["http://127.0.0.1:1/f0/"],
        trustedHosts: [],
      }),
    ).toEqual([
      "--index-url",
      "http://127.0.0.1:1/i0/simple/",
      "--extra-index-url",
      "http://127.0.0.1:1/r0/simple/",
      "--find-links",
      "http://127.0.0.1:1/f0/",
    ]);
    expect(
      sourceArgs({ noIndex: true, extraIndexUrls: ["x"], findLinks: ["f"], trustedHosts: [] }),
    ).toEqual(["--no-index", "--find-links", "f"]);
  });
});

const pypi = "/opt/pypi";
const ready = (() => {
  try {
    execFileSync("python3", ["-m", "pip", "--version"], { stdio: "ignore" });
    return fs.existsSync(path.join(pypi, "simple", "six"));
  } catch {
    return false;
  }
})();

describe.skipIf(!ready)("fetchWheelhouse with this machine's pip", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const target = () =>
    parseTargetPython(execFileSync("python3", ["-c", TARGET_SCRIPT], { encoding: "utf8" }));

  it(
    "downloads every file the requirements need from the package server",
    { timeout: 120_000 },
    async () => {
      const server = await startIndexServer({
        indexUrl: `${pypi}/simple`,
        extraIndexUrls: [],
        findLinks: [],
        trustedHosts: [],
      });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shrinkbench-wh-test-"));
      dirs.push(dir);
      try {
        const files = await fetchWheelhouse({
          requirementsText: "six\npython-dateutil\n",
          constraintsText: "",
          sources: server.sources,
          targets: [target()],
          dir,
        });
        const names = files.map((f) => f.name);
        expect(
          names.some((n) => /^six-.*\.whl$/.test(n)),
          names.join(),
        ).toBe(true);
        expect(
          names.some((n) => /^python_dateutil-.*\.whl$/.test(n)),
          names.join(),
        ).toBe(true);
        expect(files.every((f) => f.size > 0)).toBe(true);
        expect(server.requests).toBeGreaterThan(0);
      } finally {
        await server.close();
      }
    },
  );

  it(
    "fails with pip's own reason and a hint when a requirement cannot be had",
    { timeout: 120_000 },
    async () => {
      const server = await startIndexServer({
        indexUrl: `${pypi}/simple`,
        extraIndexUrls: [],
        findLinks: [],
        trustedHosts: [],
      });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shrinkbench-wh-test-"));
      dirs.push(dir);
      try {
        const err = await fetchWheelhouse({
          requirementsText: "no-such-project-shrinkbench\n",
          constraintsText: "",
          sources: server.sources,
          targets: [target()],
          dir,
        }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ShrinkbenchError);
        expect((err as ShrinkbenchError).message).toMatch(/no-such-project-shrinkbench/i);
        expect((err as ShrinkbenchError).hint).toMatch(/--sources server/);
      } finally {
        await server.close();
      }
    },
  );
});
