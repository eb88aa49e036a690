// Reading the JSON files users write and hand back (run records, ladders, the config): malformed
// JSON named by line and column, and field checks that name the file and the JSON path of the
// first wrong field, all as InputErrors with a hint.

import { InputError } from "./errors.js";

/**
 * JSON.parse, but malformed JSON is an InputError naming the file, line, column and offset:
 * `results/baseline.json:3:12: malformed JSON (position 51): Unexpected token '}'...`. `what` names
 * the expected content for an empty file ("a JSON run record").
 */
export function parseJson(text: string, file: string, hint?: string, what?: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw malformedJson(text, file, err, hint, what);
  }
}

function malformedJson(
  json: string,
  file: string,
  err: unknown,
  hint?: string,
  what = "JSON",
): InputError {
  if (json.trim() === "") {
    return new InputError(`${file}: empty file, expected ${what}`, hint);
  }
  const fromMessage = /at position (\d+)/.exec((err as Error).message);
  const offset = fromMessage ? Number(fromMessage[1]) : findJsonError(json);
  const { line, column } = lineColumn(json, offset);
  const reason = (err as Error).message.replace(/ in JSON at position \d+.*$/, "");
  return new InputError(
    `${file}:${line}:${column}: malformed JSON (position ${offset}): ${reason}`,
    hint,
  );
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * The offset of the first character at which `text` stops being JSON. Only used after JSON.parse
 * has failed with a message that carries no position.
 */
export function findJsonError(text: string): number {
  let i = 0;
  class Stop {
    constructor(readonly at: number) {}
  }
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const lit = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) throw new Stop(i);
      i++;
    }
  };
  const str = (): void => {
    if (text[i] !== '"') throw new Stop(i);
    i++;
    for (;;) {
      const ch = text[i];
      if (ch === undefined || ch < " ") throw new Stop(i);
      if (ch === '"') break;
      if (ch === "\\") {
        i++;
        const esc = text[i];
        if (esc === "u") {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!/[0-9a-fA-F]/.test(text[i] ?? "")) throw new Stop(i);
          }
        } else if (esc === undefined || !'"\\/bfnrt'.includes(esc)) throw new Stop(i);
      }
      i++;
    }
    i++;
  };
  const num = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m || m[0] === "" || m[0] === "-") throw new Stop(i);
    i += m[0].length;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        str();
        ws();
        if (text[i] !== ":") throw new Stop(i);
        i++;
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return;
        }
        throw new Stop(i);
      }
    } else if (ch === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return;
        }
        throw new Stop(i);
      }
    } else if (ch === '"') str();
    else if (ch === "t") lit("true");
    else if (ch === "f") lit("false");
    else if (ch === "n") lit("null");
    else num();
  };
  try {
    value();
    ws();
    return i < text.length ? i : text.length;
  } catch (e) {
    if (e instanceof Stop) return e.at;
    throw e;
  }
}

export type JsonObject = Record<string, unknown>;

/** Describes a value for an error message: `"12"`, `null`, `an array`, `an object`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing (the field is missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The one shape of a field error: `file: path: problem`, with a hint to fix it. */
export function fieldError(file: string, path: string, problem: string, hint?: string): InputError {
  return new InputError(`${file}: ${path}: ${problem}`, hint);
}

/**
 * Checks fields of a parsed JSON file one by one; the first wrong one throws an InputError
 * naming the file and its JSON path (`rungs[3].image.sizeBytes: expected a number, got "12"`).
 */
export class FieldValidator {
  constructor(
    readonly file: string,
    readonly hint?: string,
  ) {}

  fail(path: string, message: string): never {
    throw fieldError(this.file, path, message, this.hint);
  }

  expected(path: string, what: string, value: unknown): never {
    this.fail(path, `expected ${what}, got ${describeValue(value)}`);
  }

  object(value: unknown, path: string): JsonObject {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.expected(path, "an object", value);
    }
    return value as JsonObject;
  }

  string(obj: JsonObject, key: string, path: string, opts: { optional?: boolean } = {}): void {
    const v = obj[key];
    if (v === undefined && opts.optional) return;
    if (typeof v !== "string") this.expected(joinPath(path, key), "a string", v);
  }

  nonEmptyString(obj: JsonObject, key: string, path: string): void {
    this.string(obj, key, path);
    if (obj[key] === "") this.fail(joinPath(path, key), "expected a non-empty string");
  }

  number(
    obj: JsonObject,
    key: string,
    path: string,
    opts: { optional?: boolean; integer?: boolean; min?: number } = {},
  ): void {
    const v = obj[key];
    if (v === undefined && opts.optional) return;
    const p = joinPath(path, key);
    if (typeof v !== "number" || !Number.isFinite(v)) this.expected(p, "a number", v);
    if (opts.integer && !Number.isInteger(v)) this.expected(p, "a whole number", v);
    if (opts.min !== undefined && v < opts.min) {
      this.expected(p, `a number of at least ${opts.min}`, v);
    }
  }

  boolean(obj: JsonObject, key: string, path: string): void {
    const v = obj[key];
    if (typeof v !== "boolean") this.expected(joinPath(path, key), "true or false", v);
  }

  oneOf(obj: JsonObject, key: string, path: string, choices: readonly string[]): void {
    const v = obj[key];
    if (typeof v !== "string" || !choices.includes(v)) {
      this.expected(joinPath(path, key), `one of ${choices.map((c) => `"${c}"`).join(", ")}`, v);
    }
  }

  timestamp(obj: JsonObject, key: string, path: string): void {
    this.string(obj, key, path);
    if (Number.isNaN(Date.parse(obj[key] as string))) {
      this.expected(joinPath(path, key), "an ISO 8601 timestamp", obj[key]);
    }
  }

  stringArray(obj: JsonObject, key: string, path: string, opts: { optional?: boolean } = {}): void {
    const v = obj[key];
    if (v === undefined && opts.optional) return;
    const p = joinPath(path, key);
    if (!Array.isArray(v)) this.expected(p, "an array of strings", v);
    v.forEach((item: unknown, i: number) => {
      if (typeof item !== "string") this.expected(`${p}[${i}]`, "a string", item);
    });
  }

  child(
    obj: JsonObject,
    key: string,
    path: string,
    opts: { optional?: boolean } = {},
  ): JsonObject | undefined {
    const v = obj[key];
    if (v === undefined && opts.optional) return undefined;
    return this.object(v, joinPath(path, key));
  }
}

function joinPath(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}
