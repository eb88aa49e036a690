// The generated PEP 503 page of links.
import { describe, expect, it } from "vitest";
import { linksPage } from "../../src/packages/links-page.js";

describe("linksPage", () => {
  it("escapes names in generated pages", () => {
    const html = linksPage("x", ['a"<b>.whl', "dir/"]);
    expect(html).toContain('<a href="a%22%3Cb%3E.whl">a&quot;&lt;b&gt;.whl</a>');
    expect(html).toContain('<a href="dir/">dir/</a>');
  });

  it("is a PEP 503 page pip accepts: repository version, title and one anchor per name", () => {
    const html = linksPage("Links for six", ["six-1.16.0-py2.py3-none-any.whl"]);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<meta name="pypi:repository-version" content="1.0">');
    expect(html).toContain("<title>Links for six</title>");
    expect(html.match(/<a /g)).toHaveLength(1);
  });
});
