// The talk's closing question as a picture: size against time, one point per passing rung, in
// two panels: cold build time (build + post steps) and import time. Each point is the median;
// its horizontal error bar spans the samples' min–max (the range the recommendation compares:
// src/results/stats.ts). Frontier rungs (the record's recommendation) are filled; a
// dashed staircase of each panel's own size/time frontier. Self-contained SVG, every text escaped.
//
// Marks carry stable attributes for tests and scripts:
//   <g class="panel" data-axis="build|import">
//   <circle class="point" data-rung="<id>" data-bytes="<n>" data-seconds="<median>"
//           data-frontier="true|false" .../>
//   <line class="errorbar" data-rung="<id>" data-min="<s>" data-max="<s>" .../>
//   <polyline class="frontier" .../>
//   <text class="point-label" data-rung="<id>" ...>, placed clear of each other and of the
//   points (label-placement.ts); <line class="leader" data-rung="<id>"/> to a label moved away.
import { escapeXml, niceAxis } from "./chart.js";
import { placeLabels } from "./label-placement.js";
import type { Spread } from "../results/stats.js";
import { coldBuildSpread, importSpread } from "../results/times.js";
import type { RunRecord, RungResult } from "../types.js";
import { formatBytes, formatSeconds } from "../units.js";

const PANEL = { width: 460, height: 340, left: 64, right: 16, top: 36, bottom: 44 };
const COLOURS = {
  text: "#1f2328",
  muted: "#59636e",
  grid: "#e4e7eb",
  axis: "#8c959f",
  point: "#2f6db3",
  frontier: "#d9480f",
} as const;
const FONT = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Helvetica, Arial, sans-serif";

const LABEL_FONT = 10;

type Axis = "build" | "import";

interface Point {
  rung: string;
  bytes: number;
  time: Spread;
  frontier: boolean;
}

function points(record: RunRecord, axis: Axis): Point[] {
  const frontier = new Set(record.recommendation?.frontier ?? []);
  const spread = (r: RungResult) => (axis === "build" ? coldBuildSpread(r) : importSpread(r));
  return record.rungs.flatMap((r) => {
    const time = r.status === "PASS" && r.image ? spread(r) : undefined;
    return time
      ? [{ rung: r.rung, bytes: r.image!.sizeBytes, time, frontier: frontier.has(r.rung) }]
      : [];
  });
}

function n(x: number): string {
  return String(Math.round(x * 10) / 10);
}

function panel(record: RunRecord, axis: Axis, dx: number): string {
  const ps = points(record, axis);
  const title = axis === "build" ? "Size against cold build time" : "Size against import time";
  const out = [
    `<g class="panel" data-axis="${axis}" transform="translate(${dx},0)">`,
    `<text x="${PANEL.left}" y="20" font-size="14" font-weight="600" fill="${COLOURS.text}">${title}</text>`,
  ];
  if (ps.length === 0) {
    out.push(
      `<text x="${PANEL.left}" y="${PANEL.top + 40}" font-size="12" fill="${COLOURS.muted}">no passing rung with this time</text>`,
      `</g>`,
    );
    return out.join("\n");
  }
  const w = PANEL.width - PANEL.left - PANEL.right;
  const h = PANEL.height - PANEL.top - PANEL.bottom;
  const xAxis = niceAxis(Math.max(...ps.map((p) => p.time.max)));
  const yAxis = niceAxis(Math.max(...ps.map((p) => p.bytes)));
  const x = (s: number) => PANEL.left + (s / xAxis.max) * w;
  const y = (b: number) => PANEL.top + h - (b / yAxis.max) * h;
  const secs = (s: number) => (axis === "import" && s < 10 ? `${n(s)}s` : formatSeconds(s));
  for (let v = 0; v <= yAxis.max + 1e-9; v += yAxis.step) {
    out.push(
      `<line x1="${PANEL.left}" x2="${PANEL.left + w}" y1="${n(y(v))}" y2="${n(y(v))}" stroke="${COLOURS.grid}"/>`,
      `<text x="${PANEL.left - 6}" y="${n(y(v) + 4)}" font-size="11" text-anchor="end" fill="${COLOURS.muted}">${escapeXml(formatBytes(v))}</text>`,
    );
  }
  for (let v = 0; v <= xAxis.max + 1e-9; v += xAxis.step) {
    out.push(
      `<line x1="${n(x(v))}" x2="${n(x(v))}" y1="${PANEL.top + h}" y2="${PANEL.top + h + 4}" stroke="${COLOURS.axis}"/>`,
      `<text x="${n(x(v))}" y="${PANEL.top + h + 17}" font-size="11" text-anchor="middle" fill="${COLOURS.muted}">${escapeXml(secs(v))}</text>`,
    );
  }
  out.push(
    `<line x1="${PANEL.left}" x2="${PANEL.left + w}" y1="${PANEL.top + h}" y2="${PANEL.top + h}" stroke="${COLOURS.axis}"/>`,
    `<text x="${PANEL.left + w / 2}" y="${PANEL.height - 8}" font-size="12" text-anchor="middle" fill="${COLOURS.text}">${axis === "build" ? "cold build time (median, bar: min–max)" : "import time (median, bar: min–max)"}</text>`,
  );
  // This panel's own frontier as a staircase: the rungs no other is smaller and faster than
  // (by median), in order of time. The filled points are the record's frontier over all three.
  const front = ps
    .filter(
      (p) =>
        !ps.some(
          (o) =>
            o !== p &&
            o.bytes <= p.bytes &&
            o.time.median <= p.time.median &&
            (o.bytes < p.bytes || o.time.median < p.time.median),
        ),
    )
    .sort((a, b) => a.time.median - b.time.median);
  if (front.length > 1) {
    const path = front
      .flatMap((p, i) => {
        const here = `${n(x(p.time.median))},${n(y(p.bytes))}`;
        return i === 0 ? [here] : [`${n(x(p.time.median))},${n(y(front[i - 1]!.bytes))}`, here];
      })
      .join(" ");
    out.push(
      `<polyline class="frontier" points="${path}" fill="none" stroke="${COLOURS.frontier}" stroke-width="1.5" stroke-dasharray="5 4"/>`,
    );
  }
  for (const p of ps) {
    const cy = n(y(p.bytes));
    const colour = p.frontier ? COLOURS.frontier : COLOURS.point;
    const rung = escapeXml(p.rung);
    if (p.time.max > p.time.min) {
      out.push(
        `<line class="errorbar" data-rung="${rung}" data-min="${p.time.min}" data-max="${p.time.max}" x1="${n(x(p.time.min))}" x2="${n(x(p.time.max))}" y1="${cy}" y2="${cy}" stroke="${colour}" stroke-width="1.5"/>`,
      );
    }
    out.push(
      `<circle class="point" data-rung="${rung}" data-bytes="${p.bytes}" data-seconds="${p.time.median}" data-frontier="${p.frontier}" cx="${n(x(p.time.median))}" cy="${cy}" r="5" fill="${p.frontier ? colour : "#ffffff"}" stroke="${colour}" stroke-width="2"><title>${rung}: ${escapeXml(formatBytes(p.bytes))}, ${escapeXml(secs(p.time.median))} (n=${p.time.n})</title></circle>`,
    );
  }
  // Labels after every point, frontier rungs first: they get the spots nearest their points.
  const order = [...ps].sort((a, b) => Number(b.frontier) - Number(a.frontier));
  const labels = placeLabels(
    order.map((p) => ({ x: x(p.time.median), y: y(p.bytes), text: p.rung })),
    {
      fontSize: LABEL_FONT,
      radius: 5,
      bounds: { x: PANEL.left, y: PANEL.top - 14, width: PANEL.width - PANEL.left, height: h + 14 },
    },
  );
  order.forEach((p, i) => {
    const l = labels[i]!;
    const rung = escapeXml(p.rung);
    if (l.moved) {
      const ex = l.anchor === "end" ? l.box.x + l.box.width : l.box.x;
      const ey = l.box.y + l.box.height / 2;
      out.push(
        `<line class="leader" data-rung="${rung}" x1="${n(x(p.time.median))}" y1="${n(y(p.bytes))}" x2="${n(ex)}" y2="${n(ey)}" stroke="${COLOURS.axis}" stroke-width="0.75"/>`,
      );
    }
    out.push(
      `<text class="point-label" data-rung="${rung}" x="${n(l.x)}" y="${n(l.y)}" text-anchor="${l.anchor}" font-size="${LABEL_FONT}" fill="${COLOURS.text}">${rung}</text>`,
    );
  });
  out.push(`</g>`);
  return out.join("\n");
}

/** Two panels side by side: size against cold build time, and against import time. */
export function renderTradeoffSvg(record: RunRecord): string {
  const width = PANEL.width * 2;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="tradeoff" width="${width}" height="${PANEL.height}" viewBox="0 0 ${width} ${PANEL.height}" font-family="${FONT}" role="img" aria-label="size against cold build time and import time, one point per passing rung">`,
    `<rect width="${width}" height="${PANEL.height}" fill="#ffffff"/>`,
    panel(record, "build", 0),
    panel(record, "import", PANEL.width),
    `</svg>`,
  ].join("\n");
}
