import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { VARIANTS_DIR } from "../../src/ladder/assets.js";
import { InputError } from "../../src/errors.js";
import {
  parseLadder,
  parseLadderText,
  RESERVED_ARGS,
  selectRungs,
} from "../../src/ladder/ladder.js";
import type { Ladder } from "../../src/types.js";

const FILE = "my.json";

function builtin(name: string): Ladder {
  const file = join(VARIANTS_DIR, `${name}.json`);
  return parseLadderText(readFileSync(file, "utf8"), file);
}

/** A valid rung; `over` replaces or adds fields (undefined removes one). */
function rung(over: Record<string, unknown> = {}): Record<string, unknown> {
  const r: Record<string, unknown> = {
    id: "slim",
    description: "the slim base",
    base: "slim",
    template: "single-stage.Dockerfile",
    ...over,
  };
  for (const [k, v] of Object.entries(r)) if (v === undefined) delete r[k];
  return r;
}

function ladder(...rungs: unknown[]): Record<string, unknown> {
  return { name: "mine", description: "a test ladder", rungs };
}

/** The InputError parseLadder throws for `raw`. */
function errorOf(raw: unknown): InputError {
  try {
    parseLadder(raw, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error("expected parseLadder to throw");
}

describe("built-in ladders", () => {
  const files = readdirSync(VARIANTS_DIR).filter((f) => f.endsWith(".json"));

  it("includes modern and talk-2020", () => {
    expect(files).toEqual(expect.arrayContaining(["modern.json", "talk-2020.json"]));
  });

  it.each(files)("%s parses", (f) => {
    const l = builtin(f.replace(/\.json$/, ""));
    expect(l.rungs.length).toBeGreaterThan(0);
    expect(l.name).toBe(f.replace(/\.json$/, ""));
    expect(l.description).not.toBe("");
  });

  it("modern has exactly the glibc rungs, in order", () => {
    const l = builtin("modern");
    expect(l.rungs.map((r) => r.id)).toEqual([
      "full",
      "slim",
      "slim-rm-layers",
      "slim-single-layer",
      "slim-cache-mount",
      "slim-squash",
      "slim-multistage",
      "slim-wheel",
      "slim-strip",
      "slim-dedupe",
      "slim-prune",
      "slim-prune-nopyc",
      "slim-prune-pyconly",
      "minimal",
      "traced",
    ]);
    expect(l.rungs.every((r) => r.base !== "alpine" && r.builder !== "alpine")).toBe(true);
    expect(l.rungs.every((r) => r.context === "requirements")).toBe(true);
    expect(l.rungs.find((r) => r.id === "slim-squash")!.post).toEqual(["squash"]);
    expect(l.rungs.filter((r) => r.needs === "buildkit").map((r) => r.id)).toEqual([
      "slim-cache-mount",
    ]);
    expect(l.rungs.find((r) => r.id === "slim-dedupe")!.args).toMatchObject({ DEDUPE: "1" });
    const pyc = (id: string) => l.rungs.find((r) => r.id === id)!.args.PYC;
    expect(["slim-prune", "slim-prune-nopyc", "slim-prune-pyconly"].map(pyc)).toEqual([
      "keep",
      "none",
      "only",
    ]);
    for (const id of ["minimal", "traced"]) {
      const r = l.rungs.find((x) => x.id === id)!;
      expect(r.scratch).toBe(true);
      expect(r.template).toBe("scratch.Dockerfile");
      expect(r.args.ROOTFS).toBe(id);
      // What the other rungs prove safe, and bytecode in zips.
      expect(r.args).toMatchObject({ STRIP: "1", DEDUPE: "1", PYC: "only", BYTECODE_ZIP: "1" });
    }
    expect(l.rungs.find((r) => r.id === "traced")!.caveat).toMatch(/coverage/);
  });

  it("talk-2020 has 11 rungs, alpine ones on the alpine base", () => {
    const l = builtin("talk-2020");
    expect(l.rungs).toHaveLength(11);
    const alpine = l.rungs.filter((r) => r.id.startsWith("alpine"));
    expect(alpine).toHaveLength(5);
    for (const r of alpine) {
      expect(r.base).toBe("alpine");
      expect(r.builder ?? "alpine").toBe("alpine");
      expect(r.template).toMatch(/^alpine-/);
    }
    for (const r of l.rungs.filter((x) => !x.id.startsWith("alpine"))) {
      expect(r.base).not.toBe("alpine");
    }
    expect(l.rungs[0]!.context).toBe("app");
    expect(l.rungs[1]!.context).toBe("app-dockerignore");
  });
});

describe("parseLadder", () => {
  it("fills defaults", () => {
    const l = parseLadder(ladder(rung()), FILE);
    expect(l).toEqual({
      name: "mine",
      description: "a test ladder",
      file: FILE,
      rungs: [
        {
          id: "slim",
          title: "slim",
          description: "the slim base",
          base: "slim",
          builder: undefined,
          template: "single-stage.Dockerfile",
          args: {},
          context: "requirements",
          post: [],
          reference: undefined,
        },
      ],
    });
  });

  it("keeps builder, args, context, post and reference", () => {
    const r = parseLadder(
      ladder(
        rung({
          id: "ms",
          title: "multi",
          builder: "full",
          args: { INSTALL: "wheel", EMPTY: "" },
          context: "app-dockerignore",
          post: ["squash"],
          reference: { size: "188 MB", buildTime: "59 min" },
        }),
      ),
      FILE,
    ).rungs[0]!;
    expect(r).toMatchObject({
      title: "multi",
      builder: "full",
      args: { INSTALL: "wheel", EMPTY: "" },
      context: "app-dockerignore",
      post: ["squash"],
      reference: { size: "188 MB", buildTime: "59 min" },
    });
  });

  it.each<[string, unknown, RegExp]>([
    ["a top level that is not an object", [], /^my\.json: \(top level\): expected an object/],
    [
      "a missing name",
      { rungs: [rung()] },
      /^my\.json: \(top level\)\.name: expected a non-empty string/,
    ],
    ["missing rungs", { name: "x" }, /^my\.json: rungs: expected a non-empty array/],
    [
      "empty rungs",
      ladder(),
      /^my\.json: rungs: expected a non-empty array of rungs, got an array/,
    ],
    [
      "a rung that is not an object",
      ladder(rung(), "slim"),
      /^my\.json: rungs\[1\]: expected an object, got "slim"/,
    ],
    ["a missing base", ladder(rung({ base: undefined })), /^my\.json: rungs\[0\]\.base: missing/],
    [
      "an unknown base role",
      ladder(rung(), rung({ id: "tiny", base: "tiny" })),
      /^my\.json: rungs\[1\]\.base: expected one of full, slim, alpine, got "tiny"$/,
    ],
    [
      "an unknown builder role",
      ladder(rung({ builder: "huge" })),
      /^my\.json: rungs\[0\]\.builder: expected one of full, slim, alpine, got "huge"/,
    ],
    [
      "a duplicate id",
      ladder(rung(), rung({ id: "other" }), rung()),
      /^my\.json: rungs\[2\]\.id: "slim" is already the id of rungs\[0\]/,
    ],
    [
      "a missing id",
      ladder(rung({ id: undefined })),
      /^my\.json: rungs\[0\]\.id: expected a non-empty string/,
    ],
    [
      "an id with a newline",
      ladder(rung({ id: "slim\nRUN x" })),
      /^my\.json: rungs\[0\]\.id: .* is not a valid rung id/,
    ],
    [
      "an id with $(...)",
      ladder(rung({ id: "$(rm -rf /)" })),
      /^my\.json: rungs\[0\]\.id: .* is not a valid rung id/,
    ],
    [
      "an uppercase id",
      ladder(rung({ id: "Slim" })),
      /^my\.json: rungs\[0\]\.id: "Slim" is not a valid rung id/,
    ],
    [
      "an id with a space",
      ladder(rung({ id: "slim one" })),
      /rungs\[0\]\.id: .* is not a valid rung id/,
    ],
    [
      "an id with a double separator",
      ladder(rung({ id: "slim--x" })),
      /rungs\[0\]\.id: .* is not a valid rung id/,
    ],
    [
      "an id with a leading dash",
      ladder(rung({ id: "-slim" })),
      /rungs\[0\]\.id: .* is not a valid rung id/,
    ],
    [
      "an id longer than 63",
      ladder(rung({ id: "a".repeat(64) })),
      /rungs\[0\]\.id: .* is not a valid rung id/,
    ],
    [
      "a reserved arg",
      ladder(rung({ args: { BASE_IMAGE: "evil" } })),
      /^my\.json: rungs\[0\]\.args\.BASE_IMAGE: set by shrinkbench itself/,
    ],
    [
      "a non-string arg",
      ladder(rung({ args: { STRIP: 1 } })),
      /^my\.json: rungs\[0\]\.args\.STRIP: expected a string, got 1$/,
    ],
    [
      "a bad arg name",
      ladder(rung({ args: { "A-B": "1" } })),
      /^my\.json: rungs\[0\]\.args\.A-B: not a valid build arg name/,
    ],
    [
      "args that are not an object",
      ladder(rung({ args: ["A=1"] })),
      /^my\.json: rungs\[0\]\.args: expected an object, got an array/,
    ],
    [
      "an unknown field",
      ladder(rung({ bases: "slim" })),
      /^my\.json: rungs\[0\]\.bases: unknown field/,
    ],
    [
      "a scratch flag that is not a boolean",
      ladder(rung({ scratch: "yes" })),
      /^my\.json: rungs\[0\]\.scratch: expected true or false, got "yes"/,
    ],
    [
      "a builder need that is not buildkit",
      ladder(rung({ needs: "docker" })),
      /^my\.json: rungs\[0\]\.needs: expected "buildkit", got "docker"/,
    ],
    [
      "an empty caveat",
      ladder(rung({ caveat: " " })),
      /^my\.json: rungs\[0\]\.caveat: expected a non-empty string/,
    ],
    [
      "a template that is a path",
      ladder(rung({ template: "../../etc/passwd" })),
      /^my\.json: rungs\[0\]\.template: .* is not a template name/,
    ],
    [
      "a missing description",
      ladder(rung({ description: undefined })),
      /^my\.json: rungs\[0\]\.description: expected a non-empty string/,
    ],
    [
      "an unknown context",
      ladder(rung({ context: "everything" })),
      /^my\.json: rungs\[0\]\.context: expected one of requirements, app, app-dockerignore/,
    ],
    [
      "an unknown post step",
      ladder(rung({ post: ["squash", "zip"] })),
      /^my\.json: rungs\[0\]\.post\[1\]: expected one of squash, got "zip"/,
    ],
    [
      "post that is not an array",
      ladder(rung({ post: "squash" })),
      /^my\.json: rungs\[0\]\.post: expected an array/,
    ],
    [
      "a reference size that is a number",
      ladder(rung({ reference: { size: 188 } })),
      /^my\.json: rungs\[0\]\.reference\.size: expected a string/,
    ],
  ])("rejects %s, naming the file and field", (_what, raw, message) => {
    const e = errorOf(raw);
    expect(e.message).toMatch(message);
    expect(e.hint).toBeTruthy();
  });

  it.each(RESERVED_ARGS)("refuses the reserved arg %s", (name) => {
    expect(errorOf(ladder(rung({ args: { [name]: "x" } }))).message).toContain(
      `rungs[0].args.${name}`,
    );
  });

  it("lists the known fields in the hint for an unknown one", () => {
    expect(errorOf(ladder(rung({ colour: "red" }))).hint).toMatch(/id, title, description, base/);
  });

  it("accepts dotted, underscored and dashed ids", () => {
    const l = parseLadder(ladder(rung({ id: "py3.11_slim-x" })), FILE);
    expect(l.rungs[0]!.id).toBe("py3.11_slim-x");
  });
});

describe("parseLadderText", () => {
  it("turns a JSON syntax error into an InputError naming the file, line and column", () => {
    expect(() => parseLadderText('{"name": "x", "rungs": [', "broken.json")).toThrow(InputError);
    expect(() => parseLadderText('{"name": "x",,}', "broken.json")).toThrow(
      /^broken\.json:1:14: malformed JSON \(position 13\): /,
    );
  });

  it("validates what it parsed", () => {
    expect(() => parseLadderText(JSON.stringify(ladder()), "empty.json")).toThrow(
      /^empty\.json: rungs: /,
    );
    expect(parseLadderText(JSON.stringify(ladder(rung())), "ok.json").file).toBe("ok.json");
  });
});

describe("selectRungs", () => {
  const l = parseLadder(ladder(rung({ id: "a" }), rung({ id: "b" }), rung({ id: "c" })), FILE);

  it("keeps every rung when none is named", () => {
    expect(selectRungs(l, [])).toBe(l);
  });

  it("keeps the named rungs in ladder order", () => {
    expect(selectRungs(l, ["c", "a"]).rungs.map((r) => r.id)).toEqual(["a", "c"]);
    expect(l.rungs).toHaveLength(3);
  });

  it("refuses an unknown id, listing the ladder's ids", () => {
    let err: unknown;
    try {
      selectRungs(l, ["a", "zzz"]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe('unknown rung "zzz" in ladder mine');
    expect((err as InputError).hint).toContain("a, b, c");
  });
});
