// PEP 508 environment markers (`; python_version < "3.12" and sys_platform == "linux"`): the
// variables pip knows, the parser, and the evaluation against an interpreter's environment as
// packaging's Marker.evaluate does it (the version of pip that installs decides in the end; the
// unit tests compare a matrix of markers with the host's packaging).

import { LineError, quote } from "./line-error.js";
import { normalizeName } from "./references.js";
import { isValidSpecifier, specifierContains } from "./versions.js";

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

/** A marker as a tree: comparisons joined by and/or (packaging's MarkerList, nested). */
export type MarkerNode =
  | { kind: "and" | "or"; left: MarkerNode; right: MarkerNode }
  | { kind: "compare"; left: MarkerValue; op: string; right: MarkerValue };

export type MarkerValue = { variable: string } | { literal: string };

/** packaging's spelling of a variable: legacy dotted names and python_implementation mapped. */
function canonicalVariable(name: string): string {
  const v = name.replace(".", "_");
  return v === "python_implementation" ? "platform_python_implementation" : v;
}

/** Parses a marker; throws LineError unless it is well formed with known variables. */
export function parseMarker(marker: string): MarkerNode {
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
  const value = (): MarkerValue => {
    const tok = toks[p];
    if (tok?.t === "str") {
      p++;
      return { literal: tok.v };
    }
    if (tok?.t === "var") {
      p++;
      return { variable: canonicalVariable(tok.v) };
    }
    return fail();
  };
  const expr = (): MarkerNode => {
    const tok = toks[p];
    if (tok?.t === "(") {
      p++;
      const inner = or();
      if (toks[p]?.t !== ")") fail();
      p++;
      return inner;
    }
    const left = value();
    const op = toks[p];
    if (op?.t !== "op") return fail();
    p++;
    const right = value();
    // packaging normalises the value compared with `extra` when it parses (PEP 685).
    if ("variable" in left && left.variable === "extra" && "literal" in right)
      return { kind: "compare", left, op: op.v, right: { literal: normalizeName(right.literal) } };
    if ("variable" in right && right.variable === "extra" && "literal" in left)
      return { kind: "compare", left: { literal: normalizeName(left.literal) }, op: op.v, right };
    return { kind: "compare", left, op: op.v, right };
  };
  const and = (): MarkerNode => {
    let node = expr();
    while (toks[p]?.t === "and") {
      p++;
      node = { kind: "and", left: node, right: expr() };
    }
    return node;
  };
  const or = (): MarkerNode => {
    let node = and();
    while (toks[p]?.t === "or") {
      p++;
      node = { kind: "or", left: node, right: and() };
    }
    return node;
  };
  const root = or();
  if (p !== toks.length) fail();
  return root;
}

/** Throws LineError unless `marker` is a well-formed PEP 508 marker with known variables. */
export function checkMarker(marker: string): void {
  parseMarker(marker);
}

/**
 * The values markers are evaluated against, as packaging's default_environment() reports them
 * for one interpreter (read from the image by the probe), plus `extra`.
 */
export interface MarkerEnvironment {
  implementation_name: string;
  implementation_version: string;
  os_name: string;
  platform_machine: string;
  platform_release: string;
  platform_system: string;
  platform_version: string;
  python_full_version: string;
  platform_python_implementation: string;
  python_version: string;
  sys_platform: string;
}

/** Variables compared as versions when the other side is a valid specifier. */
const VERSION_VARIABLES = new Set([
  "implementation_version",
  "platform_release",
  "python_full_version",
  "python_version",
]);

/** A marker packaging cannot evaluate (`python_version ~= "3"`, `"x" in extras` for a requirement). */
export class MarkerEvaluationError extends Error {}

function compare(lhs: string, op: string, rhs: string, key: string): boolean {
  if (VERSION_VARIABLES.has(key) && isValidSpecifier(op, rhs.trim())) {
    return specifierContains(op, rhs.trim(), lhs);
  }
  switch (op) {
    case "in":
      return rhs.includes(lhs);
    case "not in":
      return !rhs.includes(lhs);
    case "==":
    case "<=":
    case ">=":
      return lhs === rhs;
    case "!=":
      return lhs !== rhs;
    case "<":
    case ">":
      return false;
    default:
      throw new MarkerEvaluationError(`undefined ${quote(op)} on ${quote(lhs)} and ${quote(rhs)}`);
  }
}

/**
 * Evaluates a marker for a requirement of a requirements file, as pip does for a top-level
 * requirement (packaging's Marker.evaluate with `extra` = ""). Throws MarkerEvaluationError
 * where packaging raises.
 */
export function evaluateMarker(
  marker: string | MarkerNode,
  env: MarkerEnvironment,
  extra = "",
): boolean {
  const node = typeof marker === "string" ? parseMarker(marker) : marker;
  const values: Record<string, string> = {
    ...env,
    extra: extra === "" ? "" : normalizeName(extra),
  };
  if (values.python_full_version?.endsWith("+")) values.python_full_version += "local";
  const lookup = (name: string): string => {
    const v = values[name];
    if (v === undefined) throw new MarkerEvaluationError(`${quote(name)} has no value here`);
    return v;
  };
  const walk = (n: MarkerNode): boolean => {
    if (n.kind !== "compare") {
      return n.kind === "and" ? walk(n.left) && walk(n.right) : walk(n.left) || walk(n.right);
    }
    const { left, right, op } = n;
    if ("variable" in left) {
      const rhs = "variable" in right ? right.variable : right.literal;
      return compare(lookup(left.variable), op, rhs, left.variable);
    }
    if ("variable" in right)
      return compare(left.literal, op, lookup(right.variable), right.variable);
    return compare(left.literal, op, right.literal, "");
  };
  return walk(node);
}
