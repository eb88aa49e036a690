// PEP 440 versions as a requirement's specifier writes them: which version forms each operator
// accepts (wildcards and local versions with == and != only, ~= with two release numbers).

import { LineError, quote } from "./line-error.js";

const PRE = String.raw`(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?`;
const POST = String.raw`(?:-\d+|[-_.]?(?:post|rev|r)[-_.]?\d*)?`;
const DEV = String.raw`(?:[-_.]?dev[-_.]?\d*)?`;
const LOCAL = String.raw`(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?`;
const EPOCH = String.raw`v?(?:\d+!)?`;
const V_PUBLIC = new RegExp(`^${EPOCH}\\d+(?:\\.\\d+)*${PRE}${POST}${DEV}$`, "i");
const V_LOCAL = new RegExp(`^${EPOCH}\\d+(?:\\.\\d+)*${PRE}${POST}${DEV}${LOCAL}$`, "i");
const V_WILDCARD = new RegExp(`^${EPOCH}\\d+(?:\\.\\d+)*\\.\\*$`, "i");
const V_COMPATIBLE = new RegExp(`^${EPOCH}\\d+(?:\\.\\d+)+${PRE}${POST}${DEV}$`, "i");

/** Throws LineError when `version` is not one `op` accepts. */
export function checkVersion(op: string, version: string): void {
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

/** True when `op` + `version` is a specifier packaging's Specifier() accepts. */
export function isValidSpecifier(op: string, version: string): boolean {
  try {
    if (op === "===") return /^\S+$/.test(version);
    checkVersion(op, version);
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------------ parsed versions

/** A PEP 440 version, normalised (packaging's Version). */
export interface Version {
  epoch: number;
  release: number[];
  pre?: [letter: "a" | "b" | "rc", n: number];
  post?: number;
  dev?: number;
  local?: (string | number)[];
}

const VERSION_PATTERN = new RegExp(
  String.raw`^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)` +
    String.raw`(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\d+)?)?` +
    String.raw`(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?` +
    String.raw`(?:[-_.]?(dev)[-_.]?(\d+)?)?` +
    String.raw`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$`,
  "i",
);

/** Parses a PEP 440 version; undefined when it is not one. */
export function parseVersion(text: string): Version | undefined {
  const m = VERSION_PATTERN.exec(text);
  if (!m) return undefined;
  const v: Version = {
    epoch: m[1] === undefined ? 0 : Number(m[1]),
    release: m[2]!.split(".").map(Number),
  };
  if (m[3] !== undefined) {
    const l = m[3].toLowerCase();
    const letter = l === "alpha" ? "a" : l === "beta" ? "b" : l === "a" || l === "b" ? l : "rc";
    v.pre = [letter, m[4] === undefined ? 0 : Number(m[4])];
  }
  if (m[5] !== undefined) v.post = Number(m[5]);
  else if (m[6] !== undefined) v.post = m[7] === undefined ? 0 : Number(m[7]);
  if (m[8] !== undefined) v.dev = m[9] === undefined ? 0 : Number(m[9]);
  if (m[10] !== undefined) {
    v.local = m[10]
      .toLowerCase()
      .split(/[-_.]/)
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  }
  return v;
}

export function isPrerelease(v: Version): boolean {
  return v.pre !== undefined || v.dev !== undefined;
}

function cmp(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpRelease(a: number[], b: number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = cmp(a[i] ?? 0, b[i] ?? 0);
    if (c !== 0) return c;
  }
  return 0;
}

const PRE_ORDER = { a: 0, b: 1, rc: 2 } as const;

/** packaging's _cmpkey ordering: epoch, release, pre, post, dev, local. */
export function compareVersions(a: Version, b: Version): number {
  const preKey = (v: Version): number[] =>
    v.pre === undefined
      ? v.post === undefined && v.dev !== undefined
        ? [-Infinity]
        : [Infinity]
      : [PRE_ORDER[v.pre[0]], v.pre[1]];
  const localKey = (v: Version) => v.local;
  const parts: [number[], number[]][] = [
    [[a.epoch], [b.epoch]],
    [a.release, b.release],
    [preKey(a), preKey(b)],
    [[a.post ?? -Infinity], [b.post ?? -Infinity]],
    [[a.dev ?? Infinity], [b.dev ?? Infinity]],
  ];
  for (const [x, y] of parts) {
    const c = cmpRelease(x, y);
    if (c !== 0) return c;
  }
  const la = localKey(a);
  const lb = localKey(b);
  if (la === undefined || lb === undefined) return la === lb ? 0 : la === undefined ? -1 : 1;
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    const x = la[i];
    const y = lb[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    if (typeof x === "number" && typeof y === "number") {
      if (x !== y) return cmp(x, y);
    } else if (typeof x === "number") return 1;
    else if (typeof y === "number") return -1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function publicOf(v: Version): Version {
  const out = { ...v };
  delete out.local;
  return out;
}

function equalPrefix(prospective: Version, spec: string): boolean {
  const s = parseVersion(spec.slice(0, -2))!;
  if (s.epoch !== prospective.epoch) return false;
  const n = s.release.length;
  const padded = [...prospective.release, ...Array<number>(n).fill(0)].slice(0, n);
  return padded.every((x, i) => x === s.release[i]);
}

/**
 * Whether `item` satisfies the single specifier `op spec`, as packaging's
 * `Specifier(op + spec).contains(item, prereleases=True)` answers it. `spec` must be valid for
 * `op` (isValidSpecifier).
 */
export function specifierContains(op: string, spec: string, item: string): boolean {
  if (op === "===") return item.toLowerCase() === spec.toLowerCase();
  const p = parseVersion(item);
  if (!p) return false;
  switch (op) {
    case "==":
    case "!=": {
      let eq: boolean;
      if (spec.endsWith(".*")) eq = equalPrefix(publicOf(p), spec);
      else {
        const s = parseVersion(spec)!;
        eq = compareVersions(s.local === undefined ? publicOf(p) : p, s) === 0;
      }
      return op === "==" ? eq : !eq;
    }
    case "~=": {
      const s = parseVersion(spec)!;
      const prefix = `${s.epoch ? `${s.epoch}!` : ""}${s.release.slice(0, -1).join(".")}.*`;
      return compareVersions(publicOf(p), s) >= 0 && equalPrefix(publicOf(p), prefix);
    }
    case "<=":
      return compareVersions(publicOf(p), parseVersion(spec)!) <= 0;
    case ">=":
      return compareVersions(publicOf(p), parseVersion(spec)!) >= 0;
    case "<": {
      const s = parseVersion(spec)!;
      if (compareVersions(p, s) >= 0) return false;
      // "<V MUST NOT allow a pre-release of the specified version unless V is one itself."
      const earliest: Version = { ...publicOf(s), dev: 0 };
      return !(!isPrerelease(s) && isPrerelease(p) && compareVersions(p, earliest) >= 0);
    }
    case ">": {
      const s = parseVersion(spec)!;
      if (compareVersions(p, s) <= 0) return false;
      // Neither a post-release nor a local version of V itself.
      if (s.post === undefined && p.post !== undefined) {
        const base = publicOf(p);
        delete base.post;
        delete base.dev;
        if (compareVersions(base, s) === 0) return false;
      }
      return !(p.local !== undefined && compareVersions(publicOf(p), s) === 0);
    }
    default:
      return false;
  }
}
