// `shrinkbench lint`: findings as FILE:LINE RULE message on stdout, exit 1 on findings, 0 when
// clean, 2 for a file that is not there; --ladder lints each rung as it renders.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lintCommand } from "../../src/commands/lint.js";
import { InputError } from "../../src/errors.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-lint-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function lint(files: string[], ladder?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await lintCommand(
    { files, ladder },
    { stdout: (s) => void out.push(s), stderr: (s) => void err.push(s) },
  );
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("shrinkbench lint", () => {
  it("prints each finding with file and line and exits 1", async () => {
    const bad = join(dir, "Dockerfile.bad");
    await writeFile(bad, "FROM python\nRUN pip install flask\n");
    const r = await lint([bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `${bad}:1 DL3006 FROM python: always tag the image explicitly\n` +
        `${bad}:2 DL3042 pip install without --no-cache-dir: pip install flask\n`,
    );
    expect(r.stderr).toBe("1 Dockerfile: 2 finding(s)\n");
  });

  it("exits 0 and prints nothing on stdout for a clean Dockerfile", async () => {
    const good = join(dir, "Dockerfile.good");
    await writeFile(good, "FROM python:3.11-slim\nRUN pip install --no-cache-dir flask\n");
    const r = await lint([good]);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "1 Dockerfile: no findings\n" });
  });

  it("lints every rung of a built-in ladder with its build args", async () => {
    const r = await lint([], "talk-2020");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^\d+ Dockerfiles: no findings\n$/);
    expect(Number(r.stderr.split(" ")[0])).toBeGreaterThanOrEqual(10);
  });

  it("a ladder file of the user's, beside a Dockerfile: both are linted", async () => {
    const ladder = join(dir, "ladder.json");
    await writeFile(
      ladder,
      JSON.stringify({
        name: "mine",
        description: "one rung",
        rungs: [
          {
            id: "cached",
            title: "cache kept",
            description: "one stage, pip's cache on",
            base: "slim",
            template: "single-stage.Dockerfile",
            args: { NO_CACHE: "0" },
          },
        ],
      }),
    );
    const bad = join(dir, "Dockerfile.tagless");
    await writeFile(bad, "FROM python\n");
    const r = await lint([bad], ladder);
    expect(r.code).toBe(1);
    // The template keeps pip's cache on purpose and says so (# hadolint ignore=DL3042).
    expect(r.stdout).toBe(`${bad}:1 DL3006 FROM python: always tag the image explicitly\n`);
    expect(r.stderr).toBe("2 Dockerfiles: 1 finding(s)\n");
  });

  it("a missing Dockerfile is bad input (exit 2)", async () => {
    await expect(lint([join(dir, "nope")])).rejects.toThrow(InputError);
    await expect(lint([join(dir, "nope")])).rejects.toThrow(/nope: no such file/);
  });
});
