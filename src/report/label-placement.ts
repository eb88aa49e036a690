// Where to write each point's label in a scatter chart so that no two labels overlap, and none
// covers a point: greedy, one label at a time, trying spots around its point nearest first (right,
// left, above, below, then further up and down the same sides). A label moved away from its
// point gets a leader line. Sizes are estimates (no font metrics in a pure function): a
// character is taken as 0.6 of the font size wide, wider than most sans-serif glyphs. Pure.

export interface LabelRequest {
  /** The point's centre. */
  x: number;
  y: number;
  text: string;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedLabel {
  /** The text's anchor point, as SVG's <text x y text-anchor> takes it (y is the baseline). */
  x: number;
  y: number;
  anchor: "start" | "end" | "middle";
  box: Box;
  /** True when the label sits away from its point (draw a leader line). */
  moved: boolean;
}

export interface PlacementOptions {
  fontSize: number;
  /** The radius of a point (its marker is kept clear). */
  radius: number;
  /** Labels stay inside this box when they can. */
  bounds: Box;
}

const GAP = 3;

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function overlapArea(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

function inside(a: Box, bounds: Box): boolean {
  return (
    a.x >= bounds.x &&
    a.y >= bounds.y &&
    a.x + a.width <= bounds.x + bounds.width &&
    a.y + a.height <= bounds.y + bounds.height
  );
}

/** The estimated box of `text` written at (x, baseline y) with `anchor`. */
export function textBox(
  text: string,
  x: number,
  y: number,
  anchor: PlacedLabel["anchor"],
  fontSize: number,
): Box {
  const width = text.length * fontSize * 0.6;
  const left = anchor === "start" ? x : anchor === "end" ? x - width : x - width / 2;
  // From the ascender to the descender: about 0.8 of the size above the baseline, 0.25 below.
  return { x: left, y: y - fontSize * 0.8, width, height: fontSize * 1.05 };
}

/** Spots around a point, nearest first: [dx, baseline dy, anchor, moved]. */
function candidates(
  r: number,
  fontSize: number,
): [number, number, PlacedLabel["anchor"], boolean][] {
  const side = r + GAP;
  const up = -r / 2; // baseline just above the centre: the label sits beside the point's top half
  const down = fontSize * 0.8 + r / 2;
  const out: [number, number, PlacedLabel["anchor"], boolean][] = [
    [side, up, "start", false],
    [side, down, "start", false],
    [-side, up, "end", false],
    [-side, down, "end", false],
    [0, -(r + GAP + fontSize * 0.25), "middle", false],
    [0, r + GAP + fontSize * 0.8, "middle", false],
  ];
  const line = fontSize * 1.1;
  for (let k = 1; k <= 8; k++) {
    out.push(
      [side, up - k * line, "start", true],
      [side, down + k * line, "start", true],
      [-side, up - k * line, "end", true],
      [-side, down + k * line, "end", true],
    );
  }
  return out;
}

/**
 * Places every label, in the order given (put the most important first): the first spot that
 * stays inside the bounds and clear of every point and every label already placed; when none
 * is clear, the spot that overlaps least.
 */
export function placeLabels(
  requests: readonly LabelRequest[],
  opts: PlacementOptions,
): PlacedLabel[] {
  const r = opts.radius;
  const markers: Box[] = requests.map((p) => ({
    x: p.x - r - 1,
    y: p.y - r - 1,
    width: 2 * r + 2,
    height: 2 * r + 2,
  }));
  const placed: PlacedLabel[] = [];
  for (const p of requests) {
    let best: { label: PlacedLabel; cost: number } | undefined;
    for (const [dx, dy, anchor, moved] of candidates(r, opts.fontSize)) {
      const x = p.x + dx;
      const y = p.y + dy;
      const box = textBox(p.text, x, y, anchor, opts.fontSize);
      const padded = { x: box.x - 1, y: box.y - 1, width: box.width + 2, height: box.height + 2 };
      let cost = 0;
      for (const other of placed) cost += overlapArea(padded, other.box);
      for (const m of markers) cost += overlapArea(padded, m);
      if (!inside(box, opts.bounds)) cost += 1e6;
      if (!best || cost < best.cost) best = { label: { x, y, anchor, box, moved }, cost };
      if (cost === 0) break;
    }
    placed.push(best!.label);
  }
  return placed;
}

/** Whether any two of the boxes overlap (for tests and checks). */
export function anyOverlap(boxes: readonly Box[]): boolean {
  return boxes.some((a, i) => boxes.slice(i + 1).some((b) => overlaps(a, b)));
}
