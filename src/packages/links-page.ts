// The PEP 503 page of links the package server generates for a folder without an index.html:
// pip reads the same page as a project page of an index or as a find-links page.

import { escapeHtml } from "./html.js";

/** A PEP 503 style page of links; names ending in "/" link subfolders. */
export function linksPage(title: string, names: string[]): string {
  const links = names.map(
    (n) =>
      `<a href="${escapeHtml(n.endsWith("/") ? `${encodeURIComponent(n.slice(0, -1))}/` : encodeURIComponent(n))}">${escapeHtml(n)}</a><br>`,
  );
  return [
    "<!DOCTYPE html>",
    "<html>",
    `<head><meta name="pypi:repository-version" content="1.0"><title>${escapeHtml(title)}</title></head>`,
    "<body>",
    `<h1>${escapeHtml(title)}</h1>`,
    ...links,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
