// The pip requirements-file parser (pure): the text of one file into requirement, option and
// include lines. Loading with includes is in load.ts, flattening in flatten.ts.
//
// The parser follows pip's own reading of a requirements file (pip/_internal/req/req_file.py):
// lines ending in "\" are joined first (a comment line never continues), then comments
// (`#` at the start or after whitespace) are cut, then each logical line is either an option
// line (it starts with "-") or a requirement, optionally followed by per-requirement options
// (`--hash`, `--config-settings`, `--global-option`). Requirements are PEP 508 specifiers, or a
// bare path/URL (`.`, `./pkg`, `file:...`, `git+https://...`, `pkg-1.0-py3-none-any.whl`).
//
// Not done, on purpose: `${VAR}` expansion (pip expands it; we keep the text as written, so the
// lines stay reproducible and secrets given that way never reach a build context) and remote
// (http) includes.

import { InputError, at } from "../errors.js";
import type { PipOptionLine, Requirement, SourceLocation } from "../types.js";
import { LineError } from "./line-error.js";
import { parsePep508 } from "./pep508.js";
import { checkHash, parseOptionTokens, shellQuote, shellSplit } from "./pip-options.js";
import {
  isArchiveName,
  isUrl,
  looksLikePath,
  normalizeName,
  parseReferenceLine,
} from "./references.js";

/** Longest accepted line, physical or logical (continuations joined), in characters. */
export const MAX_LINE_LENGTH = 64 * 1024;

/** A `-r FILE` / `-c FILE` line. `path` is as written in the file. */
export interface IncludeLine {
  path: string;
  /** true for `-c`/`--constraint`. */
  constraint: boolean;
  source: SourceLocation;
}

/** One logical line of a requirements file, in file order. */
export type ParsedLine =
  | { kind: "requirement"; requirement: Requirement }
  | { kind: "option"; option: PipOptionLine }
  | { kind: "include"; include: IncludeLine };

/** One requirements file, parsed, includes not yet followed. */
export interface ParsedFile {
  file: string;
  lines: ParsedLine[];
}

// ------------------------------------------------------------------------------- line joining

const COMMENT_AT_START = /^(?:\s*)#/;
const COMMENT = /(^|\s+)#.*$/;

interface LogicalLine {
  line: number;
  text: string;
}

function physicalLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  // A final newline does not start another line.
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** pip's join_lines + ignore_comments: logical lines, numbered by their first physical line. */
function logicalLines(lines: string[], file: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  let pending: string[] = [];
  let first = 0;
  const emit = (line: number, raw: string) => {
    const text = raw.replace(COMMENT, "").trim();
    if (text.length > MAX_LINE_LENGTH) {
      throw new InputError(
        `${at(file, line)}: logical line is ${text.length} characters long (joined with "\\" continuations); the limit is ${MAX_LINE_LENGTH}`,
        "a requirements file holds one short requirement per line; check that this is the right file",
      );
    }
    if (text !== "") out.push({ line, text });
  };
  lines.forEach((raw, i) => {
    const n = i + 1;
    const isComment = COMMENT_AT_START.test(raw);
    if (!raw.endsWith("\\") || isComment) {
      // A comment line ends a continuation; the leading space makes sure it is cut as a comment.
      const piece = isComment ? ` ${raw}` : raw;
      if (pending.length > 0) {
        pending.push(piece);
        emit(first, pending.join(""));
        pending = [];
      } else {
        emit(n, piece);
      }
    } else {
      if (pending.length === 0) first = n;
      pending.push(raw.slice(0, -1));
    }
  });
  if (pending.length > 0) emit(first, pending.join(""));
  return out;
}

// ------------------------------------------------------------------------------ line parsing

/**
 * pip's break_args_options: a requirement line's requirement and its per-requirement options
 * (`--hash=...`), split at the first whitespace-separated token starting with "-".
 */
export function splitRequirementLine(text: string): { requirement: string; options: string } {
  const words = text.split(/\s+/);
  const firstOpt = words.findIndex((w, k) => k > 0 && w.startsWith("-"));
  if (firstOpt < 0) return { requirement: text, options: "" };
  const at = indexOfWord(text, firstOpt);
  return { requirement: text.slice(0, at).trim(), options: text.slice(at) };
}

function parseRequirementLine(text: string, source: SourceLocation): Requirement {
  const { requirement: reqPart, options: optPart } = splitRequirementLine(text);
  for (const opt of parseOptionTokens(shellSplit(optPart))) {
    if (!opt.spec.perRequirement) {
      throw new LineError(
        `${opt.spec.name} cannot follow a requirement`,
        `put ${opt.spec.name} on a line of its own; after a requirement only --hash, --config-settings and --global-option are allowed`,
      );
    }
    if (opt.spec.name === "--hash") checkHash(opt.value ?? "");
  }

  const head = reqPart.split(/[\s;[]/)[0] ?? "";
  if (
    isUrl(reqPart) ||
    isArchiveName(head) ||
    (looksLikePath(head) && !/\s@\s|^[^/\\]*@/.test(reqPart))
  ) {
    return parseReferenceLine(reqPart, text, source);
  }
  const p = parsePep508(reqPart);
  const req: Requirement = {
    name: normalizeName(p.rawName),
    rawName: p.rawName,
    extras: p.extras,
    specifier: p.specifier,
    line: text,
    source,
  };
  if (p.marker !== undefined) req.marker = p.marker;
  if (p.url !== undefined) req.url = p.url;
  return req;
}

/** Character index of the k-th whitespace-separated word of s (s is trimmed). */
function indexOfWord(s: string, k: number): number {
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  let n = 0;
  while ((m = re.exec(s))) {
    if (n === k) return m.index;
    n++;
  }
  return s.length;
}

function parseOptionLine(text: string, source: SourceLocation): ParsedLine[] {
  const out: ParsedLine[] = [];
  const opts = parseOptionTokens(shellSplit(text));
  for (const opt of opts) {
    const { spec, value } = opt;
    if (spec.perRequirement) {
      throw new LineError(
        `${spec.name} must follow a requirement on the same line`,
        `write e.g. numpy==1.26.4 ${spec.name}=...`,
      );
    }
    if (spec.name === "--requirement" || spec.name === "--constraint") {
      out.push({
        kind: "include",
        include: { path: value!, constraint: spec.name === "--constraint", source },
      });
    } else if (spec.name === "--editable") {
      // The requirement's line is the -e option alone, so that it reads as editable on its own.
      const line = opts.length === 1 ? text : `--editable ${shellQuote(value!)}`;
      const req = parseReferenceLine(value!, line, source);
      out.push({ kind: "requirement", requirement: req });
    } else {
      const option: PipOptionLine = { option: spec.name, source };
      if (value !== undefined) option.value = value;
      out.push({ kind: "option", option });
    }
  }
  return out;
}

/**
 * Parses the text of one requirements file. Pure: includes are reported, not followed.
 * Throws InputError naming `file:line` for any line pip would reject (and a few it would
 * silently misread, like `numpy=1.2`).
 */
export function parseRequirementsText(text: string, file: string): ParsedFile {
  if (text.startsWith("\uFEFF")) text = text.slice(1);
  const lines = physicalLines(text);
  lines.forEach((l, i) => {
    if (l.includes("\0")) {
      throw new InputError(
        `${at(file, i + 1)}: binary content (NUL byte); this is not a requirements file`,
        "pass the text file that lists one requirement per line, e.g. requirements.txt",
      );
    }
    if (l.includes("\uFFFD")) {
      throw new InputError(
        `${at(file, i + 1)}: invalid UTF-8 (or binary content)`,
        "save the file as UTF-8 text",
      );
    }
    if (l.length > MAX_LINE_LENGTH) {
      throw new InputError(
        `${at(file, i + 1)}: line is ${l.length} characters long; the limit is ${MAX_LINE_LENGTH}`,
        "a requirements file holds one short requirement per line; check that this is the right file",
      );
    }
  });
  const out: ParsedLine[] = [];
  for (const { line, text: logical } of logicalLines(lines, file)) {
    const source: SourceLocation = { file, line };
    try {
      if (logical.startsWith("-")) out.push(...parseOptionLine(logical, source));
      else out.push({ kind: "requirement", requirement: parseRequirementLine(logical, source) });
    } catch (err) {
      if (err instanceof LineError) {
        throw new InputError(`${at(file, line)}: ${err.message}`, err.hint);
      }
      throw err;
    }
  }
  return { file, lines: out };
}
