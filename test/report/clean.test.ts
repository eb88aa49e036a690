import { describe, expect, it } from "vitest";

import type { Leftovers } from "../../src/docker/engine.js";
import { leftoverBytes, renderLeftovers, renderRemoved } from "../../src/report/clean.js";

const leftovers: Leftovers = {
  images: [
    { id: "sha256:aaaa", tags: ["shrinkbench/slim:r1"], run: "r1", bytes: 120_000_000 },
    { id: "sha256:0123456789abcdef", tags: [], run: "r1", bytes: 141_000_000 },
  ],
  containers: [{ id: "c1", name: "smoke", run: "r1", bytes: 2_000, running: true }],
  buildCache: [
    {
      id: "x9o71m8yi1rx2t13ymumz5aw0",
      description: "mount / from exec /bin/sh -c pip install # shrinkbench-run=r1",
      type: "regular",
      inUse: false,
      shared: false,
      bytes: 300_000_000,
    },
    {
      id: "g5ikgdwhu7xnt6pgy1lgtgqpu",
      description: "fileop target",
      type: "regular",
      inUse: false,
      shared: true,
      bytes: 50_000_000,
    },
  ],
};

describe("clean's report", () => {
  it("counts each image's own bytes, containers and cache records not backing an image", () => {
    expect(leftoverBytes(leftovers)).toBe(120_000_000 + 141_000_000 + 2_000 + 300_000_000);
  });

  it("--dry-run lists every object with what it frees, then the total", () => {
    const text = renderLeftovers(leftovers, { keepCache: false });
    expect(text).toMatch(/container\s+smoke \(running\)\s+r1\s+2kB/);
    expect(text).toMatch(/image\s+shrinkbench\/slim:r1\s+r1\s+120MB/);
    expect(text).toMatch(/image\s+<untagged> 0123456789ab\s+r1\s+141MB/);
    expect(text).toMatch(/build cache\s+x9o71m8yi1rx mount \/ from exec .*300MB/);
    expect(text).toMatch(/build cache\s+g5ikgdwhu7xn fileop target\s+\(image's\)/);
    expect(text).toMatch(
      /would free 561MB: 2 image\(s\), 1 container\(s\), 2 build cache record\(s\)\n$/,
    );
  });

  it("--keep-cache leaves the cache out of the list, and the image bytes kept records hold out of the total", () => {
    const text = renderLeftovers(leftovers, { keepCache: true });
    expect(text).not.toMatch(/build cache\s+x9o/);
    expect(text).toMatch(/keeping 2 build cache record\(s\)/);
    // 261 MB of images, 50 MB of which a kept (shared) record holds.
    expect(text).toMatch(/would free 211MB: 2 image\(s\), 1 container\(s\)\n$/);
    expect(leftoverBytes(leftovers, { keepCache: true })).toBe(261_002_000 - 50_000_000);
  });

  it("says so when there is nothing", () => {
    const none = { images: [], containers: [], buildCache: [] };
    expect(renderLeftovers(none, { keepCache: false })).toBe("nothing to remove\n");
  });

  it("after removing: what went and what the engine freed", () => {
    const removed = {
      images: ["a", "b"],
      containers: [],
      buildCache: ["x"],
      bytes: 1_440_000_000,
      held: { records: 0, bytes: 0 },
    };
    expect(renderRemoved(removed, { keepCache: false })).toBe(
      "removed 2 image(s), 0 container(s), 1 build cache record(s): freed 1.44GB\n",
    );
    expect(renderRemoved(removed, { keepCache: true })).toBe(
      "removed 2 image(s), 0 container(s): freed 1.44GB (build cache kept: --keep-cache)\n",
    );
  });

  it("says what of the removed images the build cache still holds, and why nothing was freed", () => {
    // clean --run after a minimal rung: the image went, its layer stayed in the FROM scratch
    // stage's COPY record, which no run's mark names.
    const removed = {
      images: ["a"],
      containers: [],
      buildCache: [],
      bytes: 0,
      held: { records: 3, bytes: 34_727_952 },
    };
    expect(renderRemoved(removed, { keepCache: false })).toBe(
      "removed 1 image(s), 0 container(s), 0 build cache record(s): freed 0B; 34.7MB of the removed images' layers stay in 3 build cache record(s) that no run names (`docker builder prune` removes them, with every other unused record)\n",
    );
    expect(renderRemoved(removed, { keepCache: true })).toBe(
      "removed 1 image(s), 0 container(s): freed 0B (build cache kept: --keep-cache; it holds 34.7MB of the removed images' layers)\n",
    );
  });
});
