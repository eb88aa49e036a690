// Helpers shared by the requirements tests: pick lines out of a parsed file, expect an
// InputError, and an in-memory file reader for loadRequirements.

import { expect } from "vitest";
import { InputError } from "../../src/errors.js";
import { parseRequirementsText, type ParsedFile } from "../../src/requirements/parse.js";
import type { PipOptionLine, Requirement } from "../../src/types.js";

export const reqs = (p: ParsedFile): Requirement[] =>
  p.lines.flatMap((l) => (l.kind === "requirement" ? [l.requirement] : []));
export const opts = (p: ParsedFile): PipOptionLine[] =>
  p.lines.flatMap((l) => (l.kind === "option" ? [l.option] : []));
/** Parses one line that must hold exactly one requirement. */
export const one = (line: string): Requirement => {
  const r = reqs(parseRequirementsText(line, "r.txt"));
  expect(r).toHaveLength(1);
  return r[0]!;
};

/** Runs fn, expects an InputError, returns it. */
export function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error("expected an InputError");
}

/** A readFile for loadRequirements over an in-memory map of path -> text. */
export const files = (map: Record<string, string>) => (p: string) => {
  const v = map[p];
  if (v === undefined) throw Object.assign(new Error(`ENOENT ${p}`), { code: "ENOENT" });
  return v;
};
