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

  it("--keep-cache leaves the cache out of the list and the total", () => {
    const text = renderLeftovers(leftovers, { keepCache: true });
    expect(text).not.toMatch(/build cache\s+x9o/);
    expect(text).toMatch(/keeping 2 build cache record\(s\)/);
    expect(text).toMatch(/would free 261MB: 2 image\(s\), 1 container\(s\)\n$/);
  });

  it("says so when there is nothing", () => {
    const none = { images: [], containers: [], buildCache: [] };
    expect(renderLeftovers(none, { keepCache: false })).toBe("nothing to remove\n");
  });

  it("after removing: what went and what the engine freed", () => {
    const removed = { images: ["a", "b"], containers: [], buildCache: ["x"], bytes: 1_440_000_000 };
    expect(renderRemoved(removed, { keepCache: false })).toBe(
      "removed 2 image(s), 0 container(s), 1 build cache record(s): freed 1.44GB\n",
    );
    expect(renderRemoved(removed, { keepCache: true })).toBe(
      "removed 2 image(s), 0 container(s): freed 1.44GB (build cache kept: --keep-cache)\n",
    );
  });
});
