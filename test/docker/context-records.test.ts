import { describe, expect, it } from "vitest";
import { unpackedContextRecords } from "../../src/docker/context-records.js";
import type { DatedRecord } from "../../src/docker/image-records.js";
import { RUN_MARK } from "../../src/ladder/run-marks.js";

const t0 = Date.parse("2026-12-03T12:36:27Z");
const rec = (id: string, bytes: number, at: number, more: Partial<DatedRecord> = {}) => ({
  id,
  description: "fileop target",
  type: "regular",
  inUse: false,
  shared: false,
  bytes,
  createdAt: t0 + at * 1000,
  ...more,
});

// A `minimal` build of the small set served from 127.0.0.1: its context's files are 54602
// bytes; beside it, records of the same shape from other builds.
const records: DatedRecord[] = [
  rec("ctx", 69120, 0.1, {
    description: `http url http://127.0.0.1:40405/${RUN_MARK}r1/0a1b/context.tar`,
  }),
  rec("unpacked", 54602, 0.2),
  rec("other-size", 54603, 0.2),
  rec("earlier", 54602, -60),
  rec("scratch-copy", 54602, 3, { shared: true }),
  rec("with-parent", 54602, 3, { parent: "ctx" }),
  rec("marked", 54602, 3, { description: `mount / from exec /bin/sh -c x # ${RUN_MARK}r2` }),
];
const build = { from: t0, until: t0 + 7_000, fileBytes: 54602 };

describe("unpackedContextRecords", () => {
  it("takes the parentless, unshared, unnamed copy of exactly the files' bytes made during the build", () => {
    expect(unpackedContextRecords(records, [build]).map((r) => r.id)).toEqual(["unpacked"]);
  });

  it("takes nothing without a served build, or outside its time", () => {
    expect(unpackedContextRecords(records, [])).toEqual([]);
    const later = { ...build, from: t0 + 60_000, until: t0 + 70_000 };
    expect(unpackedContextRecords(records, [later])).toEqual([]);
  });
});
