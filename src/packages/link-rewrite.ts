// Link rewriting for the proxy: every link of an upstream page (PEP 503 HTML, PEP 691 JSON)
// goes through a map that returns the local URL on the package server, so a page served to a
// build never points it at the outside. Pure functions on text.

import { decodeEntities, escapeHtml } from "./html.js";

/** Percent-decodes each path segment, so pip's re-quoting and the page's spelling compare equal. */
export function normalisePath(p: string): string {
  return p
    .split("/")
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    })
    .join("/");
}

/**
 * Rewrites every http(s) `href` of an HTML page (a `<base href>` honoured) through `map`, which
 * returns the local URL for an absolute upstream URL. Links `map` refuses become `#`, so a page
 * never points a build at the outside.
 */
export function rewriteHtml(
  html: string,
  pageUrl: string,
  map: (u: URL) => string | undefined,
): string {
  const attr = /(\shref\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi;
  let base = new URL(pageUrl);
  const baseTag = /<base\b[^>]*?\shref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i.exec(html);
  if (baseTag) {
    try {
      base = new URL(decodeEntities(baseTag[1] ?? baseTag[2] ?? baseTag[3] ?? ""), base);
    } catch {
      // An unusable base: links resolve against the page, as a browser would.
    }
  }
  return html.replace(attr, (all, pre: string, a?: string, b?: string, c?: string) => {
    let u: URL;
    try {
      u = new URL(decodeEntities(a ?? b ?? c ?? ""), base);
    } catch {
      return all;
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") return all;
    return `${pre}"${escapeHtml(map(u) ?? "#")}"`;
  });
}

/** The PEP 691 JSON form: each `files[].url` through `map`. */
export function rewriteJson(
  text: string,
  pageUrl: string,
  map: (u: URL) => string | undefined,
): string {
  const doc = JSON.parse(text) as { files?: { url?: unknown }[] };
  for (const f of Array.isArray(doc.files) ? doc.files : []) {
    if (typeof f?.url !== "string") continue;
    try {
      f.url = map(new URL(f.url, pageUrl)) ?? "#";
    } catch {
      f.url = "#";
    }
  }
  return JSON.stringify(doc);
}
