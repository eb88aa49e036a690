// PEP 508 environment markers (`; python_version < "3.12" and sys_platform == "linux"`): the
// variables pip knows, the tokenizer and the grammar check of a marker's text.

import { LineError, quote } from "./line-error.js";

export const MARKER_VARIABLES = new Set([
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

/** Throws LineError unless `marker` is a well-formed PEP 508 marker with known variables. */
export function checkMarker(marker: string): void {
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
