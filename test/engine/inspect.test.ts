import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectImage, inspectImages } from "../../src/docker/inspect-image.js";
import { renderInspect } from "../../src/report/inspect.js";
import type { InspectReport } from "../../src/image/types.js";
import { buildImage, engine, newRunId, removeByLabel, RUN_LABEL, SLIM } from "./helpers/docker.js";

const docker = engine();
const runId = newRunId("inspect");
const labels = { [RUN_LABEL]: runId };
const TEN_MB = 10_000_000;

const images = {
  // a layer writes a 10 MB file, the next deletes it
  writeDelete: `FROM ${SLIM}
RUN head -c ${TEN_MB} /dev/urandom > /big
RUN rm /big
`,
  // byte-identical copies: a 2 MB file three times, a shared library of the base twice
  duplicates: `FROM ${SLIM}
RUN head -c 2000000 /dev/urandom > /opt/a && cp /opt/a /opt/b && mkdir /srv/x && cp /opt/a /srv/x/c \\
 && cp /usr/lib/python3.11/lib-dynload/_ctypes.cpython-311-x86_64-linux-gnu.so /opt/copy.cpython-311-x86_64-linux-gnu.so
`,
  // what `pip install` without --no-cache-dir leaves behind
  pipCache: `FROM ${SLIM}
RUN mkdir -p /root/.cache/pip/http-v2/a/b /root/.cache/pip/wheels \\
 && head -c 3000000 /dev/urandom > /root/.cache/pip/http-v2/a/b/body \\
 && head -c 500000 /dev/urandom > /root/.cache/pip/wheels/w.whl
`,
};

const reports: Partial<Record<keyof typeof images, InspectReport>> = {};
const engineSizes: Partial<Record<keyof typeof images, number>> = {};
const ids: Partial<Record<keyof typeof images, string>> = {};

beforeAll(async () => {
  for (const [name, dockerfile] of Object.entries(images) as [keyof typeof images, string][]) {
    const id = await buildImage(docker, { dockerfile, labels });
    ids[name] = id;
    engineSizes[name] = (await docker.getImage(id).inspect()).Size;
    // gzip sizes cost CPU: compute them for one image only
    reports[name] = await inspectImage(docker, id, { gzip: name === "writeDelete" });
  }
});

afterAll(async () => {
  await removeByLabel(docker, runId);
});

describe("inspectImage on built images", () => {
  it("a 10 MB file written then deleted wastes 10 MB, efficiency as defined", () => {
    const r = reports.writeDelete as InspectReport;
    expect(r.layers).toHaveLength(3);
    expect(r.waste.wastedBytes).toBe(TEN_MB);
    expect(r.waste.hiddenBytes).toBe(TEN_MB);
    // Σ cumulative: each file of each layer once, the big file twice (written, deleted)
    const written = r.totals.visibleBytes + TEN_MB;
    expect(r.waste.cumulativeBytes).toBe(written + TEN_MB);
    expect(r.waste.minimumBytes).toBe(written);
    expect(r.waste.efficiency).toBeCloseTo(written / (written + TEN_MB), 12);
    expect(r.waste.topPaths[0]).toMatchObject({ path: "big", count: 2, wastedBytes: TEN_MB });
    expect(r.layers.map((l) => [l.added, l.changed, l.removed]).slice(1)).toEqual([
      [1, 0, 0],
      [0, 0, 1],
    ]);
    expect(r.layers[2]?.instruction).toBe("RUN rm /big");
    const f = r.findings.find((x) => x.id === "cleanup-in-later-layer");
    expect(f).toMatchObject({ bytes: TEN_MB, layers: [1, 2] });
    // random bytes do not compress: the layer's gzip is a bit over 10 MB
    expect(r.layers[1]?.gzipBytes).toBeGreaterThan(TEN_MB);
    expect(r.layers[1]?.gzipBytes).toBeLessThan(TEN_MB * 1.01);
    expect(r.totals.gzipBytes).toBeGreaterThan(TEN_MB);
  });

  it("finds the duplicate files, the shared library first", () => {
    const r = reports.duplicates as InspectReport;
    const lib = r.duplicates.groups[0];
    expect(lib?.sharedLibrary).toBe(true);
    expect(lib?.paths).toContain("/opt/copy.cpython-311-x86_64-linux-gnu.so");
    expect(lib?.paths).toHaveLength(2);
    const big = r.duplicates.groups.find((g) => g.size === 2_000_000);
    expect(big?.paths).toEqual(["/opt/a", "/opt/b", "/srv/x/c"]);
    expect(big?.savingsBytes).toBe(4_000_000);
    expect(r.findings.find((x) => x.id === "duplicate-files")?.bytes).toBe(
      r.duplicates.savingsBytes,
    );
  });

  it("reports the pip cache left behind, with its bytes", () => {
    const r = reports.pipCache as InspectReport;
    const f = r.findings.find((x) => x.id === "pip-cache");
    expect(f).toMatchObject({ hadolint: "DL3042", bytes: 3_500_000, layers: [1] });
    expect(f?.message).toBe("pip cache in /root/.cache/pip: 3.5MB (2 files, layer 2)");
    expect(r.python.categories.find((c) => c.id === "pip-cache")?.bytes).toBe(3_500_000);
    expect(renderInspect(r, "table")).toContain(
      "pip cache in /root/.cache/pip: 3.5MB (2 files, layer 2) — install with --no-cache-dir",
    );
  });

  it("sums layer sizes to the engine's image size within 1%", () => {
    for (const name of Object.keys(images) as (keyof typeof images)[]) {
      const r = reports[name] as InspectReport;
      const engineSize = engineSizes[name] as number;
      expect(r.image.engineSizeBytes).toBe(engineSize);
      expect(Math.abs(r.totals.sizeBytes - engineSize) / engineSize, name).toBeLessThan(0.01);
    }
  });
});

describe("inspectImages: several images from one save", () => {
  it("gives each image the report a save of it alone gives, to the byte", async () => {
    // Not in the order they were built, and one image twice: each is found by its id.
    const order = ["pipCache", "writeDelete", "duplicates", "pipCache"] as const;
    const batch = await inspectImages(
      docker,
      order.map((n) => ids[n] as string),
      { gzip: false },
    );
    expect(batch).toHaveLength(order.length);
    for (const [i, name] of order.entries()) {
      const alone = await inspectImage(docker, ids[name] as string, { gzip: false });
      expect(batch[i], name).toEqual(alone);
    }
    // the base's layer is in every image, and read once: the same records
    const [a, b] = [batch[1]!, batch[2]!];
    expect(a.layers[0]?.diffId).toBe(b.layers[0]?.diffId);
  });

  it("an image the engine does not have fails the batch with its name", async () => {
    const missing = "sha256:" + "0".repeat(64);
    await expect(
      inspectImages(docker, [ids.writeDelete as string, missing], { gzip: false }),
    ).rejects.toThrow(missing);
  });
});
