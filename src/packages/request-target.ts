// A request target as the package server routes it: the mount prefix, then the decoded path
// segments. Targets that could escape a mount (`..` plain or encoded, dot files, encoded
// separators or NULs) are refused here, before any mount sees them.

export interface RequestTarget {
  /** First path segment: the mount ("i0", "f1", "r0"), "" for the root. */
  prefix: string;
  /** Decoded segments after the prefix, empty ones removed. */
  segments: string[];
  trailingSlash: boolean;
  /** The path without query and fragment, as sent. */
  urlPath: string;
  /** The raw query, "" or "?…". */
  query: string;
}

/** Splits a request target into the mount prefix and decoded segments; undefined when bad. */
export function parseTarget(raw: string): RequestTarget | undefined {
  let target = raw;
  const abs = /^https?:\/\/[^/]*/i.exec(target);
  if (abs) target = target.slice(abs[0].length) || "/";
  const urlPath = target.replace(/[?#].*$/s, "");
  const query = /^[^?#]*(\?[^#]*)/s.exec(target)?.[1] ?? "";
  if (!urlPath.startsWith("/")) return undefined;
  const parts = urlPath.split("/").slice(1);
  const prefix = parts.shift() ?? "";
  const trailingSlash = urlPath.endsWith("/");
  const segments: string[] = [];
  for (const part of parts) {
    if (part === "") continue;
    let seg: string;
    try {
      seg = decodeURIComponent(part);
    } catch {
      return undefined;
    }
    // "..", ".", dot files, and anything that would smuggle a separator.
    if (seg.startsWith(".") || /[/\\\0]/.test(seg)) return undefined;
    segments.push(seg);
  }
  return { prefix, segments, trailingSlash, urlPath, query };
}
