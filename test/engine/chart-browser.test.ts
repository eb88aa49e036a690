// The HTML report in a real browser: Debian's chromium, headless. It renders the talk ladder's
// report, takes a screenshot, and reads back both the DOM the browser built (--dump-dom) and
// the pixels it drew, to check that the bars are there, in ladder order, with heights
// proportional to the image sizes.
//
// Chromium is not installed by the test: `.ci/run` installs it (`apt-get install -y chromium`).
// Without it the test FAILS, on purpose: a chart nobody has seen render is not tested.
//
// SHRINKBENCH_SCREENSHOT_OUT=docs/talk-ladder-report.png copies the screenshot there.

import { execFile } from "node:child_process";
import {
  accessSync,
  constants,
  copyFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";
import { inflateSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { renderHtmlReport } from "../../src/report/html.js";
import { recommend } from "../../src/results/recommend.js";
import type { RunRecord } from "../../src/types.js";
import { bars, talkRecord, talkRecordWithFailures } from "../fixtures/talk-record.js";

const WINDOW = { width: 1200, height: 900 };
const COLOURS = {
  base: [0x9f, 0xb3, 0xc8],
  added: [0x2f, 0x6d, 0xb3],
  failedFill: [0xfd, 0xec, 0xea],
};

function findOnPath(names: string[]): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    for (const name of names) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

const CHROMIUM = findOnPath(["chromium", "chromium-browser"]);

function requireChromium(): string {
  if (!CHROMIUM)
    throw new Error(
      "chromium is not installed (looked for chromium and chromium-browser on PATH): this test " +
        "renders the HTML report in a real browser. Install Debian's package: " +
        "apt-get install -y --no-install-recommends chromium (.ci/run does).",
    );
  return CHROMIUM;
}

const work = mkdtempSync(join(tmpdir(), "shrinkbench-chart-"));
let profiles = 0;

afterAll(() => rmSync(work, { recursive: true, force: true }));

function chromium(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const bin = requireChromium();
  const profile = join(work, `profile-${profiles++}`);
  const all = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    `--user-data-dir=${profile}`,
    `--window-size=${WINDOW.width},${WINDOW.height}`,
    ...args,
  ];
  return new Promise((resolve, reject) => {
    execFile(bin, all, { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${all.join(" ")} failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

function writeReport(name: string, html: string): string {
  const file = join(work, name);
  writeFileSync(file, html);
  return pathToFileURL(file).href;
}

/** Layout as the browser computed it: every bar and placeholder's box, in CSS px. */
interface Box {
  rung: string;
  part: string | null;
  status: string | null;
  bytes: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

const MEASURE = `<script>
const boxes = [...document.querySelectorAll("rect.bar, rect.placeholder")].map((r) => {
  const b = r.getBoundingClientRect();
  return { rung: r.dataset.rung, part: r.dataset.part ?? null, status: r.dataset.status ?? null,
    bytes: Number(r.dataset.bytes ?? "NaN"), x: b.x, y: b.y, width: b.width, height: b.height };
});
const pre = document.createElement("pre");
pre.id = "sb-measure";
pre.textContent = JSON.stringify(boxes);
document.body.appendChild(pre);
</script>`;

async function measure(record: RunRecord, name: string): Promise<Box[]> {
  // A test-only copy with a measuring script at the very end: the layout above it is the
  // report's own. (The report itself has no scripts.)
  const html = renderHtmlReport(record).replace("</body>", `${MEASURE}\n</body>`);
  const { stdout } = await chromium(["--dump-dom", writeReport(name, html)]);
  const m = /<pre id="sb-measure">([^<]*)<\/pre>/.exec(stdout);
  if (!m) throw new Error(`no measurement in the dumped DOM:\n${stdout.slice(0, 2000)}`);
  return JSON.parse(
    m[1]!
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&"),
  ) as Box[];
}

// ---------------------------------------------------------------------------------------------
// A small PNG reader (8-bit RGB/RGBA, non-interlaced: what chromium writes).

interface Image {
  width: number;
  height: number;
  pixel(x: number, y: number): [number, number, number];
}

function readPng(buf: Buffer): Image {
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < buf.length;) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString("latin1", at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      const colour = data[9];
      const interlace = data[12];
      expect({ depth, interlace }).toEqual({ depth: 8, interlace: 0 });
      channels = colour === 6 ? 4 : colour === 2 ? 3 : 0;
      expect(channels, `PNG colour type ${colour}`).toBeGreaterThan(0);
    } else if (type === "IDAT") idat.push(data);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const px = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? px[row + i - channels]! : 0;
      const b = y > 0 ? px[row - stride + i]! : 0;
      const c = i >= channels && y > 0 ? px[row - stride + i - channels]! : 0;
      const v = raw[src + i]!;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      px[row + i] = (v + pred) & 0xff;
    }
  }
  return {
    width,
    height,
    pixel: (x, y) => {
      const i = y * stride + x * channels;
      return [px[i]!, px[i + 1]!, px[i + 2]!];
    },
  };
}

function near(p: number[], q: number[], tolerance = 4): boolean {
  return p.every((v, i) => Math.abs(v - q[i]!) <= tolerance);
}

/** How many pixels of a colour a vertical line through x crosses between y0 and y1. */
function runOf(img: Image, x: number, y0: number, y1: number, colour: number[]): number {
  let n = 0;
  for (let y = Math.max(0, Math.floor(y0)); y < Math.min(img.height, Math.ceil(y1)); y++)
    if (near(img.pixel(x, y), colour)) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------

describe("the HTML report in headless chromium", () => {
  const record = talkRecord();
  const ids = record.rungs.map((r) => r.rung);
  const size = (id: string) => record.rungs.find((r) => r.rung === id)!.image!.sizeBytes;

  it("finds chromium", () => {
    expect(requireChromium()).toMatch(/chromium/);
  });

  it("parses the report into a DOM with the bars in ladder order and proportional heights", async () => {
    const { stdout } = await chromium([
      "--dump-dom",
      writeReport("dom.html", renderHtmlReport(record)),
    ]);
    expect(stdout).toMatch(/<svg[^>]*class="shrinkbench-ladder"/);
    const found = bars(stdout);
    expect(found.map((b) => b.rung)).toEqual(ids);
    const k = found[0]!.height / size(ids[0]!);
    for (const b of found) {
      expect(Math.abs(b.height - size(b.rung) * k), b.rung).toBeLessThanOrEqual(1);
      expect(b.baseBytes + b.addedBytes).toBe(size(b.rung));
    }
  });

  it("lays the bars out left to right in ladder order, heights proportional to sizes", async () => {
    const boxes = await measure(record, "measure.html");
    const rungs = [...new Set(boxes.map((b) => b.rung))];
    expect(rungs).toEqual(ids);
    const stacks = rungs.map((id) => {
      const parts = boxes.filter((b) => b.rung === id);
      const top = Math.min(...parts.map((p) => p.y));
      const bottom = Math.max(...parts.map((p) => p.y + p.height));
      return { id, x: parts[0]!.x, width: parts[0]!.width, top, bottom, height: bottom - top };
    });
    for (let i = 1; i < stacks.length; i++)
      expect(stacks[i]!.x, stacks[i]!.id).toBeGreaterThan(stacks[i - 1]!.x + stacks[i - 1]!.width);
    // They stand on one baseline, inside the first screen.
    const baseline = stacks[0]!.bottom;
    for (const s of stacks) {
      expect(Math.abs(s.bottom - baseline)).toBeLessThanOrEqual(0.5);
      expect(s.width).toBeGreaterThan(10);
      expect(s.top).toBeGreaterThan(0);
      expect(s.bottom).toBeLessThan(WINDOW.height);
      expect(s.x + s.width).toBeLessThan(WINDOW.width);
    }
    const k = stacks[0]!.height / size(ids[0]!);
    for (const s of stacks)
      expect(Math.abs(s.height - size(s.id) * k), s.id).toBeLessThanOrEqual(1);
    // 1.69 GB against 188 MB: the tallest bar is about nine times the shortest.
    expect(stacks[0]!.height / stacks[stacks.length - 1]!.height).toBeCloseTo(1690 / 188, 1);
  });

  it("takes a screenshot in which the bars are drawn where the layout says", async () => {
    const png = join(work, "talk-ladder-report.png");
    await chromium([`--screenshot=${png}`, writeReport("report.html", renderHtmlReport(record))]);
    expect(statSync(png).size).toBeGreaterThan(30_000);
    const buf = readFileSync(png);
    const img = readPng(buf);
    expect({ width: img.width, height: img.height }).toEqual(WINDOW);
    if (process.env.SHRINKBENCH_SCREENSHOT_OUT)
      copyFileSync(png, process.env.SHRINKBENCH_SCREENSHOT_OUT);

    // Not a blank page: many colours.
    const colours = new Set<string>();
    for (let y = 0; y < img.height; y += 3)
      for (let x = 0; x < img.width; x += 3) colours.add(img.pixel(x, y).join(","));
    expect(colours.size).toBeGreaterThan(50);

    // Down the middle of each bar: the added colour on top of the base colour, as tall as the
    // layout boxes, so the drawn heights are proportional to the sizes too.
    const boxes = await measure(record, "measure-2.html");
    const drawn = ids.map((id) => {
      const base = boxes.find((b) => b.rung === id && b.part === "base")!;
      const added = boxes.find((b) => b.rung === id && b.part === "added")!;
      const x = Math.round(base.x + base.width / 2);
      const top = added.y - 2;
      const bottom = base.y + base.height + 2;
      const a = runOf(img, x, top, bottom, COLOURS.added);
      const b = runOf(img, x, top, bottom, COLOURS.base);
      expect(Math.abs(a - added.height), `${id} added`).toBeLessThanOrEqual(2);
      expect(Math.abs(b - base.height), `${id} base`).toBeLessThanOrEqual(2);
      return { id, px: a + b };
    });
    const k = drawn[0]!.px / size(ids[0]!);
    for (const d of drawn) expect(Math.abs(d.px - size(d.id) * k), d.id).toBeLessThanOrEqual(3);
  });

  it("draws FAILED rungs hatched and SKIPPED rungs as placeholders", async () => {
    const failing = talkRecordWithFailures();
    const boxes = await measure(failing, "measure-failures.html");
    const placeholders = boxes.filter((b) => b.status !== null);
    expect(placeholders.map((b) => [b.rung, b.status])).toEqual(
      failing.rungs.filter((r) => r.status !== "PASS").map((r) => [r.rung, r.status]),
    );
    for (const p of placeholders) expect(p.height).toBeGreaterThan(5);

    const png = join(work, "failures.png");
    await chromium([
      `--screenshot=${png}`,
      writeReport("failures.html", renderHtmlReport(failing)),
    ]);
    const img = readPng(readFileSync(png));
    const squash = placeholders.find((p) => p.rung === "slim-squash")!;
    const x0 = Math.round(squash.x) + 2;
    let red = 0;
    let light = 0;
    for (let y = Math.round(squash.y) + 2; y < squash.y + squash.height - 2; y++)
      for (let x = x0; x < squash.x + squash.width - 2; x++) {
        const [r, g] = img.pixel(x, y);
        if (r > 150 && r - g > 60) red++;
        if (near(img.pixel(x, y), COLOURS.failedFill, 12)) light++;
      }
    // Hatched: red stripes on a light fill, neither solid nor empty.
    const area = (squash.width - 4) * (squash.height - 4);
    expect(red / area).toBeGreaterThan(0.15);
    expect(light / area).toBeGreaterThan(0.15);
  });
});

describe("the size-against-time chart in headless chromium", () => {
  // Three rounds per rung: spreads to draw, and a recommendation with its frontier.
  const record = talkRecord();
  record.rungs = record.rungs.map((r, i) => {
    const b = r.buildSeconds ?? 60;
    return {
      ...r,
      buildSamples: [b, b * (1.05 + (i % 3) * 0.05), b * 0.97],
      smoke: { ...r.smoke!, importSeconds: 1 + i / 10, importSamples: [1 + i / 10, 1.1 + i / 10] },
    };
  });
  record.recommendation = recommend(record.rungs);

  const SCRIPT = `<script>
const marks = [...document.querySelectorAll("svg.tradeoff .point, svg.tradeoff .errorbar")].map((m) => {
  const b = m.getBoundingClientRect();
  return { kind: m.getAttribute("class"), panel: m.closest("g.panel").dataset.axis,
    rung: m.dataset.rung, bytes: Number(m.dataset.bytes ?? "NaN"),
    seconds: Number(m.dataset.seconds ?? "NaN"), min: Number(m.dataset.min ?? "NaN"),
    max: Number(m.dataset.max ?? "NaN"), x: b.x, y: b.y, width: b.width, height: b.height };
});
const pre = document.createElement("pre");
pre.id = "sb-marks";
pre.textContent = JSON.stringify(marks);
document.body.appendChild(pre);
</script>`;

  interface Mark {
    kind: string;
    panel: string;
    rung: string;
    bytes: number;
    seconds: number;
    min: number;
    max: number;
    x: number;
    y: number;
    width: number;
    height: number;
  }

  it("places one point per passing rung in each panel: higher is bigger, further right is slower", async () => {
    const html = renderHtmlReport(record).replace("</body>", `${SCRIPT}\n</body>`);
    const { stdout } = await chromium(["--dump-dom", writeReport("tradeoff.html", html)]);
    const m = /<pre id="sb-marks">([^<]*)<\/pre>/.exec(stdout);
    expect(m, "the marks' layout in the dumped DOM").not.toBeNull();
    const marks = JSON.parse(m![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, "&")) as Mark[];
    const passing = record.rungs.filter((r) => r.status === "PASS").map((r) => r.rung);
    for (const axis of ["build", "import"]) {
      const points = marks.filter((k) => k.kind === "point" && k.panel === axis);
      expect(points.map((p) => p.rung)).toEqual(passing);
      const cy = (p: Mark) => p.y + p.height / 2;
      const cx = (p: Mark) => p.x + p.width / 2;
      // Linear axes from 0: centre offsets from the origin are proportional to the values.
      const bySize = [...points].sort((a, b) => a.bytes - b.bytes);
      const bySeconds = [...points].sort((a, b) => a.seconds - b.seconds);
      for (let i = 1; i < points.length; i++) {
        if (bySize[i]!.bytes > bySize[i - 1]!.bytes)
          expect(cy(bySize[i]!)).toBeLessThan(cy(bySize[i - 1]!));
        if (bySeconds[i]!.seconds > bySeconds[i - 1]!.seconds)
          expect(cx(bySeconds[i]!)).toBeGreaterThan(cx(bySeconds[i - 1]!));
      }
      // Every error bar is centred vertically on its point and spans it horizontally.
      for (const bar of marks.filter((k) => k.kind === "errorbar" && k.panel === axis)) {
        const point = points.find((p) => p.rung === bar.rung)!;
        expect(Math.abs(bar.y + bar.height / 2 - cy(point))).toBeLessThanOrEqual(1);
        expect(bar.x).toBeLessThanOrEqual(cx(point));
        expect(bar.x + bar.width).toBeGreaterThanOrEqual(cx(point));
      }
    }
    // The build panel lies left of the import panel.
    const first = marks.find((k) => k.panel === "build")!;
    const second = marks.find((k) => k.panel === "import")!;
    expect(first.x).toBeLessThan(second.x);
  });

  it("writes every point's label clear of the other labels and of the points, however close", async () => {
    // Same-content rungs at nearly the same size and time: their labels would pile up.
    const crowded = structuredClone(record);
    const ref = crowded.rungs.find((r) => r.rung === "slim-squash")!;
    for (const r of crowded.rungs.filter((x) => x.status === "PASS" && x.image).slice(2, 8)) {
      r.image = { ...r.image!, sizeBytes: ref.image!.sizeBytes + (r.rung.length % 3) * 1e6 };
      r.buildSamples = ref.buildSamples!.map((b, i) => b + i * 0.3 + (r.rung.length % 2));
    }
    crowded.recommendation = recommend(crowded.rungs);
    const script = `<script>
const boxes = [...document.querySelectorAll("svg.tradeoff .point-label, svg.tradeoff .point")].map((m) => {
  const b = m.getBoundingClientRect();
  return { kind: m.getAttribute("class"), panel: m.closest("g.panel").dataset.axis,
    rung: m.dataset.rung, x: b.x, y: b.y, width: b.width, height: b.height };
});
const pre = document.createElement("pre");
pre.id = "sb-labels";
pre.textContent = JSON.stringify(boxes);
document.body.appendChild(pre);
</script>`;
    const html = renderHtmlReport(crowded).replace("</body>", `${script}\n</body>`);
    const { stdout } = await chromium(["--dump-dom", writeReport("labels.html", html)]);
    const m = /<pre id="sb-labels">([^<]*)<\/pre>/.exec(stdout);
    expect(m, "the labels' layout in the dumped DOM").not.toBeNull();
    type B = {
      kind: string;
      panel: string;
      rung: string;
      x: number;
      y: number;
      width: number;
      height: number;
    };
    const boxes = JSON.parse(m![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, "&")) as B[];
    const hit = (a: B, b: B) =>
      a.x < b.x + b.width - 0.5 &&
      b.x < a.x + a.width - 0.5 &&
      a.y < b.y + b.height - 0.5 &&
      b.y < a.y + a.height - 0.5;
    const passing = crowded.rungs.filter((r) => r.status === "PASS").map((r) => r.rung);
    for (const axis of ["build", "import"]) {
      const labels = boxes.filter((b) => b.kind === "point-label" && b.panel === axis);
      const points = boxes.filter((b) => b.kind === "point" && b.panel === axis);
      expect(labels.map((l) => l.rung).sort()).toEqual([...passing].sort());
      for (const [i, a] of labels.entries()) {
        expect(a.width, `${axis} ${a.rung} drawn`).toBeGreaterThan(10);
        for (const b of labels.slice(i + 1))
          expect(hit(a, b), `${axis}: ${a.rung} / ${b.rung}`).toBe(false);
        for (const p of points)
          expect(hit(a, p), `${axis}: label ${a.rung} on point ${p.rung}`).toBe(false);
      }
    }
    // The crowd really is crowded: some points are closer than a label is wide.
    const build = boxes.filter((b) => b.kind === "point" && b.panel === "build");
    const close = build.some((a, i) =>
      build.slice(i + 1).some((b) => Math.abs(a.x - b.x) < 20 && Math.abs(a.y - b.y) < 12),
    );
    expect(close).toBe(true);
  });
});
