import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { TEMPLATES_DIR } from "../../src/ladder/assets.js";
import {
  buildCommand,
  latestRecord,
  renderCommand,
  type RenderOptions,
} from "../../src/commands/render.js";
import { InputError } from "../../src/errors.js";
import { serializeRunRecord } from "../../src/results/record.js";
import { loadRequirements } from "../../src/requirements/load.js";
import { MB, makeRecord, makeRung } from "../fixtures/records.js";

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

  it("writes the measured docker build command: builder, network, base images, the rung's args, pip sources by name only", async () => {
    await renderCommand(opts());
    const md = await read("BUILD.md");
    expect(md).toMatch(/^# slim-dedupe: slim, shared libraries once\n/);
    expect(md).toContain("docker build \\");
    expect(md).toContain("--build-arg BASE_IMAGE=example/python:3.11-slim \\");
    expect(md).toContain("--build-arg BUILDER_IMAGE=example/python:3.11-full \\");
    expect(md).toContain("--build-arg DEDUPE=1 \\");
    expect(md).toContain("--build-arg INSTALL=wheel \\");
    expect(md).toContain("-t myapp:slim-dedupe .");
    expect(md).toContain("DOCKER_BUILDKIT=1 docker build \\\n  --network host \\\n  --no-cache \\");
    expect(md).toContain("--build-arg PIP_INDEX_URL \\");
    expect(md).not.toMatch(/--build-arg PIP_[A-Z_]+=/);
    expect(md).not.toContain("squash step");
  });

  it("explains the squash of a squash rung", async () => {
    await renderCommand(opts({ rung: "slim-squash" }));
    const md = await read("BUILD.md");
    expect(md).toContain("Then the squash step");
    expect(md).toContain("shrinkbench run requirements.txt --rung slim-squash --keep-images");
    expect(md).toContain("DOCKER_BUILDKIT=0 docker build --squash");
    expect(await read("Dockerfile")).toBe(
      await readFile(join(TEMPLATES_DIR, "rm-layers.Dockerfile"), "utf8"),
    );
  });

  it("writes the smoke test under smoke/, and the traced rung's caveat", async () => {
    await renderCommand(opts({ rung: "traced" }));
    expect(JSON.parse(await read("smoke/argv.json"))).toEqual([
      "markupsafe",
      "python-dateutil",
      "pyyaml",
      "six",
    ]);
    expect(await read("smoke/shrinkbench_smoke.py")).toBe(
      await readFile(join(TEMPLATES_DIR, "smoke_test.py"), "utf8"),
    );
    expect(await read("Dockerfile")).toBe(
      await readFile(join(TEMPLATES_DIR, "scratch.Dockerfile"), "utf8"),
    );
    const md = await read("BUILD.md");
    expect(md).toContain("--build-arg ROOTFS=traced \\");
    expect(md).toMatch(/\*\*Caveat\*\*: only as safe as the smoke test's coverage/);
  });

  it("writes only BUILD.md for a ladder rung of your own Dockerfile: its folder is what gets built", async () => {
    const project = join(dir, "my project");
    await mkdir(join(project, "docker"), { recursive: true });
    await writeFile(join(project, "docker", "app.Dockerfile"), "FROM python:3.11\nCOPY . /src\n");
    const ladder = join(project, "docker", "ladder.json");
    await writeFile(
      ladder,
      JSON.stringify({
        name: "mine",
        rungs: [
          {
            id: "ours",
            description: "our Dockerfile",
            dockerfile: "app.Dockerfile",
            buildContext: "..",
            args: { APP_ENV: "prod" },
          },
        ],
      }),
    );
    const written = await renderCommand(opts({ ladder, rung: "ours" }));
    expect(written).toEqual([join(out, "BUILD.md")]);
    expect((await readdir(out)).sort()).toEqual(["BUILD.md"]);
    const md = await read("BUILD.md");
    expect(md).toContain(`built from ${project}: nothing to copy`);
    expect(md).toContain("--build-arg APP_ENV=prod \\");
    expect(md).toContain(`-f '${join(project, "docker", "app.Dockerfile")}' \\`);
    expect(md).toContain(`-t myapp:ours '${project}'`);
    expect(md).not.toContain("app/");
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

describe("renderCommand --rung best", () => {
  const hash = () => loadRequirements(REQUIREMENTS, { allowEditable: false }).hash;
  const record = (startedAt: string, rungs: ReturnType<typeof makeRung>[], sameReqs = true) =>
    makeRecord({
      startedAt,
      ladder: { name: "modern", file: "/elsewhere/variants/modern.json" },
      requirements: { file: "requirements.txt", hash: sameReqs ? hash() : "other", names: [] },
      rungs,
    });
  const results = () => join(dir, "results");

  beforeEach(async () => {
    await mkdir(results(), { recursive: true });
    // The latest record of these requirements: traced is smallest but FAILED, minimal passed.
    await writeFile(
      join(results(), "b.json"),
      serializeRunRecord(
        record("2026-11-02T00:00:00.000Z", [
          makeRung("slim-dedupe", { size: 300 * MB }),
          makeRung("minimal", { size: 120 * MB }),
          makeRung("traced", { size: 60 * MB, status: "FAILED", reason: "smoke test failed" }),
        ]),
      ),
    );
    // Older, same requirements.
    await writeFile(
      join(results(), "a.json"),
      serializeRunRecord(record("2026-11-01T00:00:00.000Z", [makeRung("slim", { size: 9 * MB })])),
    );
    // Newer, but another requirement set.
    await writeFile(
      join(results(), "c.json"),
      serializeRunRecord(
        record("2026-11-03T00:00:00.000Z", [makeRung("slim-strip", { size: 5 * MB })], false),
      ),
    );
    await writeFile(join(results(), "not-a-record.json"), "{}");
  });

  it("writes the smallest PASS rung of the latest record of the same requirements", async () => {
    const notes: string[] = [];
    await renderCommand(opts({ rung: "best", resultsDir: results(), note: (s) => notes.push(s) }));
    expect(await read("BUILD.md")).toMatch(/^# minimal: minimal, FROM scratch\n/);
    expect(notes).toEqual([
      `best: minimal, the smallest passing rung of ${join(results(), "b.json")}`,
    ]);
  });

  it("takes the record named with --from, and says when it was for other requirements", async () => {
    const notes: string[] = [];
    await renderCommand(
      opts({ rung: "best", from: join(results(), "c.json"), note: (s) => notes.push(s) }),
    );
    expect(await read("BUILD.md")).toMatch(/^# slim-strip:/);
    expect(notes[0]).toMatch(/c\.json was run for another requirement set/);
  });

  it("finds the latest record, preferring the same requirement set", async () => {
    expect((await latestRecord(results(), hash()))!.file).toBe(join(results(), "b.json"));
    expect((await latestRecord(results(), "unknown"))!.file).toBe(join(results(), "c.json"));
    expect(await latestRecord(join(dir, "nowhere"), hash())).toBeUndefined();
  });

  it("hands over the smallest ladder rung when your own Dockerfile is the smallest", async () => {
    const file = join(results(), "yours.json");
    const rungs = [
      makeRung("yours", { size: 50 * MB }),
      makeRung("slim", { size: 146 * MB }),
      makeRung("slim-dedupe", { size: 120 * MB }),
    ];
    await writeFile(
      file,
      serializeRunRecord({
        ...record("2026-11-04T00:00:00.000Z", rungs),
        recommendation: { frontier: ["yours"], smallest: "yours", notes: [] },
      }),
    );
    const notes: string[] = [];
    await renderCommand(opts({ rung: "best", from: file, note: (s) => notes.push(s) }));
    expect(await read("BUILD.md")).toMatch(/^# slim-dedupe:/);
    expect(notes[0]).toBe(
      `note: your own Dockerfile (yours) is the smallest of ${file}; the smallest ladder rung is slim-dedupe`,
    );
  });

  it("refuses when there is no record to take it from", async () => {
    const err = await renderCommand(opts({ rung: "best", resultsDir: join(dir, "empty") })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(/--rung best: no run record with a passing rung/);
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
        "DOCKER_BUILDKIT=1 docker build \\",
        "  --network host \\",
        "  --no-cache \\",
        "  --build-arg APK_RUNTIME_DEPS= \\",
        "  --build-arg BASE_IMAGE=python:3.11-alpine \\",
        "  --build-arg 'QUOTE=it'\\''s' \\",
        "  --build-arg 'SIZE_CFLAGS=-g0 -Os -DNDEBUG -Wl,--strip-all' \\",
        "  --build-arg PIP_INDEX_URL \\",
        "  --build-arg PIP_EXTRA_INDEX_URL \\",
        "  --build-arg PIP_FIND_LINKS \\",
        "  --build-arg PIP_TRUSTED_HOST \\",
        "  -t myapp:alpine-size-flags .",
      ].join("\n"),
    );
  });

  it("names the measured builder and target; pip's sources only by name, never a value", () => {
    const cmd = buildCommand(
      "slim",
      { BASE_IMAGE: "python:3.11-slim", PIP_INDEX_URL: "https://u:secret@x/simple" },
      { builder: "classic", target: "final" },
    );
    expect(cmd.split("\n")[0]).toBe("DOCKER_BUILDKIT=0 docker build \\");
    expect(cmd).toContain("  --target final \\");
    expect(cmd).toContain("  --build-arg PIP_INDEX_URL \\");
    expect(cmd).not.toContain("secret");
  });
});
