// Link rewriting for the proxy: pure functions on page text.
import { describe, expect, it } from "vitest";
import { normalisePath, rewriteHtml, rewriteJson } from "../../src/packages/link-rewrite.js";

describe("page rewriting", () => {
  const map = (u: URL) => `/r9${u.pathname}${u.search}${u.hash}`;

  it("rewrites absolute, relative and entity-encoded links, keeping fragments and attributes", () => {
    const html = [
      '<a href="https://files.example/packages/a-1.0.whl#sha256=ab" data-requires-python="&gt;=3.8">a</a>',
      "<a href='../../files/b-1.0.tar.gz'>b</a>",
      '<a href="/x/c-1.0.whl?x=1&amp;y=2">c</a>',
      '<a data-href="keep" href=d-1.0.zip>d</a>',
      '<a href="mailto:someone@example.com">m</a>',
    ].join("\n");
    const out = rewriteHtml(html, "https://idx.example/simple/pkg/", map);
    expect(out).toContain(
      'href="/r9/packages/a-1.0.whl#sha256=ab" data-requires-python="&gt;=3.8"',
    );
    expect(out).toContain('href="/r9/files/b-1.0.tar.gz"');
    expect(out).toContain('href="/r9/x/c-1.0.whl?x=1&amp;y=2"');
    expect(out).toContain('data-href="keep" href="/r9/simple/pkg/d-1.0.zip"');
    expect(out).toContain('href="mailto:someone@example.com"');
  });

  it("honours <base href> and turns links the map refuses into #", () => {
    const html = '<base href="https://cdn.example/root/"><a href="f-1.whl">f</a>';
    const out = rewriteHtml(html, "https://idx.example/simple/f/", (u) =>
      u.hostname === "cdn.example" ? map(u) : undefined,
    );
    expect(out).toContain('<base href="/r9/root/">');
    expect(out).toContain('href="/r9/root/f-1.whl"');
    expect(
      rewriteHtml(
        '<a href="https://evil.example/x.whl">x</a>',
        "https://idx.example/",
        () => undefined,
      ),
    ).toContain('href="#"');
  });

  it("rewrites the files of a PEP 691 JSON page", () => {
    const json = JSON.stringify({
      meta: { "api-version": "1.0" },
      files: [{ filename: "a.whl", url: "../../files/a.whl" }],
    });
    const out = JSON.parse(rewriteJson(json, "https://idx.example/simple/a/", map)) as {
      files: { url: string }[];
    };
    expect(out.files[0]!.url).toBe("/r9/files/a.whl");
  });
});

describe("normalisePath", () => {
  it("decodes each segment, keeping what does not decode", () => {
    expect(normalisePath("/a/b%2Bc/%zz")).toBe("/a/b+c/%zz");
  });
});
