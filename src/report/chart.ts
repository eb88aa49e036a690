// The ladder as a picture: a self-contained SVG bar chart of a run record.
//
// One bar per rung, in ladder order; its height is the image size, split into the base
// image's bytes and the bytes the rung added; the size and build time above it. FAILED and
// SKIPPED rungs get a hatched or grey placeholder with the word. Every text is escaped: rung
// ids, titles and file names are user input.
//
// Bars carry stable attributes for tests and scripts:
//   <rect class="bar" data-rung="<id>" data-part="base|added" data-bytes="<n>" .../>
//   <rect class="placeholder" data-rung="<id>" data-status="FAILED|SKIPPED" .../>

import type { RunRecord, RungResult } from "../types.js";
import { formatBytes, formatSeconds, formatSignedBytes } from "../units.js";
import { versus, yoursOf } from "../results/versus.js";
import { YOURS } from "../ladder/yours.js";

// ---------------------------------------------------------------------------------------------
// Escaping (shared with html-report.ts)

/** Escapes text for XML/HTML content and attribute values; drops characters XML forbids. */
export function escapeXml(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, "")
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;")
  );
}

// ---------------------------------------------------------------------------------------------
// Geometry

/** A "nice" axis for values up to `max`: step of 1, 2, 2.5 or 5 × 10^k, about five ticks. */
export function niceAxis(max: number, targetTicks = 5): { max: number; step: number } {
  if (!(max > 0) || !Number.isFinite(max)) return { max: 100_000_000, step: 20_000_000 };
  const raw = max / targetTicks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw - 1e-9) ?? 10 * mag;
  return { max: Math.ceil(max / step - 1e-9) * step, step };
}

/** The parts of one rung's bar, in bytes. */
export interface BarParts {
  rung: string;
  status: RungResult["status"];
  /** Base bytes and added bytes; they sum to the image size. Undefined without an image. */
  baseBytes?: number;
  addedBytes?: number;
  sizeBytes?: number;
}

export function barParts(r: RungResult): BarParts {
  if (!r.image) return { rung: r.rung, status: r.status };
  const size = Math.max(0, r.image.sizeBytes);
  // The stack must add up to the image size, whatever the record says about the split.
  const base = Math.min(size, Math.max(0, r.image.baseSizeBytes));
  return {
    rung: r.rung,
    status: r.status,
    baseBytes: base,
    addedBytes: size - base,
    sizeBytes: size,
  };
}

const COLOURS = {
  text: "#1f2328",
  muted: "#59636e",
  grid: "#e4e7eb",
  axis: "#8c959f",
  base: "#9fb3c8",
  added: "#2f6db3",
  failed: "#c62828",
  failedFill: "#fdecea",
  skipped: "#8c959f",
  skippedFill: "#f1f3f5",
} as const;

const FONT = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Helvetica, Arial, sans-serif";

export interface ChartOptions {
  /** Height of the plotting area in px (the bars' full scale). */
  plotHeight?: number;
  /** Horizontal room per rung in px. */
  slotWidth?: number;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Width of a text in px at a font size, roughly: good enough to reserve room for it. */
function textWidth(text: string, fontSize: number): number {
  return text.length * fontSize * 0.6;
}

/** A one-line summary of a reason, short enough for a tooltip. */
function short(text: string, max = 160): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

export function renderLadderSvg(record: RunRecord, opts: ChartOptions = {}): string {
  const plotH = opts.plotHeight ?? 360;
  // A run with your Dockerfile carries a change against it under each size: wider slots.
  const slot = opts.slotWidth ?? (yoursOf(record.rungs) ? 100 : 84);
  const barW = Math.round(slot * 0.56);
  const rungs = record.rungs;
  const parts = rungs.map(barParts);
  const yours = yoursOf(rungs);

  const measured = parts.map((p) => p.sizeBytes ?? 0);
  const axis = niceAxis(Math.max(0, ...measured));
  const scale = plotH / axis.max;

  // Rung ids under the bars: straight when they fit the slot, rotated when they do not.
  const labelFont = 12;
  // (DejaVu Sans, the widest common fallback, averages about 0.55 em per character.)
  const xLabel = (id: string) => (id.length > 30 ? `${id.slice(0, 29)}…` : id);
  const longest = Math.max(0, ...rungs.map((r) => xLabel(r.rung).length * labelFont * 0.55));
  const rotate = longest > slot - 8;
  const angle = 40;
  const rad = (angle * Math.PI) / 180;
  const labelDrop = rotate ? longest * Math.sin(rad) + labelFont : labelFont + 4;

  const tickLabels = [];
  for (let v = 0; v <= axis.max + 1e-6; v += axis.step) tickLabels.push(v);
  const tickLabelW = Math.max(...tickLabels.map((v) => textWidth(axisLabel(v), 11)));

  const left = Math.round(40 + tickLabelW);
  const plotW = Math.max(1, rungs.length) * slot;
  const leftOverhang = rotate ? Math.max(0, longest * Math.cos(rad) - slot / 2 - left + 40) : 0;
  const plotLeft = left + Math.round(leftOverhang);
  const right = 24;
  const titleText = `${record.ladder.name} — ${record.requirements.file}`;
  const legendW = yoursOf(record.rungs) ? 900 : 560;
  const width = Math.round(
    Math.max(plotLeft + plotW + right, textWidth(titleText, 18) + 48, legendW + 48),
  );
  // Title, subtitle, legend, and room for labels above the tallest bar (one more with yours).
  const top = 118 + (yoursOf(record.rungs) ? 15 : 0);
  const plotTop = top;
  const baseline = plotTop + plotH;
  const height = Math.round(baseline + 10 + labelDrop + 12);

  const out: string[] = [];
  const t = (s: string) => escapeXml(s);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="sb-chart-title" ` +
      `font-family="${t(FONT)}" class="shrinkbench-ladder">`,
  );
  out.push(`<title id="sb-chart-title">${t(`shrinkbench: ${titleText}`)}</title>`);
  out.push(
    `<defs><pattern id="sb-hatch" width="8" height="8" patternUnits="userSpaceOnUse" ` +
      `patternTransform="rotate(45)"><rect width="8" height="8" fill="${COLOURS.failedFill}"/>` +
      `<line x1="0" y1="0" x2="0" y2="8" stroke="${COLOURS.failed}" stroke-width="3"/></pattern></defs>`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);

  // Title and subtitle.
  out.push(
    `<text x="24" y="30" font-size="18" font-weight="600" fill="${COLOURS.text}">${t(titleText)}</text>`,
  );
  const sub = [
    "image size per rung (docker image inspect .Size), build time above each bar",
    record.interrupted ? "run interrupted" : "",
  ]
    .filter(Boolean)
    .join(" · ");
  out.push(`<text x="24" y="50" font-size="12" fill="${COLOURS.muted}">${t(sub)}</text>`);

  // Legend.
  const legend: [string, string][] = [
    [`fill="${COLOURS.base}"`, "base image"],
    [`fill="${COLOURS.added}"`, "added by the rung"],
  ];
  // FAILED and SKIPPED only when the chart has some.
  if (rungs.some((r) => r.status !== "PASS" && r.status !== "SKIPPED"))
    legend.push([`fill="url(#sb-hatch)" stroke="${COLOURS.failed}"`, "FAILED"]);
  if (rungs.some((r) => r.status === "SKIPPED"))
    legend.push([
      `fill="${COLOURS.skippedFill}" stroke="${COLOURS.skipped}" stroke-dasharray="3 2"`,
      "SKIPPED",
    ]);
  let lx = 24;
  out.push(`<g class="legend" font-size="12" fill="${COLOURS.text}">`);
  for (const [paint, label] of legend) {
    out.push(`<rect x="${lx}" y="66" width="14" height="14" ${paint}/>`);
    out.push(`<text x="${lx + 20}" y="77" class="legend-label">${label}</text>`);
    lx += 20 + textWidth(label, 12) + 22;
  }
  out.push(
    `<text x="${lx}" y="77" fill="${COLOURS.muted}">4m05s = build time` +
      (yoursOf(record.rungs)
        ? `; (-1.0s), -10MB = build time and size against ${YOURS}, your Dockerfile`
        : "") +
      `</text>`,
  );
  out.push(`</g>`);

  // Grid, ticks and the y axis title.
  out.push(`<g class="y-axis" font-size="11" fill="${COLOURS.muted}">`);
  for (const v of tickLabels) {
    const y = round(baseline - v * scale);
    out.push(
      `<line x1="${plotLeft}" y1="${y}" x2="${plotLeft + plotW}" y2="${y}" stroke="${v === 0 ? COLOURS.axis : COLOURS.grid}" stroke-width="1"/>`,
    );
    out.push(
      `<text x="${plotLeft - 8}" y="${round(y + 4)}" text-anchor="end" class="tick">${axisLabel(v)}</text>`,
    );
  }
  const axisTitleX = 16;
  const axisTitleY = round(plotTop + plotH / 2);
  out.push(
    `<text x="${axisTitleX}" y="${axisTitleY}" transform="rotate(-90 ${axisTitleX} ${axisTitleY})" ` +
      `text-anchor="middle" font-size="12" fill="${COLOURS.text}" class="axis-title">` +
      `image size (MB / GB, decimal: 1 MB = 10⁶ bytes)</text>`,
  );
  out.push(`</g>`);

  // Bars.
  out.push(`<g class="bars">`);
  rungs.forEach((r, i) => {
    const p = parts[i]!;
    const cx = plotLeft + i * slot + slot / 2;
    const x = round(cx - barW / 2);
    const id = t(r.rung);
    const tip = (s: string) => `<title>${t(s)}</title>`;
    let barTop = baseline;
    const labels: { text: string; weight?: string; fill: string }[] = [];
    // With your own Dockerfile in the run: each bar's change against it.
    const vs = yours && r !== yours ? versus(r, yours) : undefined;

    if (r.status === "PASS" && p.sizeBytes !== undefined) {
      const hBase = round(p.baseBytes! * scale);
      const hAdded = round(p.addedBytes! * scale);
      const yBase = round(baseline - hBase);
      const yAdded = round(yBase - hAdded);
      barTop = yAdded;
      out.push(
        `<rect class="bar" data-rung="${id}" data-part="base" data-bytes="${p.baseBytes}" ` +
          `x="${x}" y="${yBase}" width="${barW}" height="${hBase}" fill="${COLOURS.base}">` +
          tip(`${r.rung}: base image ${r.baseImage}, ${formatBytes(p.baseBytes!)}`) +
          `</rect>`,
      );
      out.push(
        `<rect class="bar" data-rung="${id}" data-part="added" data-bytes="${p.addedBytes}" ` +
          `x="${x}" y="${yAdded}" width="${barW}" height="${hAdded}" fill="${COLOURS.added}">` +
          tip(`${r.rung} (${r.title}): added ${formatBytes(p.addedBytes!)}`) +
          `</rect>`,
      );
      labels.push({ text: formatBytes(p.sizeBytes), weight: "600", fill: COLOURS.text });
      if (vs?.bytes !== undefined)
        labels.push({ text: formatSignedBytes(vs.bytes), fill: COLOURS.muted });
    } else {
      // FAILED or SKIPPED (or a PASS without a measure, which should not happen): a
      // placeholder. A FAILED rung that was measured keeps its measured height, hatched.
      const failed = r.status !== "SKIPPED";
      const h = p.sizeBytes !== undefined ? round(p.sizeBytes * scale) : 26;
      const y = round(baseline - h);
      barTop = y;
      const paint = failed
        ? `fill="url(#sb-hatch)" stroke="${COLOURS.failed}"`
        : `fill="${COLOURS.skippedFill}" stroke="${COLOURS.skipped}" stroke-dasharray="3 2"`;
      const word = r.status === "PASS" ? "NO SIZE" : r.status;
      out.push(
        `<rect class="placeholder" data-rung="${id}" data-status="${t(r.status)}"` +
          (p.sizeBytes !== undefined ? ` data-bytes="${p.sizeBytes}"` : "") +
          ` x="${x}" y="${y}" width="${barW}" height="${h}" ${paint}>` +
          tip(`${r.rung}: ${word}${r.reason ? ` — ${short(r.reason)}` : ""}`) +
          `</rect>`,
      );
      labels.push({
        text: word,
        weight: "700",
        fill: failed ? COLOURS.failed : COLOURS.skipped,
      });
      if (p.sizeBytes !== undefined)
        labels.push({ text: formatBytes(p.sizeBytes), fill: COLOURS.muted });
    }
    if (r.buildSeconds !== undefined) {
      const cold = vs?.coldSeconds;
      const delta = cold === undefined ? "" : ` (${cold > 0 ? "+" : ""}${formatSeconds(cold)})`;
      labels.push({ text: formatSeconds(r.buildSeconds) + delta, fill: COLOURS.muted });
    }

    // Labels stack upwards from the bar's top, the first one nearest to it.
    labels.forEach((l, k) => {
      const y = round(barTop - 6 - k * 15);
      out.push(
        `<text x="${round(cx)}" y="${y}" text-anchor="middle" font-size="12" fill="${l.fill}"` +
          (l.weight ? ` font-weight="${l.weight}"` : "") +
          ` class="bar-label" data-rung="${id}">${t(l.text)}</text>`,
      );
    });

    // The rung id under the axis (cut when very long; the bar's tooltip has it whole).
    const ly = baseline + 16;
    const label = t(xLabel(r.rung));
    out.push(
      rotate
        ? `<text x="${round(cx + 4)}" y="${ly}" transform="rotate(-${angle} ${round(cx + 4)} ${ly})" ` +
            `text-anchor="end" font-size="${labelFont}" fill="${COLOURS.text}" class="x-label" data-rung="${id}">${label}</text>`
        : `<text x="${round(cx)}" y="${ly}" text-anchor="middle" font-size="${labelFont}" ` +
            `fill="${COLOURS.text}" class="x-label" data-rung="${id}">${label}</text>`,
    );
  });
  out.push(`</g>`);
  out.push(`</svg>`);
  return out.join("\n");
}

/** Tick labels: "0", "500MB", "1GB", "1.5GB". */
function axisLabel(v: number): string {
  return v === 0 ? "0" : formatBytes(v);
}
