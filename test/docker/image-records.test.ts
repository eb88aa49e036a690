import { describe, expect, it } from "vitest";
import {
  heldByCache,
  imageRecords,
  type DatedRecord,
  type HistoryEntry,
} from "../../src/docker/image-records.js";
import { RUN_MARK } from "../../src/ladder/run-marks.js";

const t0 = Date.parse("2026-12-03T12:18:51Z");
const rec = (
  id: string,
  bytes: number,
  at: number,
  more: Partial<DatedRecord> = {},
): DatedRecord => ({
  id,
  description: "fileop target",
  type: "regular",
  inUse: false,
  shared: true,
  bytes,
  createdAt: t0 + at * 1000,
  ...more,
});

// The shape /system/df gave while a `minimal` image existed (ids shortened): its builder stages'
// marked RUNs, the FROM scratch stage's COPY (no parent) with the WORKDIR and COPY app/ on it,
// beside other builds' records.
const records: DatedRecord[] = [
  rec("base", 0, -3600, { description: "from local ", shared: false }),
  rec("pip", 1_264_301, 6, {
    parent: "base",
    description: `mount / from exec /bin/sh -c sh install.sh # ${RUN_MARK}r1`,
    shared: false,
  }),
  rec("copy", 34_727_952, 13),
  rec("workdir", 0, 13, { parent: "copy" }),
  rec("app", 0, 13, { parent: "workdir" }),
  // Someone else's image, built at the same time, layers of other sizes.
  rec("theirs", 5_000_000, 12),
  // A record of exactly the same size, but made an hour before.
  rec("old", 34_727_952, -3600),
  // Same size, same time, but not backing any image.
  rec("unshared", 34_727_952, 13, { shared: false }),
  // Another run's marked record of the same size.
  rec("other-run", 34_727_952, 13, {
    parent: "base",
    description: `mount / from exec /bin/sh -c x # ${RUN_MARK}r2`,
  }),
];
const history: HistoryEntry[] = [
  { created: (t0 + 14_000) / 1000, size: 0, comment: "buildkit.dockerfile.v0" }, // COPY app/
  { created: (t0 + 14_000) / 1000, size: 0, comment: "buildkit.dockerfile.v0" }, // WORKDIR
  { created: (t0 + 13_000) / 1000, size: 34_727_952, comment: "buildkit.dockerfile.v0" },
];
const imageCreated = t0 + 14_500;

describe("imageRecords", () => {
  it("takes the shared, unnamed record of a layer's size made during the build, and what is built on it", () => {
    expect(imageRecords(records, history, imageCreated).map((r) => r.id)).toEqual([
      "copy",
      "workdir",
      "app",
    ]);
  });

  it("takes nothing for an image the classic builder made, or with no layer bytes", () => {
    const classic = history.map((h) => ({ ...h, comment: "" }));
    expect(imageRecords(records, classic, imageCreated)).toEqual([]);
    const empty = history.map((h) => ({ ...h, size: 0 }));
    expect(imageRecords(records, empty, imageCreated)).toEqual([]);
  });

  it("takes nothing made before the build's first step or after the image", () => {
    const later = history.map((h) => ({ ...h, created: h.created + 60 }));
    expect(imageRecords(records, later, imageCreated + 60_000)).toEqual([]);
  });
});

describe("heldByCache", () => {
  it("counts what the removed images' layers still hold in the cache", () => {
    const before = records;
    // The image went; its records stayed (kept, or named by no run): 34.7 MB held, not freed.
    const ours = new Set(["pip", "copy", "workdir", "app"]);
    const after = records.map((r) => ({ ...r, shared: false }));
    // Other records stopped backing images too (someone removed theirs): not counted.
    expect(heldByCache(before, after, ours)).toEqual({ records: 3, bytes: 34_727_952 });
    // Pruned as well: nothing held.
    const pruned = after.filter((r) => !["copy", "workdir", "app"].includes(r.id));
    expect(heldByCache(before, pruned, ours)).toEqual({ records: 0, bytes: 0 });
  });
});
