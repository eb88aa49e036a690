import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { TEMPLATES_DIR } from "../../src/assets.js";
import { buildCommand, renderCommand, type RenderOptions } from "../../src/commands/render.js";
import { InputError } from "../../src/errors.js";

const REQUIREMENTS = fileURLToPath(new URL("../fixtures/small/requirements.txt", import.meta.url));

let dir: string;
let out: string;
let config: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-render-"));
  out = join(dir, "out");
  config = join(dir, "shrinkbench.config.json");
  await writeFile(
    config,
    JSON.stringify({
      bases: { full: "example/python:3.11-full", slim: "example/python:3.11-slim" },
    }),
  );
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function opts(over: Partial<RenderOptions> = {}): RenderOptions {
  return {
    requirements: REQUIREMENTS,
    ladder: "modern",
    rung: "slim-dedupe",
    out,
    config,
    ...over,
  };
}

const read = (name: string) => readFile(join(out, name), "utf8");

describe("renderCommand", () => {
  it("writes slim-dedupe's Dockerfile, requirements, scripts and BUILD.md", async () => {
    const written = await renderCommand(opts());
    expect(written).toEqual(
      expect.arrayContaining([
        join(out, "Dockerfile"),
        join(out, "requirements.txt"),
        join(out, "constraints.txt"),
        join(out, "BUILD.md"),
        join(out, "app/.keep"),
      ]),
    );
    expect(await read("Dockerfile")).toBe(
      await readFile(join(TEMPLATES_DIR, "multistage.Dockerfile"), "utf8"),
    );

    const scripts = (await readdir(join(TEMPLATES_DIR, "scripts"))).sort();
    expect((await readdir(join(out, "scripts"))).sort()).toEqual(scripts);
    for (const s of scripts) {
      expect(await read(`scripts/${s}`)).toBe(
        await readFile(join(TEMPLATES_DIR, "scripts", s), "utf8"),
      );
    }
  });

  it("writes the requirement lines, without their comments", async () => {
    await renderCommand(opts());
    const lines = (await read("requirements.txt"))
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    expect(lines).toEqual(["markupsafe", "python-dateutil", "pyyaml", "six"]);
    expect(await read("constraints.txt")).not.toMatch(/^[a-z]/m);
  });

  it("writes the docker build command with the base images and the rung's args, no pip sources", async () => {
    await renderCommand(opts());
    const md = await read("BUILD.md");
    expect(md).toMatch(/^# slim-dedupe: slim, shared libraries once\n/);
    expect(md).toContain("docker build \\");
    expect(md).toContain("--build-arg BASE_IMAGE=example/python:3.11-slim \\");
    expect(md).toContain("--build-arg BUILDER_IMAGE=example/python:3.11-full \\");
    expect(md).toContain("--build-arg DEDUPE=1 \\");
    expect(md).toContain("--build-arg INSTALL=wheel \\");
    expect(md).toContain("-t myapp:slim-dedupe .");
    expect(md).not.toContain("--build-arg PIP_");
    expect(md).not.toContain("squashes");
  });

  it("explains the squash of a squash rung", async () => {
    await renderCommand(opts({ rung: "slim-squash" }));
    expect(await read("BUILD.md")).toContain("shrinkbench run --rung slim-squash --keep-images");
    expect(await read("Dockerfile")).toBe(
      await readFile(join(TEMPLATES_DIR, "rm-layers.Dockerfile"), "utf8"),
    );
  });

  it("refuses an unknown rung with an InputError listing the rungs", async () => {
    const err = await renderCommand(opts({ rung: "slim-nope" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe('unknown rung "slim-nope" in ladder modern');
    expect((err as InputError).hint).toContain("slim-dedupe");
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });

  it("refuses an out path it cannot create", async () => {
    await writeFile(join(dir, "file"), "");
    await expect(renderCommand(opts({ out: join(dir, "file", "sub") }))).rejects.toThrow(
      InputError,
    );
  });
});

describe("buildCommand", () => {
  it("sorts args, leaves out PIP_* and quotes what the shell would split", () => {
    expect(
      buildCommand("alpine-size-flags", {
        SIZE_CFLAGS: "-g0 -Os -DNDEBUG -Wl,--strip-all",
        BASE_IMAGE: "python:3.11-alpine",
        PIP_INDEX_URL: "http://127.0.0.1:8000/simple",
        APK_RUNTIME_DEPS: "",
        QUOTE: "it's",
      }),
    ).toBe(
      [
        "docker build \\",
        "  --build-arg APK_RUNTIME_DEPS= \\",
        "  --build-arg BASE_IMAGE=python:3.11-alpine \\",
        "  --build-arg 'QUOTE=it'\\''s' \\",
        "  --build-arg 'SIZE_CFLAGS=-g0 -Os -DNDEBUG -Wl,--strip-all' \\",
        "  -t myapp:alpine-size-flags .",
      ].join("\n"),
    );
  });
});
