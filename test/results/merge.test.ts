// Merging run records on plain data: shards of one split become one record; records that do not
// belong together are refused naming the difference; missing and duplicated shards are caught.
import { describe, expect, it } from "vitest";
import { checkMergeable, type RecordInput } from "../../src/results/merge-checks.js";
import { mergeRecords } from "../../src/results/merge.js";
import { parseRunRecord } from "../../src/results/record.js";
import type { RunRecord, ShardInfo } from "../../src/types.js";
import { makeRecord, makeRung, MB } from "../fixtures/records.js";

const SPLIT = [["full", "multi"], ["slim"], ["tiny"]];
const LADDER = ["full", "slim", "multi", "tiny"];

const sizes: Record<string, number> = { full: 1_200, slim: 480, multi: 200, tiny: 150 };

function shard(k: number, over: Partial<RunRecord> = {}, info: Partial<ShardInfo> = {}) {
  const rungs = SPLIT[k - 1]!;
  const record = makeRecord({
    runId: `run-${k}`,
    startedAt: `2024-03-05T07:0${k}:00.000Z`,
    finishedAt: `2024-03-05T07:1${k}:00.000Z`,
    rungs: rungs.map((id) =>
      makeRung(id, {
        base: id === "full" ? "full" : "slim",
        size: sizes[id]! * MB,
        buildSeconds: 10 * k,
        logFile: `shard-${k}/logs/${id}.log`,
      }),
    ),
    engine: { host: `tcp://runner-${k}:2375`, version: "27", apiVersion: "1.47", os: "linux", arch: "amd64" },
    notes: [`shard ${k}/3: ${rungs.join(", ")} of the ladder's 4 rungs`, "index reachable"],
    shard: {
      index: k,
      count: 3,
      ladderRungs: LADDER,
      ladderHash: "sha256:abc",
      rungs,
      split: SPLIT,
      weights: "estimate",
      caveats: { tiny: "no shell" },
      ...info,
    },
    ...over,
  });
  return { file: `shard-${k}.json`, record } satisfies RecordInput;
}

const all = () => [shard(1), shard(2), shard(3)];

describe("mergeRecords", () => {
  it("makes one record of the shards: every rung in ladder order, one recommendation", () => {
    const { record, warnings } = mergeRecords([shard(3), shard(1), shard(2)], { runId: "merged" });
    expect(warnings).toEqual([]);
    expect(record.rungs.map((r) => r.rung)).toEqual(LADDER);
    expect(record.runId).toBe("merged");
    expect(record.shard).toBeUndefined();
    expect(record.startedAt).toBe("2024-03-05T07:01:00.000Z");
    expect(record.finishedAt).toBe("2024-03-05T07:13:00.000Z");
    expect(record.recommendation?.smallest).toBe("tiny");
    // tiny has a caveat (carried by the shards): the recommendation prefers a rung without one.
    expect(record.recommendation?.recommended).toBe("multi");
    expect(record.recommendation?.notes).toContain("tiny: no shell");
    expect(record.engines?.map((e) => e.host)).toEqual([
      "tcp://runner-3:2375",
      "tcp://runner-1:2375",
      "tcp://runner-2:2375",
    ]);
    expect(record.mergedFrom?.map((m) => m.shard)).toEqual(["3/3", "1/3", "2/3"]);
    // Each shard's own "shard K/N" note goes; other notes stay, once.
    expect(record.notes?.filter((n) => /^shard \d\/3:/.test(n))).toEqual([]);
    expect(record.notes?.filter((n) => n === "index reachable")).toHaveLength(1);
    expect(record.notes?.[0]).toMatch(/^merged from 3 of 3 shards/);
    // The merged record is a valid run record.
    expect(() => parseRunRecord(JSON.stringify(record), "merged.json")).not.toThrow();
  });

  it("works the build-time ratios out again against the reference rung of another shard", () => {
    const { record } = mergeRecords(all(), { runId: "m" });
    expect(record.referenceRung).toBe("slim");
    // slim was built in 20 s (shard 2), full in 10 s (shard 1).
    expect(record.rungs.find((r) => r.rung === "full")?.buildRatio).toBeCloseTo(0.5);
    expect(record.notes?.join("\n")).toMatch(/ratios compare rungs built by different runs/);
  });

  it("sums the package servers' counts and keeps the largest peak memory", () => {
    const server = { upstreamRequests: 1, downloads: 2, cacheHits: 3 };
    const { record } = mergeRecords(
      [
        shard(1, { packageServer: server, maxRssBytes: 5 }),
        shard(2, { packageServer: server, maxRssBytes: 9 }),
        shard(3),
      ],
      { runId: "m" },
    );
    expect(record.packageServer).toEqual({ upstreamRequests: 2, downloads: 4, cacheHits: 6 });
    expect(record.maxRssBytes).toBe(9);
  });

  it("keeps every base image the shards resolved", () => {
    const image = (ref: string, id: string) => ({ ref, id, sizeBytes: 1 });
    const { record } = mergeRecords(
      [
        shard(1, { baseImages: { full: image("shrinkbench/python:3.11-full", "sha256:f") } }),
        shard(2, { baseImages: { slim: image("shrinkbench/python:3.11-slim", "sha256:s") } }),
        shard(3),
      ],
      { runId: "m" },
    );
    expect(Object.keys(record.baseImages ?? {}).sort()).toEqual(["full", "slim"]);
  });

  it("is interrupted when a shard was", () => {
    const { record } = mergeRecords([shard(1, { interrupted: true }), shard(2), shard(3)], {
      runId: "m",
    });
    expect(record.interrupted).toBe(true);
  });
});

describe("refusals", () => {
  const refused = (inputs: RecordInput[], opts = {}) => {
    try {
      checkMergeable(inputs, opts);
    } catch (e) {
      expect((e as { exitCode: number }).exitCode).toBe(2);
      return (e as Error).message;
    }
    throw new Error("merge was not refused");
  };

  it("different requirement sets", () => {
    const other = shard(2);
    other.record.requirements = { ...other.record.requirements, hash: "sha256:2222", file: "b.txt" };
    expect(refused([shard(1), other, shard(3)])).toMatch(
      /requirement sets differ: shard-1\.json has sha256:1111.*\(requirements\.txt\), shard-2\.json has sha256:2222.*\(b\.txt\)/,
    );
  });

  it("different ladders, by name or by how their rungs build", () => {
    expect(
      refused([shard(1), shard(2, { ladder: { name: "talk-2020", file: "x" } }), shard(3)]),
    ).toMatch(/ladders differ: shard-1\.json has modern, shard-2\.json has talk-2020/);
    expect(refused([shard(1), shard(2, {}, { ladderHash: "sha256:def" }), shard(3)])).toMatch(
      /ladders \(how their rungs build\) differ/,
    );
  });

  it("different builders and rounds", () => {
    expect(refused([shard(1, { builder: "buildkit" }), shard(2, { builder: "classic" })])).toMatch(
      /builders differ: shard-1\.json has buildkit, shard-2\.json has classic/,
    );
    expect(refused([shard(1), shard(2, { repeat: 3 })])).toMatch(/rounds \(--repeat\) differ/);
    expect(refused([shard(1), shard(2, { sizesOnly: true })])).toMatch(
      /modes differ: shard-1\.json has timed builds, shard-2\.json has --sizes-only/,
    );
  });

  it("different base images: by tag, and by digest when both records have one", () => {
    const moved = shard(2);
    moved.record.bases = { ...moved.record.bases, slim: "python:3.12-slim" };
    expect(refused([shard(1), moved])).toMatch(
      /base images \(slim\) differ: shard-1\.json has shrinkbench\/python:3\.11-slim, shard-2\.json has python:3\.12-slim/,
    );
    const digest = (id: string) =>
      ({ slim: { ref: "shrinkbench/python:3.11-slim", id, sizeBytes: 1 } }) as const;
    const a = shard(1, { baseImages: digest("sha256:aaa") });
    const b = shard(2, { baseImages: digest("sha256:bbb") });
    expect(refused([a, b])).toMatch(
      /base image digests \(slim, shrinkbench\/python:3\.11-slim\) differ: shard-1\.json has sha256:aaa, shard-2\.json has sha256:bbb/,
    );
    // One record from before base digests: the tags are compared, and they agree.
    expect(() => checkMergeable([a, shard(2), shard(3)])).not.toThrow();
  });

  it("a shard given twice, and a rung in two records", () => {
    const again = { ...shard(2), file: "again.json" };
    expect(refused([shard(1), shard(2), again, shard(3)])).toMatch(
      /shard 2\/3 given twice: shard-2\.json and again\.json/,
    );
    const a = { file: "a.json", record: makeRecord() };
    const b = { file: "b.json", record: makeRecord() };
    expect(refused([a, b])).toMatch(/rung full is in both a\.json and b\.json/);
  });

  it("shards with whole runs, different shard counts, different splits", () => {
    expect(refused([shard(1), { file: "whole.json", record: makeRecord() }])).toMatch(
      /shards with whole runs: whole\.json was not run with --shard/,
    );
    expect(refused([shard(1), shard(2, {}, { count: 4, split: [...SPLIT, []] })])).toMatch(
      /shard counts differ: shard-1\.json has shard 1\/3, shard-2\.json has shard 2\/4/,
    );
    expect(
      refused([shard(1), shard(2, {}, { split: [["full"], ["slim", "multi"], ["tiny"]] })]),
    ).toMatch(/split the ladder differently/);
  });

  it("a malformed shard field", () => {
    expect(refused([shard(1, {}, { index: 0 })])).toMatch(/shard-1\.json: shard: expected/);
  });
});

describe("missing shards", () => {
  it("are refused by default, naming the shard and its rungs", () => {
    expect(() => checkMergeable([shard(1), shard(3)])).toThrow(
      /ladder is incomplete: shard 2\/3 is missing \(its rungs: slim\)/,
    );
  });

  it("a shard record without some of its rungs (interrupted) is incomplete too", () => {
    const cut = shard(1);
    cut.record.rungs = cut.record.rungs.slice(0, 1);
    expect(() => checkMergeable([cut, shard(2), shard(3)])).toThrow(
      /shard 1\/3 has no result for multi/,
    );
  });

  it("with --allow-partial: merged, the absent rungs named in a warning and the record", () => {
    const { record, warnings } = mergeRecords([shard(1), shard(3)], {
      runId: "m",
      allowPartial: true,
    });
    expect(record.rungs.map((r) => r.rung)).toEqual(["full", "multi", "tiny"]);
    expect(warnings).toEqual([
      "shard 2/3 is missing (its rungs: slim): it is not in this record",
    ]);
    expect(record.notes).toContain(warnings[0]);
    expect(record.notes?.[0]).toMatch(/merged from 2 of 3 shards/);
  });
});

describe("whole runs (no --shard)", () => {
  it("merge when their rungs are different and their setup the same", () => {
    const a = makeRecord({ rungs: [makeRung("slim")] });
    const b = makeRecord({ runId: "other", rungs: [makeRung("full", { base: "full" })] });
    const { record } = mergeRecords(
      [
        { file: "a.json", record: a },
        { file: "b.json", record: b },
      ],
      { runId: "m", caveats: { full: "big" } },
    );
    expect(record.rungs.map((r) => r.rung)).toEqual(["slim", "full"]);
    expect(record.recommendation?.notes).toEqual(["full: big"]);
    expect(record.notes?.[0]).toMatch(/^merged from 2 records: a\.json \(slim\); b\.json \(full\)/);
  });
});
