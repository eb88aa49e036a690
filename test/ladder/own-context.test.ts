// Dockerfiles of the user's own: as a ladder file's rungs (validated like any rung, paths relative
// to the ladder file) and through --dockerfile/--build-context (src/commands/run-yours.ts).
import { createHash } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { loadLadder, loadTemplates } from "../../src/ladder/assets.js";
import { EXIT, InputError } from "../../src/errors.js";
import { parseLadder } from "../../src/ladder/ladder.js";
import { OUTSIDE_DOCKERFILE, ownContext } from "../../src/ladder/own-context.js";
import { planRung } from "../../src/ladder/plan.js";
import { ownDockerfileOf, withYours, yoursNotes } from "../../src/commands/run-yours.js";
import type { Ladder } from "../../src/types.js";

const NAIVE = "FROM python:3.11\nWORKDIR /app\nADD . /app\nRUN pip install -r requirements.txt\n";
const BASES = {
  full: "shrinkbench/python:3.11-full",
  slim: "shrinkbench/python:3.11-slim",
  alpine: "python:3.11-alpine",
};

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "sb-own-"));
  writeFileSync(join(dir, "Dockerfile"), NAIVE);
  writeFileSync(join(dir, "app.py"), "print('hi')\n");
  writeFileSync(join(dir, "requirements.txt"), "six\n");
  writeFileSync(join(dir, ".dockerignore"), "secrets/\n");
  mkdirSync(join(dir, "secrets"));
  writeFileSync(join(dir, "secrets", "key"), "k");
  return dir;
}

/** sha256 over every path, mode and content under `dir`: equal before and after means untouched. */
function folderHash(dir: string): string {
  const h = createHash("sha256");
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = join(dir, rel, name);
      const st = statSync(path);
      h.update(`${rel}/${name} ${st.mode} ${st.mtimeMs}\n`);
      if (st.isDirectory()) walk(join(rel, name));
      else h.update(readFileSync(path));
    }
  };
  walk("");
  return h.digest("hex");
}

async function inputError(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).exitCode).toBe(EXIT.usage);
    return e as InputError;
  }
  throw new Error("expected an InputError");
}

describe("a ladder file's own Dockerfiles", () => {
  const rung = (over: Record<string, unknown>) => ({
    name: "mine",
    rungs: [{ id: "ours", description: "our Dockerfile", ...over }],
  });

  it("resolves dockerfile and buildContext against the ladder file's folder", () => {
    const l = parseLadder(
      rung({ dockerfile: "docker/app.Dockerfile", buildContext: ".." }),
      "/p/ci/ladder.json",
    );
    expect(l.rungs[0]!.dockerfile).toEqual({
      path: "/p/ci/docker/app.Dockerfile",
      context: "/p",
      text: "",
    });
    expect(l.rungs[0]!.template).toBe("/p/ci/docker/app.Dockerfile");
    expect(l.rungs[0]!.base).toBe("full");
    const d = parseLadder(rung({ dockerfile: "Dockerfile" }), "/p/ladder.json").rungs[0]!;
    expect(d.dockerfile!.context).toBe("/p");
  });

  it("refuses a template and a dockerfile together, and a buildContext alone", () => {
    const both = (() => {
      try {
        parseLadder(rung({ dockerfile: "D", template: "single-stage.Dockerfile" }), "l.json");
      } catch (e) {
        return e as InputError;
      }
    })();
    expect(both?.message).toMatch(
      /^l\.json: rungs\[0\]\.template: a rung has a template or a dockerfile, not both/,
    );
    expect(() =>
      parseLadder(
        rung({ base: "slim", template: "single-stage.Dockerfile", buildContext: "." }),
        "l.json",
      ),
    ).toThrow(/rungs\[0\]\.buildContext: only for a rung with a dockerfile/);
    expect(() => parseLadder(rung({ dockerfile: 3 }), "l.json")).toThrow(
      /rungs\[0\]\.dockerfile: expected a non-empty string/,
    );
  });

  it("reads the Dockerfile when the ladder loads; a missing one exits 2 naming file and field", async () => {
    const dir = project();
    const file = join(dir, "ladder.json");
    writeFileSync(file, JSON.stringify(rung({ dockerfile: "Dockerfile" })));
    const ladder = await loadLadder(file);
    expect(ladder.rungs[0]!.dockerfile!.text).toBe(NAIVE);
    expect(await loadTemplates(ladder)).toEqual({ [join(dir, "Dockerfile")]: NAIVE });
    writeFileSync(file, JSON.stringify(rung({ dockerfile: "nope/Dockerfile" })));
    const e = await inputError(loadLadder(file));
    expect(e.message).toBe(
      `${file}: rungs[0].dockerfile: ${join(dir, "nope/Dockerfile")}: no such file`,
    );
    writeFileSync(file, JSON.stringify(rung({ dockerfile: "Dockerfile", buildContext: "gone" })));
    expect((await inputError(loadLadder(file))).message).toBe(
      `${file}: rungs[0].buildContext: ${join(dir, "gone")}: not a directory`,
    );
  });
});

describe("--dockerfile and --build-context", () => {
  it("exit 2 naming a path that does not exist", async () => {
    const dir = project();
    expect((await inputError(ownDockerfileOf({ dockerfile: join(dir, "Nope") }))).message).toBe(
      `--dockerfile ${join(dir, "Nope")}: no such file`,
    );
    expect((await inputError(ownDockerfileOf({ dockerfile: dir }))).message).toMatch(
      /is a directory/,
    );
    expect(
      (
        await inputError(
          ownDockerfileOf({ dockerfile: join(dir, "Dockerfile"), buildContext: join(dir, "x") }),
        )
      ).message,
    ).toBe(`--build-context ${join(dir, "x")}: not a directory`);
    expect((await inputError(ownDockerfileOf({ buildContext: dir }))).message).toBe(
      "--build-context needs --dockerfile",
    );
    expect(await ownDockerfileOf({})).toBeUndefined();
  });

  it("put yours first in the ladder, and refuse a ladder that has a rung of that name", async () => {
    const dir = project();
    const own = (await ownDockerfileOf({ dockerfile: join(dir, "Dockerfile") }))!;
    expect(own.context).toBe(dir);
    const ladder: Ladder = parseLadder(
      {
        name: "l",
        rungs: [
          { id: "slim", description: "d", base: "slim", template: "single-stage.Dockerfile" },
        ],
      },
      "l.json",
    );
    expect(withYours(ladder, own).rungs.map((r) => r.id)).toEqual(["yours", "slim"]);
    expect(withYours(ladder, undefined)).toBe(ladder);
    const clash = { ...ladder, rungs: [{ ...ladder.rungs[0]!, id: "yours" }] };
    expect(() => withYours(clash, own)).toThrow(/has a rung named "yours"/);
    expect(await yoursNotes(own, BASES)).toEqual([
      "yours: FROM python:3.11 is built on shrinkbench/python:3.11-full (the config's image for that base role), as the other rungs are",
    ]);
  });
});

describe("your Dockerfile's context and plan", () => {
  it("sends the folder (.dockerignore honoured) with the sent Dockerfile in place, and writes nothing", async () => {
    const dir = project();
    const before = folderHash(dir);
    const own = (await ownDockerfileOf({ dockerfile: join(dir, "Dockerfile") }))!;
    const ctx = await ownContext(own, "SENT", join(dir, "requirements.txt"));
    const names = ctx.entries.map((e) => e.name);
    expect(names).toEqual([".dockerignore", "Dockerfile", "app.py", "requirements.txt"]);
    expect(ctx.entries.find((e) => e.name === "Dockerfile")).toMatchObject({
      type: "file",
      content: "SENT",
    });
    expect(ctx).toMatchObject({
      dockerfileName: "Dockerfile",
      appFile: "app.py",
      requirementsFile: "requirements.txt",
    });
    expect(folderHash(dir)).toBe(before);
  });

  it("adds a Dockerfile from outside the context under a name of its own", async () => {
    const dir = project();
    const app = join(dir, "app");
    mkdirSync(app);
    writeFileSync(join(app, "main.py"), "");
    const own = (await ownDockerfileOf({
      dockerfile: join(dir, "Dockerfile"),
      buildContext: app,
    }))!;
    const ctx = await ownContext(own, "SENT");
    expect(ctx.dockerfileName).toBe(OUTSIDE_DOCKERFILE);
    expect(ctx.entries.map((e) => e.name)).toEqual(["main.py", OUTSIDE_DOCKERFILE]);
    expect(ctx.requirementsFile).toBeUndefined();
  });

  it("plans your rung on the final stage's base, with pip's sources and no BASE_IMAGE", () => {
    const own = {
      path: "/p/Dockerfile",
      context: "/p",
      text: "FROM python:3.11-slim\nRUN --mount=type=cache,target=/c true\n",
    };
    const ladder = withYours({ name: "l", description: "", rungs: [], file: "l" }, own);
    const input = {
      runId: "r1",
      bases: { images: BASES, unavailable: { slim: "gone" } },
      sources: {
        indexUrl: "http://127.0.0.1:1/simple",
        extraIndexUrls: [],
        findLinks: [],
        trustedHosts: [],
      },
    };
    const plan = planRung(ladder.rungs[0]!, { ...input, builder: "buildkit" });
    expect(plan).toMatchObject({
      baseImage: BASES.slim,
      buildArgs: { PIP_INDEX_URL: "http://127.0.0.1:1/simple" },
      rung: { id: "yours", base: "slim" },
    });
    // An unavailable base is the engine's to report (the build fails with its message).
    expect(plan.skip).toBeUndefined();
    expect(plan.buildArgs.BASE_IMAGE).toBeUndefined();
    expect(planRung(ladder.rungs[0]!, { ...input, builder: "classic" }).skip).toMatch(
      /needs BuildKit/,
    );
  });
});
