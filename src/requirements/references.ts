// Requirements given as a path or URL rather than a name (`./pkg`, `file:...`, `git+https://...`,
// `x-1.0-py3-none-any.whl`, `pkg @ URL`): telling paths from URLs, the project name a reference
// declares, PEP 503 name normalisation, and what kind of requirement a parsed line is.

import type { Requirement, SourceLocation } from "../types.js";
import { LineError, quote } from "./line-error.js";
import { checkMarker } from "./markers.js";
import { parseExtras } from "./pep508.js";

/**
 * What a requirement refers to:
 * - "named": a PEP 508 requirement from an index (`numpy>=1.26`, `pkg[x]; marker`);
 * - "url": a remote direct reference (`pkg @ https://...`, `git+https://...`);
 * - "local": a path on the user's disk (`./pkg`, `file:...`, `pkg @ file:///...`, `x.whl`);
 * - "editable": `-e`/`--editable`.
 * "local" and "editable" need the project folder in the build context.
 */
export type RequirementKind = "named" | "url" | "local" | "editable";

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

export function isArchiveName(s: string): boolean {
  const lower = s.toLowerCase().replace(/[#?].*$/, "");
  return ARCHIVE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** True for `scheme://...`, `file:...` and VCS URLs. */
export function isUrl(s: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(s) || /^file:/i.test(s);
}

export function looksLikePath(s: string): boolean {
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
export function parseReferenceLine(ref: string, line: string, source: SourceLocation): Requirement {
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
