import { describe, expect, it } from "vitest";
import { anyOverlap, placeLabels, textBox } from "../../src/report/label-placement.js";

const opts = { fontSize: 10, radius: 5, bounds: { x: 0, y: 0, width: 400, height: 300 } };

describe("placeLabels", () => {
  it("puts a lone label right of its point, unmoved", () => {
    const [l] = placeLabels([{ x: 100, y: 100, text: "slim" }], opts);
    expect(l).toMatchObject({ anchor: "start", moved: false });
    expect(l!.box.x).toBeGreaterThan(105);
  });

  it("keeps the labels of coincident and nearby points apart, and off every point", () => {
    // the talk's same-content rungs: nearly the same size and time
    const requests = [
      "slim-squash",
      "slim-multistage",
      "slim-wheel",
      "slim-single-layer",
      "slim-cache-mount",
    ].map((text, i) => ({ x: 200 + i * 2, y: 150 + (i % 2), text }));
    const labels = placeLabels(requests, opts);
    expect(anyOverlap(labels.map((l) => l.box))).toBe(false);
    for (const l of labels) {
      for (const p of requests) {
        const marker = { x: p.x - 5, y: p.y - 5, width: 10, height: 10 };
        expect(anyOverlap([l.box, marker])).toBe(false);
      }
    }
    expect(labels.some((l) => l.moved)).toBe(true);
  });

  it("turns a label left at the right edge, inside the bounds", () => {
    const [l] = placeLabels([{ x: 395, y: 100, text: "slim-dedupe" }], opts);
    expect(l!.anchor).toBe("end");
    expect(l!.box.x + l!.box.width).toBeLessThanOrEqual(400);
  });

  it("estimates a text's box from its anchor", () => {
    expect(textBox("abcd", 10, 20, "start", 10)).toEqual({ x: 10, y: 12, width: 24, height: 10.5 });
    expect(textBox("abcd", 10, 20, "end", 10).x).toBe(-14);
    expect(textBox("abcd", 10, 20, "middle", 10).x).toBe(-2);
  });
});
