import { describe, expect, it } from "vitest";

import { InputError } from "../src/errors.js";
import {
  describeValue,
  FieldValidator,
  fieldError,
  findJsonError,
  isJsonObject,
  parseJson,
} from "../src/validation.js";

describe("findJsonError", () => {
  it.each([
    ['{"a": }', 6],
    ["[1, 2,]", 6],
    ['{"a" 1}', 5],
    ["tru", 3],
    ['"abc', 4],
    ['"\\x"', 2],
    ["[1] 2", 4],
    ["-", 0],
  ])("%j fails at %i", (text, offset) => {
    expect(findJsonError(text)).toBe(offset);
  });

  it("returns the length for valid JSON", () => {
    const text = '{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"], "b": {}}';
    expect(findJsonError(text)).toBe(text.length);
  });
});

describe("parseJson", () => {
  it("names the file, line and column of malformed JSON, and what an empty file should hold", () => {
    expect(() => parseJson('{\n  "a": }', "x.json")).toThrow(/^x\.json:2:8: malformed JSON/);
    expect(() => parseJson("  ", "x.json", undefined, "a ladder")).toThrow(
      "x.json: empty file, expected a ladder",
    );
    expect(parseJson('{"a": [1]}', "x.json")).toEqual({ a: [1] });
  });
});

describe("field errors", () => {
  it("describe values the way every file's errors do", () => {
    expect(describeValue(undefined)).toBe("nothing (the field is missing)");
    expect(describeValue(null)).toBe("null");
    expect(describeValue([1])).toBe("an array");
    expect(describeValue({})).toBe("an object");
    expect(describeValue(12)).toBe("12");
    expect(describeValue("x".repeat(100))).toMatch(/^"x{56}\.\.\.$/);
    expect(isJsonObject({})).toBe(true);
    expect(isJsonObject([])).toBe(false);
    expect(isJsonObject(null)).toBe(false);
  });

  it("name the file and the JSON path, with the hint", () => {
    const err = fieldError(
      "my.json",
      "rungs[2].base",
      "expected one of full, slim",
      "see the README",
    );
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe("my.json: rungs[2].base: expected one of full, slim");
    expect(err.hint).toBe("see the README");
    const v = new FieldValidator("r.json", "regenerate it");
    expect(() => v.number({ n: "1" }, "n", "rungs[0]")).toThrow(
      'r.json: rungs[0].n: expected a number, got "1"',
    );
    expect(() => v.oneOf({ s: "x" }, "s", "", ["a", "b"])).toThrow(
      'r.json: s: expected one of "a", "b", got "x"',
    );
  });
});
