// pip requirements files: parsing (pure), loading with -r/-c includes, and flattening into the
// one file a build context carries.
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

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { InputError, at } from "../errors.js";
import type { PipOptionLine, Requirement, RequirementsSet, SourceLocation } from "../types.js";

/** Longest accepted line, physical or logical (continuations joined), in characters. */
export const MAX_LINE_LENGTH = 64 * 1024;
/** Largest requirements file the default reader accepts. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

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

/**
 * What a requirement refers to:
 * - "named": a PEP 508 requirement from an index (`numpy>=1.26`, `pkg[x]; marker`);
 * - "url": a remote direct reference (`pkg @ https://...`, `git+https://...`);
 * - "local": a path on the user's disk (`./pkg`, `file:...`, `pkg @ file:///...`, `x.whl`);
 * - "editable": `-e`/`--editable`.
 * "local" and "editable" need the project folder in the build context.
 */
export type RequirementKind = "named" | "url" | "local" | "editable";

// ------------------------------------------------------------------------------------ options

interface OptionSpec {
  /** Canonical long form, used in PipOptionLine.option. */
  name: string;
  takesValue: boolean;
  /** Allowed after a requirement on the same line. */
  perRequirement?: boolean;
  /** Allowed on a line of its own. */
  global?: boolean;
  removed?: string;
}

const OPTION_SPECS: OptionSpec[] = [
  { name: "--index-url", takesValue: true, global: true },
  { name: "--extra-index-url", takesValue: true, global: true },
  { name: "--no-index", takesValue: false, global: true },
  { name: "--find-links", takesValue: true, global: true },
  { name: "--trusted-host", takesValue: true, global: true },
  { name: "--pre", takesValue: false, global: true },
  { name: "--no-binary", takesValue: true, global: true },
  { name: "--only-binary", takesValue: true, global: true },
  { name: "--prefer-binary", takesValue: false, global: true },
  { name: "--require-hashes", takesValue: false, global: true },
  { name: "--use-feature", takesValue: true, global: true },
  { name: "--requirement", takesValue: true, global: true },
  { name: "--constraint", takesValue: true, global: true },
  { name: "--editable", takesValue: true, global: true },
  { name: "--hash", takesValue: true, perRequirement: true },
  { name: "--config-settings", takesValue: true, perRequirement: true },
  { name: "--global-option", takesValue: true, perRequirement: true },
  {
    name: "--install-option",
    takesValue: true,
    perRequirement: true,
    removed: "pip 23.1 removed --install-option; use --config-settings",
  },
];
const LONG_OPTIONS = new Map(OPTION_SPECS.map((s) => [s.name, s]));
const SHORT_OPTIONS = new Map<string, string>([
  ["-i", "--index-url"],
  ["-f", "--find-links"],
  ["-r", "--requirement"],
  ["-c", "--constraint"],
  ["-e", "--editable"],
  ["-C", "--config-settings"],
]);

/** Options that say where packages come from; the run replaces them with its own index. */
export const SOURCE_OPTIONS: ReadonlySet<string> = new Set([
  "--index-url",
  "--extra-index-url",
  "--no-index",
  "--find-links",
  "--trusted-host",
]);

const HASH_LENGTHS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

// ------------------------------------------------------------------------------ syntax errors

/** A complaint about one logical line; turned into an InputError naming file:line. */
class LineError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

function quote(s: string, max = 60): string {
  const short = s.length > max ? `${s.slice(0, max)}...` : s;
  return `'${short}'`;
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

// --------------------------------------------------------------------------------- tokenizing

/** POSIX shlex.split, as pip uses for the options part of a line. */
function shellSplit(s: string): string[] {
  const tokens: string[] = [];
  let cur = "";
  let inToken = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      if (inToken) tokens.push(cur);
      cur = "";
      inToken = false;
      i++;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new LineError(`unterminated ' quote in ${quote(s.slice(i))}`);
      cur += s.slice(i + 1, end);
      inToken = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inToken = true;
      let closed = false;
      while (i < s.length) {
        const d = s[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === "\\" && i + 1 < s.length && '"\\$`'.includes(s[i + 1]!)) {
          cur += s[i + 1];
          i += 2;
        } else {
          cur += d;
          i++;
        }
      }
      if (!closed) throw new LineError(`unterminated " quote in ${quote(s)}`);
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[i + 1];
      inToken = true;
      i += 2;
    } else {
      cur += c;
      inToken = true;
      i++;
    }
  }
  if (inToken) tokens.push(cur);
  return tokens;
}

interface ParsedOption {
  spec: OptionSpec;
  value?: string;
}

function suggestOption(word: string): string {
  const bare = word.replace(/=.*$/, "");
  const near = OPTION_SPECS.filter((s) => !s.removed).find(
    (s) => s.name.startsWith(bare) || bare.startsWith(s.name) || s.name.includes(bare.slice(2)),
  );
  return near
    ? `did you mean ${near.name}?`
    : `requirements files accept ${OPTION_SPECS.filter((s) => s.global)
        .map((s) => s.name)
        .join(", ")}`;
}

/** Parses a list of option tokens (optparse style: `--opt=v`, `--opt v`, `-o v`, `-ov`). */
function parseOptionTokens(tokens: string[]): ParsedOption[] {
  const out: ParsedOption[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    let spec: OptionSpec | undefined;
    let value: string | undefined;
    let inline = false;
    if (tok.startsWith("--")) {
      const eq = tok.indexOf("=");
      const name = eq >= 0 ? tok.slice(0, eq) : tok;
      spec = LONG_OPTIONS.get(name);
      if (!spec) throw new LineError(`unknown option ${quote(name)}`, suggestOption(tok));
      if (eq >= 0) {
        value = tok.slice(eq + 1);
        inline = true;
      }
    } else if (tok.startsWith("-") && tok.length >= 2) {
      const long = SHORT_OPTIONS.get(tok.slice(0, 2));
      spec = long === undefined ? undefined : LONG_OPTIONS.get(long);
      if (!spec)
        throw new LineError(`unknown option ${quote(tok.slice(0, 2))}`, suggestOption(tok));
      if (tok.length > 2) {
        value = tok.slice(2);
        inline = true;
        if (value.startsWith("=")) {
          throw new LineError(
            `${quote(tok)}: a short option takes its value after a space`,
            `write ${tok.slice(0, 2)} ${value.slice(1)} or ${spec.name}=${value.slice(1)}`,
          );
        }
      }
    } else {
      const prev = out[out.length - 1];
      throw new LineError(
        `unexpected ${quote(tok)}${prev ? ` after ${prev.spec.name}` : ""}`,
        prev && !prev.spec.takesValue
          ? `${prev.spec.name} takes no value; put each requirement on its own line`
          : "put each requirement and each option on its own line",
      );
    }
    if (spec.removed) throw new LineError(`${spec.name} is not supported`, spec.removed);
    if (spec.takesValue && !inline) {
      const next = tokens[i + 1];
      if (next === undefined) {
        throw new LineError(`${spec.name} needs a value`, `write ${spec.name} VALUE`);
      }
      value = next;
      i++;
    }
    if (!spec.takesValue && inline) {
      throw new LineError(`${spec.name} takes no value`, `write ${spec.name} alone`);
    }
    if (spec.takesValue && value === "") {
      throw new LineError(`${spec.name} needs a value`, `write ${spec.name} VALUE`);
    }
    out.push(value === undefined ? { spec } : { spec, value });
  }
  return out;
}

function checkHash(value: string): void {
  const m = /^([A-Za-z0-9]+):(.*)$/.exec(value);
  if (!m) {
    throw new LineError(
      `--hash ${quote(value)} is not ALGORITHM:HEX`,
      "write --hash=sha256:<64 hex digits>, as `pip hash FILE` prints it",
    );
  }
  const algo = m[1]!;
  const hex = m[2]!;
  const want = HASH_LENGTHS[algo];
  if (want === undefined) {
    throw new LineError(
      `--hash algorithm ${quote(algo)} is not accepted by pip`,
      "use sha256, sha384 or sha512 (`pip hash FILE` prints sha256)",
    );
  }
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== want) {
    throw new LineError(
      `--hash ${algo} value must be ${want} hex digits, got ${quote(hex)}`,
      "copy the hash again from `pip hash FILE` or the index",
    );
  }
}

// ---------------------------------------------------------------------------------- PEP 508

const NAME_RE = /[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/y;
const NAME_ONLY = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const OP_RE = /===|~=|==|!=|<=|>=|<|>/y;
const VERSION_RE = /[A-Za-z0-9_.*+!-]+/y;
const ARBITRARY_RE = /[^\s,;)]+/y;
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

const PRE = String.raw`(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?`;
const POST = String.raw`(?:-\d+|[-_.]?(?:post|rev|r)[-_.]?\d*)?`;
const DEV = String.raw`(?:[-_.]?dev[-_.]?\d*)?`;
const LOCAL = String.raw`(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?`;
const EPOCH = String.raw`v?(?:\d+!)?`;
const V_PUBLIC = new RegExp(`^${EPOCH}\\d+(?:\\.\\d+)*${PRE}${POST}${DEV}$`, "i");
const V_LOCAL = new RegExp(`^${EPOCH}\\d+(?:\\.\\d+)*${PRE}${POST}${DEV}${LOCAL}$`, "i");
const V_WILDCARD = new RegExp(`^${EPOCH}\\d+(?:\\.\\d+)*\\.\\*$`, "i");
const V_COMPATIBLE = new RegExp(`^${EPOCH}\\d+(?:\\.\\d+)+${PRE}${POST}${DEV}$`, "i");

function checkVersion(op: string, version: string): void {
  let ok: boolean;
  let hint = "versions look like 1.2, 1.2.3, 2.0rc1, 1.0.post1 (PEP 440)";
  switch (op) {
    case "===":
      ok = true;
      break;
    case "==":
    case "!=":
      ok = V_LOCAL.test(version) || V_WILDCARD.test(version);
      break;
    case "~=":
      ok = V_COMPATIBLE.test(version);
      hint = "~= needs at least two release numbers, e.g. ~=1.4 or ~=1.4.2";
      break;
    default:
      ok = V_PUBLIC.test(version);
      if (V_WILDCARD.test(version))
        hint = `a wildcard works with == and != only, e.g. ==${version}`;
      else if (V_LOCAL.test(version)) hint = `a local version (+...) works with == and != only`;
  }
  if (!ok) throw new LineError(`invalid version ${quote(version)} in ${quote(op + version)}`, hint);
}

const MARKER_VARIABLES = new Set([
  "python_version",
  "python_full_version",
  "os_name",
  "sys_platform",
  "platform_release",
  "platform_system",
  "platform_version",
  "platform_machine",
  "platform_python_implementation",
  "implementation_name",
  "implementation_version",
  "extra",
  "extras",
  "dependency_groups",
  // Legacy spellings packaging still accepts.
  "os.name",
  "sys.platform",
  "platform.version",
  "platform.machine",
  "platform.python_implementation",
  "python_implementation",
]);

type MarkerToken =
  | { t: "str"; v: string }
  | { t: "var"; v: string }
  | { t: "op"; v: string }
  | { t: "and" | "or" | "(" | ")" };

function tokenizeMarker(s: string): MarkerToken[] {
  const out: MarkerToken[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "(" || c === ")") {
      out.push({ t: c });
      i++;
    } else if (c === "'" || c === '"') {
      const end = s.indexOf(c, i + 1);
      if (end < 0) throw new LineError(`unterminated ${c} quote in marker ${quote(s)}`);
      out.push({ t: "str", v: s.slice(i + 1, end) });
      i = end + 1;
    } else if ("<>=!~".includes(c)) {
      const m = /===|~=|==|!=|<=|>=|<|>/y;
      m.lastIndex = i;
      const hit = m.exec(s);
      if (!hit) {
        throw new LineError(
          `invalid operator in marker ${quote(s)}`,
          "marker operators are == != < <= > >= ~= in, not in",
        );
      }
      out.push({ t: "op", v: hit[0] });
      i += hit[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /[A-Za-z_][A-Za-z0-9_.]*/y;
      m.lastIndex = i;
      const word = m.exec(s)![0];
      i += word.length;
      if (word === "and" || word === "or") out.push({ t: word });
      else if (word === "in") out.push({ t: "op", v: "in" });
      else if (word === "not") {
        const rest = /\s+in\b/y;
        rest.lastIndex = i;
        const hit = rest.exec(s);
        if (!hit) throw new LineError(`'not' must be followed by 'in' in marker ${quote(s)}`);
        i += hit[0].length;
        out.push({ t: "op", v: "not in" });
      } else if (MARKER_VARIABLES.has(word)) out.push({ t: "var", v: word });
      else {
        throw new LineError(
          `unknown marker variable ${quote(word)}`,
          "markers use python_version, sys_platform, platform_machine, os_name, implementation_name, ... (PEP 508); quote string values",
        );
      }
    } else {
      throw new LineError(`unexpected ${quote(s.slice(i))} in marker`);
    }
  }
  return out;
}

function checkMarker(marker: string): void {
  if (marker === "") {
    throw new LineError("empty environment marker after ';'", "remove the ';' or add a marker");
  }
  const toks = tokenizeMarker(marker);
  let p = 0;
  const fail = (): never => {
    const near = toks[p];
    throw new LineError(
      `invalid environment marker ${quote(marker)}${near ? "" : " (it ends too early)"}`,
      `write e.g. python_version < "3.12" and sys_platform == "linux"`,
    );
  };
  const value = () => {
    const tok = toks[p];
    if (tok && (tok.t === "str" || tok.t === "var")) p++;
    else fail();
  };
  const expr = (): void => {
    const tok = toks[p];
    if (tok?.t === "(") {
      p++;
      or();
      if (toks[p]?.t !== ")") fail();
      p++;
      return;
    }
    value();
    if (toks[p]?.t !== "op") fail();
    p++;
    value();
  };
  const and = () => {
    expr();
    while (toks[p]?.t === "and") {
      p++;
      expr();
    }
  };
  const or = () => {
    and();
    while (toks[p]?.t === "or") {
      p++;
      and();
    }
  };
  or();
  if (p !== toks.length) fail();
}

interface Pep508 {
  rawName: string;
  extras: string[];
  specifier: string;
  marker?: string;
  url?: string;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && /\s/.test(s[i]!)) i++;
  return i;
}

function parseExtras(s: string, i: number): { extras: string[]; end: number } {
  // s[i] === "["
  const close = s.indexOf("]", i);
  if (close < 0)
    throw new LineError(`unclosed '[' in ${quote(s)}`, "write extras as name[extra1,extra2]");
  const inner = s.slice(i + 1, close).trim();
  const extras: string[] = [];
  if (inner !== "") {
    for (const part of inner.split(",")) {
      const e = part.trim();
      if (!NAME_ONLY.test(e)) {
        throw new LineError(
          `invalid extra name ${quote(e)} in ${quote(s.slice(i, close + 1))}`,
          "extras are names separated by commas, e.g. requests[socks,security]",
        );
      }
      extras.push(e);
    }
  }
  return { extras, end: close + 1 };
}

/** Parses a PEP 508 requirement; throws LineError. */
function parsePep508(s: string): Pep508 {
  let i = skipWs(s, 0);
  NAME_RE.lastIndex = i;
  const nm = NAME_RE.exec(s);
  if (!nm) throw new LineError(`expected a package name at ${quote(s.slice(i))}`);
  const rawName = nm[0];
  i = skipWs(s, i + rawName.length);
  let extras: string[] = [];
  if (s[i] === "[") {
    const ex = parseExtras(s, i);
    extras = ex.extras;
    i = skipWs(s, ex.end);
  }
  let specifier = "";
  let url: string | undefined;
  if (s[i] === "@") {
    i = skipWs(s, i + 1);
    const m = /\S+/y;
    m.lastIndex = i;
    const u = m.exec(s)?.[0];
    if (!u) throw new LineError(`'${rawName} @' needs a URL`, `write ${rawName} @ https://...`);
    if (!URL_SCHEME.test(u) || /^[A-Za-z]:[\\/]/.test(u)) {
      throw new LineError(
        `${quote(u)} after '@' is not a URL`,
        `write ${rawName} @ file:///absolute/path for a local path, or put the path alone on the line`,
      );
    }
    if (u.includes(";")) {
      throw new LineError(
        `${quote(u)}: a ';' right after a URL is read as part of it`,
        `put a space before the marker: ${rawName} @ ${u.slice(0, u.indexOf(";"))} ; ${u.slice(u.indexOf(";") + 1)}`,
      );
    }
    url = u;
    i = skipWs(s, i + u.length);
  } else {
    const paren = s[i] === "(";
    if (paren) i = skipWs(s, i + 1);
    const parts: string[] = [];
    while (i < s.length && "<>=!~".includes(s[i]!)) {
      OP_RE.lastIndex = i;
      const op = OP_RE.exec(s)?.[0];
      if (!op) {
        const bad = /[<>=!~]+/y;
        bad.lastIndex = i;
        const what = bad.exec(s)![0];
        throw new LineError(
          `invalid version operator ${quote(what)}`,
          what === "="
            ? `use '==' to pin a version: ${rawName}==VERSION`
            : "operators are == != < <= > >= ~= ===",
        );
      }
      i = skipWs(s, i + op.length);
      const re = op === "===" ? ARBITRARY_RE : VERSION_RE;
      re.lastIndex = i;
      const version = re.exec(s)?.[0];
      if (!version) throw new LineError(`expected a version after ${quote(op)}`);
      checkVersion(op, version);
      parts.push(op + version);
      i = skipWs(s, i + version.length);
      if (s[i] === ",") {
        i = skipWs(s, i + 1);
        if (i >= s.length || !"<>=!~".includes(s[i]!)) {
          throw new LineError(`expected a version specifier after ',' in ${quote(s)}`);
        }
      }
    }
    if (paren) {
      if (s[i] !== ")") throw new LineError(`unclosed '(' in ${quote(s)}`);
      i = skipWs(s, i + 1);
    }
    specifier = parts.join(",");
  }
  let marker: string | undefined;
  if (s[i] === ";") {
    marker = s.slice(i + 1).trim();
    checkMarker(marker);
    i = s.length;
  }
  if (i < s.length) {
    const rest = s.slice(i);
    let hint = "one requirement per line: name[extras] specifiers ; marker (PEP 508)";
    if (/^v?\d/.test(rest)) hint = `to pin a version write ${rawName}==${rest.split(/\s/)[0]}`;
    else if (NAME_ONLY.test(rest.split(/\s/)[0] ?? ""))
      hint = "put each requirement on its own line";
    throw new LineError(`unexpected ${quote(rest)} after ${quote(s.slice(0, i).trim())}`, hint);
  }
  const out: Pep508 = { rawName, extras, specifier };
  if (marker !== undefined) out.marker = marker;
  if (url !== undefined) out.url = url;
  return out;
}

// ------------------------------------------------------------------------- paths and URLs

const ARCHIVE_EXTENSIONS = [
  ".whl",
  ".zip",
  ".tar.gz",
  ".tgz",
  ".tar",
  ".tar.bz2",
  ".tbz",
  ".tar.xz",
  ".txz",
  ".tlz",
  ".tar.lz",
  ".tar.lzma",
];

function isArchiveName(s: string): boolean {
  const lower = s.toLowerCase().replace(/[#?].*$/, "");
  return ARCHIVE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** True for `scheme://...`, `file:...` and VCS URLs. */
function isUrl(s: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(s) || /^file:/i.test(s);
}

function looksLikePath(s: string): boolean {
  return (
    s.startsWith(".") ||
    s.startsWith("/") ||
    s.startsWith("~") ||
    /^[A-Za-z]:[\\/]/.test(s) ||
    s.includes("/") ||
    s.includes("\\")
  );
}

/** True when a path or URL points at the user's disk. */
export function isLocalReference(ref: string): boolean {
  return /^file:/i.test(ref) || !isUrl(ref);
}

/** The project name a path/URL line declares (#egg=, wheel or sdist file name), or "". */
function nameFromReference(ref: string): string {
  const egg = /[#&]egg=([A-Za-z0-9._-]+)/.exec(ref);
  if (egg) return egg[1]!;
  const base =
    ref
      .replace(/[#?].*$/, "")
      .replace(/[/\\]+$/, "")
      .split(/[/\\]/)
      .pop() ?? "";
  // Wheel names escape "-" in the project name as "_": the name is the first dash-separated part.
  if (base.toLowerCase().endsWith(".whl"))
    return base.split("-").length >= 5 ? base.split("-")[0]! : "";
  if (isArchiveName(base)) {
    const m = /^(.+?)-\d[^-]*\.(?:tar|zip|tgz|tbz|txz|tlz)/i.exec(base);
    if (m) return m[1]!;
  }
  return "";
}

/** PEP 503 normalisation: lowercase, runs of `-`, `_`, `.` become one `-`. */
export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}

/** Classifies a parsed requirement (see RequirementKind). */
export function requirementKind(req: Requirement): RequirementKind {
  if (/^(?:-e|--editable\b)/.test(req.line)) return "editable";
  if (req.url === undefined) return "named";
  return isLocalReference(req.url) ? "local" : "url";
}

/** A line that is only a path or URL (with optional [extras] and ; marker). */
function parseReferenceLine(ref: string, line: string, source: SourceLocation): Requirement {
  let body = ref;
  let marker: string | undefined;
  const semi = /;\s/.exec(body) ?? (isUrl(body) ? null : /;/.exec(body));
  if (semi) {
    marker = body.slice(semi.index + 1).trim();
    checkMarker(marker);
    body = body.slice(0, semi.index).trim();
  }
  let extras: string[] = [];
  const ex = /\[([^\]]*)\]$/.exec(body);
  if (ex && !isUrl(body)) {
    extras = parseExtras(body, ex.index).extras;
    body = body.slice(0, ex.index);
  }
  if (body === "") throw new LineError(`expected a path or URL in ${quote(line)}`);
  if (/\s/.test(body)) {
    throw new LineError(
      `unexpected whitespace in path or URL ${quote(body)}`,
      "pip cannot read a space here: percent-encode it in a URL (%20) or rename the folder",
    );
  }
  const rawName = nameFromReference(body);
  const req: Requirement = {
    name: rawName === "" ? "" : normalizeName(rawName),
    rawName,
    extras,
    specifier: "",
    url: body,
    line,
    source,
  };
  if (marker !== undefined) req.marker = marker;
  return req;
}

// ------------------------------------------------------------------------------ line parsing

function parseRequirementLine(text: string, source: SourceLocation): Requirement {
  // pip's break_args_options: the first whitespace-separated token starting with "-" begins the
  // per-requirement options.
  const words = text.split(/\s+/);
  const firstOpt = words.findIndex((w, k) => k > 0 && w.startsWith("-"));
  const reqPart = firstOpt < 0 ? text : text.slice(0, indexOfWord(text, firstOpt)).trim();
  const optPart = firstOpt < 0 ? "" : text.slice(indexOfWord(text, firstOpt));
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

// ------------------------------------------------------------------------------------ loading

export interface LoadOptions {
  /** Reads a file as text; throws an error with a Node `code` (ENOENT, EISDIR, EACCES) on failure. */
  readFile?: (p: string) => string;
  /** Accept `-e` and local path requirements (they need the project folder in the context). */
  allowEditable?: boolean;
}

/** Decodes a requirements file: UTF-8 (BOM optional), or UTF-16 with a BOM (PowerShell's `>`). */
export function decodeRequirementsBytes(buf: Buffer): string {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) {
    return new TextDecoder("utf-16le").decode(buf.subarray(2));
  }
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    return new TextDecoder("utf-16be").decode(buf.subarray(2));
  }
  // Not fatal: invalid bytes become U+FFFD, which the parser reports with a line number.
  return new TextDecoder("utf-8").decode(buf);
}

/** The default reader: a regular file of at most MAX_FILE_BYTES, decoded. */
export function readRequirementsFile(p: string): string {
  const st = fs.statSync(p);
  if (st.isDirectory()) throw Object.assign(new Error(`${p} is a directory`), { code: "EISDIR" });
  if (!st.isFile()) throw Object.assign(new Error(`${p} is not a file`), { code: "ENOTREG" });
  if (st.size > MAX_FILE_BYTES) {
    throw Object.assign(new Error(`${p} is ${st.size} bytes`), { code: "EFBIG" });
  }
  return decodeRequirementsBytes(fs.readFileSync(p));
}

function readFailure(err: unknown, p: string, where: string, what: string): InputError {
  if (err instanceof InputError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const shown = where === "" ? p : `${where}: ${what}`;
  const resolved = where === "" ? "" : ` (looked for ${p})`;
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
      return new InputError(
        `${shown}: no such file${resolved}`,
        where === ""
          ? "check the path; it is relative to the current directory"
          : "include paths are relative to the file that includes them",
      );
    case "EISDIR":
      return new InputError(
        `${shown}: is a directory, not a requirements file${resolved}`,
        "pass the requirements file inside it, e.g. DIR/requirements.txt",
      );
    case "ENOTREG":
      return new InputError(`${shown}: not a regular file${resolved}`, "pass a text file");
    case "EFBIG":
      return new InputError(
        `${shown}: larger than ${MAX_FILE_BYTES} bytes${resolved}; not a requirements file`,
        "pass the text file that lists one requirement per line",
      );
    case "EACCES":
    case "EPERM":
      return new InputError(
        `${shown}: cannot read it, permission denied${resolved}`,
        "make the file readable for this user",
      );
    default:
      return new InputError(
        `${shown}: cannot read it${resolved}: ${err instanceof Error ? err.message : String(err)}`,
      );
  }
}

function resolveInclude(inc: IncludeLine, parent: string): string {
  const p = inc.path;
  if (/^file:/i.test(p)) {
    try {
      return fileURLToPath(p);
    } catch {
      throw new InputError(
        `${at(inc.source.file, inc.source.line)}: ${quote(p)} is not a local file URL`,
        "write file:///absolute/path or a path relative to this file",
      );
    }
  }
  if (isUrl(p)) {
    throw new InputError(
      `${at(inc.source.file, inc.source.line)}: remote includes are not supported (${quote(p)})`,
      "download the file next to this one and include it by its relative path",
    );
  }
  return path.isAbsolute(p) ? p : path.join(path.dirname(parent), p);
}

function editableError(req: Requirement, kind: RequirementKind): InputError {
  const where = at(req.source.file, req.source.line);
  const remote = req.url !== undefined && !isLocalReference(req.url);
  if (kind === "editable" && remote) {
    return new InputError(
      `${where}: editable requirement ${quote(req.line)} is not supported in an image build`,
      "drop the -e to install it as a regular package",
    );
  }
  return new InputError(
    `${where}: ${quote(req.line)} installs from the project folder, which the build context does not hold`,
    "these need the project folder: pass --app DIR (or install the package from an index instead)",
  );
}

function checkConstraint(req: Requirement, kind: RequirementKind): void {
  const where = at(req.source.file, req.source.line);
  if (kind === "editable") {
    throw new InputError(
      `${where}: editable requirements are not allowed as constraints`,
      "move the -e line to a requirements file (-r), or pin a version here",
    );
  }
  if (req.name === "") {
    throw new InputError(
      `${where}: unnamed requirements are not allowed as constraints (${quote(req.line)})`,
      "write name @ URL, or name==VERSION",
    );
  }
  if (req.extras.length > 0) {
    throw new InputError(
      `${where}: constraints cannot have extras (${quote(req.line)})`,
      `write the constraint without [${req.extras.join(",")}]`,
    );
  }
}

/**
 * Reads a requirements file and everything it includes (`-r` as requirements, `-c` as
 * constraints, paths relative to the including file, as pip does). `hash` is the sha256 of
 * the files' text, in the order read, each followed by a NUL.
 */
export function loadRequirements(file: string, options: LoadOptions = {}): RequirementsSet {
  const readFile = options.readFile ?? readRequirementsFile;
  const sha = createHash("sha256");
  const set: RequirementsSet = { file, requirements: [], options: [], constraints: [], hash: "" };
  const stack: { key: string; shown: string }[] = [];

  const visit = (p: string, constraint: boolean, from?: IncludeLine): void => {
    const key = path.resolve(p);
    const cycleAt = stack.findIndex((s) => s.key === key);
    if (cycleAt >= 0 && from) {
      const chain = [...stack.slice(cycleAt).map((s) => s.shown), p].join(" -> ");
      throw new InputError(
        `${at(from.source.file, from.source.line)}: include cycle: ${chain}`,
        `remove the ${constraint ? "-c" : "-r"} ${from.path} line, or the include that leads back to it`,
      );
    }
    let text: string;
    try {
      const got: unknown = readFile(p);
      if (typeof got !== "string") throw Object.assign(new Error("missing"), { code: "ENOENT" });
      text = got;
    } catch (err) {
      const where = from ? at(from.source.file, from.source.line) : "";
      const what = from ? `${from.constraint ? "-c" : "-r"} ${from.path}` : "";
      throw readFailure(err, p, where, what);
    }
    sha.update(text, "utf8");
    sha.update("\0");
    const parsed = parseRequirementsText(text, p);
    stack.push({ key, shown: p });
    for (const item of parsed.lines) {
      if (item.kind === "option") set.options.push(item.option);
      else if (item.kind === "include") {
        visit(resolveInclude(item.include, p), item.include.constraint, item.include);
      } else {
        const req = item.requirement;
        const kind = requirementKind(req);
        if (constraint) {
          checkConstraint(req, kind);
          set.constraints.push(req);
        } else {
          if ((kind === "editable" || kind === "local") && !options.allowEditable) {
            throw editableError(req, kind);
          }
          set.requirements.push(req);
        }
      }
    }
    stack.pop();
  };

  visit(file, false);
  if (set.requirements.length === 0) {
    throw new InputError(
      `${file}: no requirements found${set.constraints.length > 0 || set.options.length > 0 ? " (only options and constraints)" : ""}`,
      "list at least one package, one per line, e.g. numpy==1.26.4",
    );
  }
  set.hash = sha.digest("hex");
  return set;
}

// --------------------------------------------------------------------------------- flattening

/** True when a URL carries a password or a token in its user part (`${VAR}` does not count). */
export function urlHasCredentials(url: string): boolean {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)@/.exec(url);
  if (!m) return false;
  const scheme = m[1]!.toLowerCase();
  const userinfo = m[2]!.replace(/\$\{[A-Za-z0-9_]+\}/g, "");
  if (userinfo === "" || userinfo === ":") return false;
  if (userinfo.includes(":")) return true;
  // A lone user is a token on http(s); on ssh it is the account name (git@github.com).
  return !scheme.endsWith("ssh");
}

function refuseCredentials(reqs: Requirement[]): void {
  for (const r of reqs) {
    const urls = r.line.match(/[A-Za-z][A-Za-z0-9+.-]*:\/\/\S+/g) ?? [];
    if (urls.some(urlHasCredentials)) {
      throw new InputError(
        `${at(r.source.file, r.source.line)}: this requirement's URL carries credentials, and the requirements file is copied into the image`,
        "publish the package on an index and pass it with --extra-index-url (credentials stay on the host), or use a URL without credentials",
      );
    }
  }
}

function header(set: RequirementsSet, what: string): string[] {
  return [
    `# ${what} of ${path.basename(set.file)}, flattened by shrinkbench (sha256 ${set.hash.slice(0, 12)}).`,
    "# Package source options (indexes, links, trusted hosts) are left out: the run supplies its own.",
  ];
}

function bodyLines(reqs: Requirement[], top: string): string[] {
  const out: string[] = [];
  let current = top;
  for (const r of reqs) {
    if (r.source.file !== current) {
      out.push(`# from ${path.basename(r.source.file)}`);
      current = r.source.file;
    }
    out.push(r.line);
  }
  return out;
}

export interface FlattenOptions {
  /** When set and the set has constraints, adds `-c NAME` so pip applies flattenConstraints' file. */
  constraintsFile?: string;
}

/**
 * The text of one requirements file for a build context: pip options that change what gets
 * installed (`--pre`, `--only-binary`, ...), then every requirement line as written (including
 * `--hash` options), in include order. Index, find-links and trusted-host lines are left out.
 * Throws InputError for a requirement whose URL carries credentials.
 */
export function flattenRequirements(set: RequirementsSet, options: FlattenOptions = {}): string {
  refuseCredentials(set.requirements);
  const out = header(set, "Requirements");
  for (const o of set.options) {
    if (SOURCE_OPTIONS.has(o.option)) continue;
    out.push(o.value === undefined ? o.option : `${o.option} ${shellQuote(o.value)}`);
  }
  if (options.constraintsFile && set.constraints.length > 0) {
    out.push(`-c ${shellQuote(options.constraintsFile)}`);
  }
  out.push(...bodyLines(set.requirements, set.file));
  return `${out.join("\n")}\n`;
}

/** The constraint lines of the set (from `-c` files) as one constraints file. */
export function flattenConstraints(set: RequirementsSet): string {
  refuseCredentials(set.constraints);
  const out = header(set, "Constraints");
  out.push(...bodyLines(set.constraints, ""));
  return `${out.join("\n")}\n`;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`;
}
