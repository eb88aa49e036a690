import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { defaultBases, isImageReference, loadConfig, parseConfig } from "../src/config.js";
import { InputError } from "../src/errors.js";

const FILE = "shrinkbench.config.json";

describe("defaultBases", () => {
  it("are the official python images", () => {
    expect(defaultBases()).toEqual({
      full: "python:3.11",
      slim: "python:3.11-slim",
      alpine: "python:3.11-alpine",
    });
    expect(defaultBases("3.12").slim).toBe("python:3.12-slim");
  });
});

describe("parseConfig", () => {
  it("uses the defaults for an empty config", () => {
    expect(parseConfig({}, FILE)).toEqual({
      file: FILE,
      bases: defaultBases(),
      budgets: undefined,
    });
  });

  it("overrides only the roles it names", () => {
    const c = parseConfig({ bases: { slim: "shrinkbench/python:3.11-slim" } }, FILE);
    expect(c.bases).toEqual({ ...defaultBases(), slim: "shrinkbench/python:3.11-slim" });
  });

  it("passes the budgets block through untouched", () => {
    const budgets = { "max-growth": "5%" };
    expect(parseConfig({ budgets }, FILE).budgets).toBe(budgets);
  });

  it.each([[[]], [null], ["x"], [42]])("refuses a top level that is not an object (%j)", (raw) => {
    expect(() => parseConfig(raw, FILE)).toThrow(InputError);
    expect(() => parseConfig(raw, FILE)).toThrow(
      `${FILE}: expected a JSON object at the top level`,
    );
  });

  it.each([[[]], [null], ["python:3.11"]])("refuses bases that are not an object (%j)", (bases) => {
    expect(() => parseConfig({ bases }, FILE)).toThrow(
      /^shrinkbench\.config\.json: bases: expected an object/,
    );
  });

  it("refuses an unknown role, listing the roles", () => {
    let err: unknown;
    try {
      parseConfig({ bases: { tiny: "python:3.11-slim" } }, FILE);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(`${FILE}: bases.tiny: unknown base role`);
    expect((err as InputError).hint).toBe("the roles are full, slim, alpine");
  });

  it.each([[42], [""], ["   "], [null], [["python:3.11"]]])(
    "refuses the image value %j",
    (image) => {
      expect(() => parseConfig({ bases: { slim: image } }, FILE)).toThrow(InputError);
      expect(() => parseConfig({ bases: { slim: image } }, FILE)).toThrow(
        /^shrinkbench\.config\.json: bases\.slim: expected an image name/,
      );
    },
  );

  it.each([
    "python 3.11",
    "python:3.11 ",
    "Python:3.11",
    "python:3.11\n",
    "python::3.11",
    "python:",
    "-python",
  ])("refuses the image reference %j, naming the field", (image) => {
    expect(() => parseConfig({ bases: { full: image } }, FILE)).toThrow(
      `${FILE}: bases.full: ${JSON.stringify(image)} is not a valid image reference`,
    );
  });
});

describe("isImageReference", () => {
  it.each([
    "python",
    "python:3.11-slim",
    "shrinkbench/python:3.11-full",
    "library/python:3.11",
    "docker.io/library/python:3.11-alpine",
    "localhost:5000/py",
    "registry.example.com:443/team/py_img__x:v1.2",
    "127.0.0.1:5000/a/b/c:latest",
    "python@sha256:" + "a".repeat(64),
    "python:3.11@sha256:" + "0".repeat(64),
  ])("accepts %s", (ref) => {
    expect(isImageReference(ref)).toBe(true);
  });

  it.each([
    "",
    "UPPER",
    "a b",
    "a:b:c",
    "a/",
    "/a",
    "a//b",
    "a:-tag",
    "a@sha256:zz",
    "a:" + "t".repeat(129),
  ])("refuses %j", (ref) => {
    expect(isImageReference(ref)).toBe(false);
  });
});

describe("loadConfig", () => {
  it("reads a config file, and refuses an explicit one that is missing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shrinkbench-config-"));
    try {
      const file = join(dir, "c.json");
      await writeFile(file, JSON.stringify({ bases: { full: "my/full:1" } }));
      expect((await loadConfig(file)).bases.full).toBe("my/full:1");
      await expect(loadConfig(join(dir, "missing.json"))).rejects.toThrow(/no such config file/);
      await writeFile(file, "{ nope");
      await expect(loadConfig(file)).rejects.toThrow(InputError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
