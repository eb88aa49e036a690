// The one HTML escaper and entity decoder of the package server.
import { describe, expect, it } from "vitest";
import { decodeEntities, escapeHtml, HREF_VALUE } from "../../src/packages/html.js";

describe("escapeHtml", () => {
  it("escapes the five characters that matter in content and quoted attributes", () => {
    expect(escapeHtml(`a&b<c>d"e'f`)).toBe("a&amp;b&lt;c&gt;d&quot;e&#39;f");
  });
});

describe("decodeEntities", () => {
  it("decodes named and numeric entities, round-tripping escapeHtml", () => {
    expect(decodeEntities("x?a=1&amp;b=2&#x2B;&#43;&QUOT;&apos;")).toBe(`x?a=1&b=2++"'`);
    const s = `<a href="x">'&'</a>`;
    expect(decodeEntities(escapeHtml(s))).toBe(s);
  });

  it("leaves unknown and out-of-range entities as they are", () => {
    expect(decodeEntities("&nbsp; &#x110000; &foo;")).toBe("&nbsp; &#x110000; &foo;");
  });
});

describe("HREF_VALUE", () => {
  it("reads hrefs in double, single and no quotes", () => {
    const html = `<a href="a.whl">a</a><a HREF='b.whl'>b</a><a href=c.whl>c</a>`;
    expect([...html.matchAll(HREF_VALUE)].map((m) => m[1] ?? m[2] ?? m[3])).toEqual([
      "a.whl",
      "b.whl",
      "c.whl",
    ]);
  });
});
