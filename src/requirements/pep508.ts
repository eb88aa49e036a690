// PEP 508 named requirements: `name[extras] specifiers ; marker` and `name[extras] @ URL ; marker`,
// read the way pip reads them, with a message that says how to fix each mistake users make
// (`numpy=1.2`, `numpy 1.2`, a ';' glued to a URL).

import { LineError, quote } from "./line-error.js";
import { checkMarker } from "./markers.js";
import { checkVersion } from "./versions.js";

const NAME_RE = /[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/y;
export const NAME_ONLY = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const OP_RE = /===|~=|==|!=|<=|>=|<|>/y;
const VERSION_RE = /[A-Za-z0-9_.*+!-]+/y;
const ARBITRARY_RE = /[^\s,;)]+/y;
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

export interface Pep508 {
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

export function parseExtras(s: string, i: number): { extras: string[]; end: number } {
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
export function parsePep508(s: string): Pep508 {
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
