import { describe, expect, it } from "vitest";
import { barParts, escapeXml, niceAxis, renderLadderSvg } from "../../src/report/chart.js";
import type { RunRecord } from "../../src/types.js";
import { MB, makeRecord, makeRung } from "../fixtures/records.js";
import { bars, elements, talkRecord, talkRecordWithFailures } from "../fixtures/talk-record.js";

/** Checks that tags nest and close, and that no raw "<" or ">" hides in text or attributes. */
function assertWellFormed(markup: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>/g;
  let last = 0;
  for (const m of markup.matchAll(tag)) {
    const between = markup.slice(last, m.index);
    expect(between, `stray markup before ${m[0]}`).not.toMatch(/[<>]/);
    last = m.index + m[0].length;
    const [, close, name, , selfClose] = m;
    if (selfClose) continue;
    if (close) expect(stack.pop(), `closing ${name}`).toBe(name);
    else stack.push(name!);
  }
  expect(markup.slice(last)).not.toMatch(/[<>]/);
  expect(stack).toEqual([]);
}

/** The y of the axis baseline and px per byte, read from the tick labels ("0" and the top one). */
function axisScale(svg: string): { baseline: number; pxPerByte: number; ticks: string[] } {
  const ticks = elements(svg, "text").filter((t) => t.attrs.class === "tick");
  const zero = ticks.find((t) => t.text === "0")!;
  const top = ticks[ticks.length - 1]!;
  const bytes = parseBytes(top.text);
  const baseline = Number(zero.attrs.y) - 4;
  return {
    baseline,
    pxPerByte: (baseline - (Number(top.attrs.y) - 4)) / bytes,
    ticks: ticks.map((t) => t.text),
  };
}

function parseBytes(text: string): number {
  const m = /^([\d.]+)(B|kB|MB|GB|TB)$/.exec(text)!;
  const unit = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 }[m[2] as "B"];
  return Number(m[1]) * unit;
}

describe("axis and escaping helpers", () => {
  it("chooses nice axes", () => {
    expect(niceAxis(1_690_000_000)).toEqual({ max: 2e9, step: 5e8 });
    expect(niceAxis(489 * MB)).toEqual({ max: 500 * MB, step: 100 * MB });
    expect(niceAxis(188 * MB)).toEqual({ max: 200 * MB, step: 50 * MB });
    expect(niceAxis(100 * MB)).toEqual({ max: 100 * MB, step: 20 * MB });
    expect(niceAxis(0).max).toBeGreaterThan(0);
  });
  it("escapes markup and drops characters XML forbids", () => {
    expect(escapeXml(`<a href="x">'&'</a>\u0001`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
    );
  });
});

describe("renderLadderSvg on the talk ladder", () => {
  const record = talkRecord();
  const svg = renderLadderSvg(record);

  it("is one well-formed, self-contained svg element", () => {
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    assertWellFormed(svg);
    // No external references: the only URL is the SVG namespace; fills point inside.
    expect(svg.replace('xmlns="http://www.w3.org/2000/svg"', "")).not.toMatch(
      /https?:|href=|<image|<script|@import/,
    );
    for (const m of svg.matchAll(/url\(([^)]*)\)/g)) expect(m[1]).toMatch(/^#/);
  });

  it("has one bar per rung, in ladder order, left to right", () => {
    const found = bars(svg);
    expect(found.map((b) => b.rung)).toEqual(record.rungs.map((r) => r.rung));
    const xs = found.map((b) => b.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(new Set(xs).size).toBe(xs.length);
    const labels = elements(svg, "text").filter((t) => t.attrs.class === "x-label");
    expect(labels.map((l) => l.text)).toEqual(record.rungs.map((r) => r.rung));
  });

  it("makes bar heights proportional to the image sizes, on the axis' own scale", () => {
    const { baseline, pxPerByte } = axisScale(svg);
    expect(pxPerByte).toBeGreaterThan(0);
    for (const [i, b] of bars(svg).entries()) {
      const image = record.rungs[i]!.image!;
      expect(Math.abs(b.height - image.sizeBytes * pxPerByte), b.rung).toBeLessThanOrEqual(1);
      // The stack stands on the baseline, added on top of base.
      const by = Number(b.base.attrs.y);
      const bh = Number(b.base.attrs.height);
      expect(by + bh).toBeCloseTo(baseline, 1);
      expect(Number(b.added.attrs.y) + Number(b.added.attrs.height)).toBeCloseTo(by, 1);
      expect(Math.abs(bh - image.baseSizeBytes * pxPerByte)).toBeLessThanOrEqual(1);
    }
    // And relative to each other, independent of the axis: 1.69 GB is 9× 188 MB.
    const hs = bars(svg).map((b) => b.height);
    const sizes = record.rungs.map((r) => r.image!.sizeBytes);
    const k = hs[0]! / sizes[0]!;
    for (const [i, h] of hs.entries()) expect(Math.abs(h - sizes[i]! * k)).toBeLessThanOrEqual(1);
  });

  it("splits each bar into base and added bytes that sum to the image size", () => {
    for (const [i, b] of bars(svg).entries()) {
      const image = record.rungs[i]!.image!;
      expect(b.baseBytes).toBe(image.baseSizeBytes);
      expect(b.baseBytes + b.addedBytes).toBe(image.sizeBytes);
      expect(b.base.attrs.fill).not.toBe(b.added.attrs.fill);
    }
  });

  it("labels the axis in decimal MB/GB and says so", () => {
    const { ticks } = axisScale(svg);
    expect(ticks).toEqual(["0", "500MB", "1GB", "1.5GB", "2GB"]);
    const title = elements(svg, "text").find((t) => t.attrs.class === "axis-title")!;
    expect(title.text).toMatch(/MB/);
    expect(title.text).toMatch(/10⁶ bytes/);
  });

  it("prints the size and build time above each bar", () => {
    const labels = elements(svg, "text").filter((t) => t.attrs.class === "bar-label");
    const of = (id: string) => labels.filter((l) => l.attrs["data-rung"] === id).map((l) => l.text);
    expect(of("full-no-dockerignore")).toEqual(["1.69GB", "4m22s"]);
    expect(of("slim")).toEqual(["489MB", "3m56s"]);
    expect(of("alpine")).toEqual(["747MB", "59m00s"]);
    expect(of("alpine-shared-libs")).toEqual(["188MB", "1h30m"]);
    // Each label sits above its bar.
    for (const b of bars(svg)) {
      for (const l of labels.filter((x) => x.attrs["data-rung"] === b.rung))
        expect(Number(l.attrs.y)).toBeLessThan(b.y);
    }
  });

  it("has a legend and a title with the ladder name and requirements file", () => {
    const texts = elements(svg, "text").map((t) => t.text);
    const legend = elements(svg, "text").filter((t) => t.attrs.class === "legend-label");
    // FAILED and SKIPPED join the legend only when the chart has such rungs.
    expect(legend.map((t) => t.text)).toEqual(["base image", "added by the rung"]);
    expect(texts[0]).toBe("talk-2020 — examples/talk/requirements.txt");
    expect(svg).toMatch(/<title id="sb-chart-title">shrinkbench: talk-2020/);
  });

  it("rotates rung labels that would not fit under their bar", () => {
    const labels = elements(svg, "text").filter((t) => t.attrs.class === "x-label");
    expect(labels.every((l) => /^rotate\(-40 /.test(l.attrs.transform ?? ""))).toBe(true);
    const short = renderLadderSvg(
      makeRecord({ rungs: [makeRung("a", { size: 300 * MB }), makeRung("b", { size: 200 * MB })] }),
    );
    const straight = elements(short, "text").filter((t) => t.attrs.class === "x-label");
    expect(straight.map((l) => l.attrs.transform)).toEqual([undefined, undefined]);
  });

  it("keeps everything inside the viewBox", () => {
    const svgEl = elements(svg, "svg")[0]!;
    const [, , w, h] = svgEl.attrs.viewBox!.split(" ").map(Number);
    for (const el of [...elements(svg, "rect"), ...elements(svg, "text")]) {
      const x = Number(el.attrs.x ?? 0);
      const y = Number(el.attrs.y ?? 0);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(x + Number(el.attrs.width ?? 0)).toBeLessThanOrEqual(w!);
      expect(y + Number(el.attrs.height ?? 0)).toBeLessThanOrEqual(h!);
    }
  });

  it("is deterministic", () => {
    expect(renderLadderSvg(talkRecord())).toBe(svg);
  });
});

describe("renderLadderSvg with FAILED and SKIPPED rungs", () => {
  const record = talkRecordWithFailures();
  const svg = renderLadderSvg(record);
  const placeholders = elements(svg, "rect").filter((r) => r.attrs.class === "placeholder");

  it("draws bars only for PASS rungs, and placeholders for the rest, in ladder order", () => {
    expect(bars(svg).map((b) => b.rung)).toEqual(
      record.rungs.filter((r) => r.status === "PASS").map((r) => r.rung),
    );
    expect(placeholders.map((p) => [p.attrs["data-rung"], p.attrs["data-status"]])).toEqual(
      record.rungs.filter((r) => r.status !== "PASS").map((r) => [r.rung, r.status]),
    );
    // All marks, bars and placeholders together, run left to right in ladder order.
    const marks = elements(svg, "rect").filter((r) => r.attrs["data-rung"] !== undefined);
    const firstX = new Map<string, number>();
    for (const m of marks)
      if (!firstX.has(m.attrs["data-rung"]!)) firstX.set(m.attrs["data-rung"]!, Number(m.attrs.x));
    expect([...firstX.keys()]).toEqual(record.rungs.map((r) => r.rung));
    const xs = [...firstX.values()];
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
  });

  it("marks them with the word, hatched for FAILED and grey for SKIPPED", () => {
    const labels = elements(svg, "text").filter((t) => t.attrs.class === "bar-label");
    for (const r of record.rungs.filter((x) => x.status !== "PASS")) {
      const mine = labels.filter((l) => l.attrs["data-rung"] === r.rung).map((l) => l.text);
      expect(mine, r.rung).toContain(r.status);
    }
    for (const p of placeholders) {
      if (p.attrs["data-status"] === "FAILED") expect(p.attrs.fill).toBe("url(#sb-hatch)");
      else expect(p.attrs.fill).not.toMatch(/url/);
    }
    expect(svg).toContain('<pattern id="sb-hatch"');
    const legend = elements(svg, "text").filter((t) => t.attrs.class === "legend-label");
    expect(legend.map((t) => t.text)).toEqual([
      "base image",
      "added by the rung",
      "FAILED",
      "SKIPPED",
    ]);
  });

  it("keeps a measured FAILED image at its proportional height, never as a bar", () => {
    const { pxPerByte } = axisScale(svg);
    const squashed = placeholders.find((p) => p.attrs["data-rung"] === "slim-squash")!;
    expect(Number(squashed.attrs["data-bytes"])).toBe(325 * MB);
    expect(Math.abs(Number(squashed.attrs.height) - 325 * MB * pxPerByte)).toBeLessThanOrEqual(1);
    expect(bars(svg).some((b) => b.rung === "slim-squash")).toBe(false);
  });

  it("puts the reason in the placeholder's tooltip", () => {
    expect(svg).toContain("<title>slim-rm-layers: FAILED — build failed: step 4/7 exited");
    expect(svg).toContain("<title>alpine: SKIPPED — base image unavailable: python:3.8-alpine");
  });

  it("copes with a ladder where nothing was measured", () => {
    const none = makeRecord({
      rungs: [makeRung("only", { status: "SKIPPED", image: null, reason: "no base" })],
    });
    const out = renderLadderSvg(none);
    assertWellFormed(out);
    expect(bars(out)).toEqual([]);
    expect(out).toMatch(/data-status="SKIPPED"/);
    assertWellFormed(renderLadderSvg(makeRecord({ rungs: [] })));
  });
});

describe("renderLadderSvg on hostile input", () => {
  const evil = `<script>alert("x")</script>`;
  const record: RunRecord = makeRecord({
    ladder: { name: `l&"adder'<b>`, file: "x.json" },
    requirements: { file: `req<s>.txt`, hash: "sha256:0", names: [] },
    rungs: [
      makeRung(evil, { size: 400 * MB, title: `"><img src=x onerror=alert(1)>` }),
      makeRung(`a" onmouseover="alert(1)`, { status: "FAILED", reason: evil, image: null }),
      makeRung(`]]></svg><svg onload=alert(1)>`, {
        status: "SKIPPED",
        reason: "&amp;",
        image: null,
      }),
    ],
  });
  const svg = renderLadderSvg(record);

  it("escapes rung ids, titles, reasons and names", () => {
    assertWellFormed(svg);
    expect(svg).not.toMatch(/<script|<img|<b>|<s>|<svg onload/i);
    // The text survives, as text.
    expect(svg).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(svg).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(svg).toContain("l&amp;&quot;adder&#39;&lt;b&gt;");
    expect(svg).toContain("req&lt;s&gt;.txt");
    expect(svg).toContain("&amp;amp;");
    // Attribute injection: every attribute still parses to the raw id.
    const ids = elements(svg, "rect")
      .map((r) => r.attrs["data-rung"])
      .filter((x) => x !== undefined);
    expect([...new Set(ids)]).toEqual(record.rungs.map((r) => r.rung));
    expect(elements(svg, "rect").every((r) => !("onmouseover" in r.attrs))).toBe(true);
    expect(elements(svg, "svg")).toHaveLength(1);
  });
});

describe("barParts", () => {
  it("clamps a base larger than the image so that the stack still sums to the size", () => {
    const r = makeRung("odd", { size: 100 * MB, image: { baseSizeBytes: 150 * MB } });
    expect(barParts(r)).toMatchObject({ baseBytes: 100 * MB, addedBytes: 0, sizeBytes: 100 * MB });
  });
});
