import { describe, expect, it } from "vitest";
import { renderHtmlReport, reportRows } from "../../src/report/html.js";
import { renderTradeoffSvg } from "../../src/report/tradeoff-chart.js";
import { renderLadderSvg } from "../../src/report/chart.js";
import { MB, makeRecord, makeRung } from "../fixtures/records.js";
import { bars, elements, talkRecord, talkRecordWithFailures } from "../fixtures/talk-record.js";

/** The results table as rows of cell texts (tags stripped, entities decoded). */
function tableRows(html: string): { rung: string; status: string; cells: string[] }[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)![1]!;
  return [...body.matchAll(/<tr class="([^"]*)" data-rung="([^"]*)">([\s\S]*?)<\/tr>/g)].map(
    (m) => ({
      status: m[1]!,
      rung: decode(m[2]!),
      cells: [...m[3]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) =>
        decode(c[1]!.replace(/<[^>]+>/g, " "))
          .replace(/\s+/g, " ")
          .trim(),
      ),
    }),
  );
}

function decode(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

const HEADERS = [
  "#",
  "rung",
  "status",
  "base",
  "size",
  "change vs previous",
  "% of first",
  "layers",
  "build time",
  "smoke",
];

describe("renderHtmlReport", () => {
  const record = talkRecord();
  const html = renderHtmlReport(record);

  it("is one self-contained HTML document with no scripts and no external resources", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html.trimEnd().endsWith("</html>")).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|<embed|@import|\ssrc=/i);
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    expect(urls.every((u) => u === "http://www.w3.org/2000/svg")).toBe(true);
    for (const m of html.matchAll(/url\(([^)]*)\)/g)) expect(m[1]).toMatch(/^#/);
  });

  it("embeds the charts as inline SVG: the ladder, then size against time", () => {
    expect(html).toContain(renderLadderSvg(record));
    expect(html).toContain(renderTradeoffSvg(record));
    expect(elements(html, "svg")).toHaveLength(2);
    expect(bars(html).map((b) => b.rung)).toEqual(record.rungs.map((r) => r.rung));
  });

  it("has the results table with every rung in ladder order", () => {
    const headers = [...html.matchAll(/<th>([^<]*)<\/th>/g)].map((m) => m[1]);
    expect(headers).toEqual(HEADERS);
    const rows = tableRows(html);
    expect(rows.map((r) => r.rung)).toEqual(record.rungs.map((r) => r.rung));
    for (const r of rows) expect(r.cells).toHaveLength(HEADERS.length);
    expect(rows[0]!.cells).toEqual([
      "1",
      "full-no-dockerignore full, no .dockerignore",
      "PASS",
      "full · python:3.8 882MB",
      "1.69GB",
      "—",
      "100%",
      "13 (9 base)",
      "4m22s",
      "PASS 2.1s",
    ]);
    // A title that only repeats the id is not printed twice.
    expect(rows[1]!.cells[1]).toBe("full");
  });

  it("computes change vs previous and % of first", () => {
    const rows = tableRows(html);
    const col = (name: string) => rows.map((r) => r.cells[HEADERS.indexOf(name)]);
    expect(col("size")).toEqual([
      "1.69GB",
      "1.29GB",
      "489MB",
      "503MB",
      "326MB",
      "325MB",
      "747MB",
      "487MB",
      "288MB",
      "232MB",
      "188MB",
    ]);
    expect(col("change vs previous").slice(0, 4)).toEqual([
      "—",
      "-400MB (-23.7%)",
      "-801MB (-62.1%)",
      "+14MB (+2.9%)",
    ]);
    expect(col("% of first")).toEqual([
      "100%",
      "76.3%",
      "28.9%",
      "29.8%",
      "19.3%",
      "19.2%",
      "44.2%",
      "28.8%",
      "17.0%",
      "13.7%",
      "11.1%",
    ]);
    // The post step (squash) shows apart from the build.
    expect(col("build time")[5]).toBe("4m11s + 41.0s post");
    expect(html).toMatch(/From <strong>1\.69GB<\/strong>.*to <strong>188MB<\/strong>/);
  });

  it("has a title with the ladder name and requirements file", () => {
    expect(html).toMatch(
      /<title>shrinkbench: talk-2020 — examples\/talk\/requirements\.txt<\/title>/,
    );
    expect(html).not.toMatch(/FAILED and SKIPPED<\/h2>/);
  });
});

describe("renderHtmlReport with FAILED and SKIPPED rungs", () => {
  const record = talkRecordWithFailures();
  const html = renderHtmlReport(record);

  it("compares only passing rungs, and leaves the others' comparison empty", () => {
    const rows = tableRows(html);
    expect(rows.map((r) => r.status)).toEqual(record.rungs.map((r) => r.status));
    const change = rows.map((r) => r.cells[5]);
    // slim-one-layer compares with slim, not with the FAILED rung between them.
    expect(change[4]).toBe("-163MB (-33.3%)");
    expect(change[3]).toBe("—");
    expect(change[5]).toBe("—");
    // The FAILED squashed image was measured: its size shows, its share does not.
    expect(rows[5]!.cells[4]).toBe("325MB");
    expect(rows[5]!.cells[6]).toBe("—");
    expect(rows[5]!.cells[9]).toBe("FAILED 1.2s");
    expect(rows[6]!.cells.slice(4)).toEqual(["—", "—", "—", "—", "—", "—"]);
  });

  it("lists FAILED reasons with their log paths, and SKIPPED reasons", () => {
    expect(html).toContain("<h2>FAILED and SKIPPED</h2>");
    const blocks = [
      ...html.matchAll(/<div class="failure (\w+)" data-rung="([^"]*)">([\s\S]*?)\n<\/div>/g),
    ];
    expect(blocks.map((b) => [b[2], b[1]])).toEqual(
      record.rungs.filter((r) => r.status !== "PASS").map((r) => [r.rung, r.status]),
    );
    const block = (id: string) => blocks.find((b) => b[2] === id)![3]!;
    expect(block("slim-rm-layers")).toContain("build failed: step 4/7 exited with code 1");
    expect(block("slim-rm-layers")).toContain(
      '<a href="logs/slim-rm-layers.log"><code>logs/slim-rm-layers.log</code></a>',
    );
    expect(block("slim-rm-layers")).toContain("ERROR: No space left");
    expect(block("slim-squash")).toContain("ModuleNotFoundError: No module named &#39;numpy&#39;");
    expect(block("slim-squash")).toContain("logs/slim-squash.log");
    expect(block("alpine")).toContain("base image unavailable: python:3.8-alpine");
    expect(block("alpine")).not.toContain(".log");
  });

  it("takes the log paths from the caller", () => {
    const out = renderHtmlReport(record, {
      logPath: (r) => `results/run 1/logs/${r.rung}.log`,
    });
    expect(out).toContain(
      '<a href="results/run%201/logs/slim-squash.log"><code>results/run 1/logs/slim-squash.log</code></a>',
    );
    const none = renderHtmlReport(record, { logPath: () => undefined });
    expect(none).not.toMatch(/full log/);
  });

  it("says when a run was interrupted", () => {
    expect(html).not.toMatch(/interrupted/);
    expect(renderHtmlReport({ ...record, interrupted: true })).toMatch(
      /<p class="banner">This run was interrupted/,
    );
  });
});

describe("renderHtmlReport on hostile input", () => {
  const evil = `<script>alert(1)</script>`;
  const record = makeRecord({
    runId: evil,
    ladder: { name: evil, file: `"><script>x</script>` },
    requirements: { file: "<b>req</b>.txt", hash: "sha256:0", names: [evil] },
    rungs: [
      makeRung(evil, { size: 400 * MB, title: evil, baseImage: evil }),
      makeRung(`x"><script>y</script>`, {
        status: "FAILED",
        image: null,
        reason: evil,
        logTail: [evil],
        title: "t",
      }),
    ],
  });
  const html = renderHtmlReport(record);

  it("escapes every user-supplied text, in content, attributes and links", () => {
    expect(html).not.toMatch(/<script|<b>/i);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain('data-rung="x&quot;&gt;&lt;script&gt;y&lt;/script&gt;"');
    expect(tableRows(html).map((r) => r.rung)).toEqual(record.rungs.map((r) => r.rung));
    // The log link is percent-encoded and then escaped: it cannot break out of href="".
    const href = /<a href="([^"]*)">/.exec(html)![1]!;
    expect(href).not.toMatch(/[<>"]/);
    expect(decodeURI(decode(href))).toBe(`logs/x"><script>y</script>.log`);
  });
});

describe("reportRows", () => {
  it("measures against the first and previous PASS rungs", () => {
    const rows = reportRows(
      makeRecord({
        rungs: [
          makeRung("a", { status: "FAILED", size: 50 * MB }),
          makeRung("b", { size: 400 * MB }),
          makeRung("c", { status: "SKIPPED", image: null }),
          makeRung("d", { size: 100 * MB }),
        ],
      }),
    );
    expect(rows.map((r) => [r.changeBytes, r.ofFirst])).toEqual([
      [undefined, undefined],
      [undefined, 1],
      [undefined, undefined],
      [-300 * MB, 0.25],
    ]);
    expect(rows[3]!.changeRatio).toBeCloseTo(-0.75);
  });
});
