import { describe, expect, it } from "vitest";

import { builderChangeNotes } from "../../src/results/builder-change.js";
import { makeRecord, makeRung } from "../fixtures/records.js";

describe("builderChangeNotes", () => {
  it("names the rungs built by another builder than in the baseline", () => {
    const base = makeRecord({ rungs: [makeRung("slim"), makeRung("minimal")] });
    const cur = makeRecord({
      rungs: [makeRung("slim", { builder: "classic" }), makeRung("minimal", { builder: "buildkit" })],
    });
    const notes = builderChangeNotes(base, cur);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^builder changed \(classic → buildkit\) for minimal: /);
  });

  it("says nothing when the builders are the same, or for a rung that did not pass", () => {
    const base = makeRecord({ builder: "buildkit", rungs: [makeRung("slim")] });
    expect(builderChangeNotes(base, makeRecord({ builder: "buildkit", rungs: [makeRung("slim")] }))).toEqual([]);
    const failed = makeRecord({ rungs: [makeRung("slim", { status: "FAILED", builder: "classic" })] });
    expect(builderChangeNotes(base, failed)).toEqual([]);
  });
});
