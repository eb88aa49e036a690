// Shard assignment on plain data: every rung in exactly one shard, the same split for the same
// input, balanced by weight, and N=1 the whole ladder in order.
import { describe, expect, it } from "vitest";
import { loadLadder } from "../../src/ladder/assets.js";
import { prepareRun } from "../../src/commands/run.js";
import {
  assignShards,
  estimateWeight,
  ladderHash,
  parseShardSpec,
  planShard,
  rungWeights,
  shardInfo,
} from "../../src/run/shard.js";
import type { Rung } from "../../src/types.js";
import { makeRecord, makeRung } from "../fixtures/records.js";
import { offlineRunOptions } from "../fixtures/run-options.js";

const rung = (id: string, over: Partial<Rung> = {}): Rung => ({
  id,
  title: id,
  description: id,
  base: "slim",
  template: "single-stage.Dockerfile",
  args: {},
  context: "requirements",
  post: [],
  ...over,
});

const weighted = (...ws: number[]) => ws.map((weight, i) => ({ id: `r${i}`, weight }));

const load = (shards: string[][], ws: Map<string, number>) =>
  shards.map((s) => s.reduce((sum, id) => sum + ws.get(id)!, 0));

describe("parseShardSpec", () => {
  it("reads K/N", () => {
    expect(parseShardSpec("2/4")).toEqual({ index: 2, count: 4 });
    expect(parseShardSpec(" 1 / 1 ")).toEqual({ index: 1, count: 1 });
  });

  it.each([
    ["2", /expected K\/N/],
    ["a/b", /expected K\/N/],
    ["-1/2", /expected K\/N/],
    ["1.5/2", /expected K\/N/],
    ["0/2", /between 1 and 2/],
    ["3/2", /between 1 and 2/],
    ["1/0", /N must be at least 1/],
  ])("refuses %s", (text, message) => {
    expect(() => parseShardSpec(text)).toThrow(message);
    try {
      parseShardSpec(text);
    } catch (e) {
      expect((e as { exitCode: number }).exitCode).toBe(2);
      expect((e as { hint: string }).hint).toMatch(/CI_NODE_INDEX/);
    }
  });

  it("refuses more shards than rungs", () => {
    expect(() => parseShardSpec("1/3", 2)).toThrow(/3 shards for 2 rungs.*build nothing/);
    expect(parseShardSpec("2/2", 2)).toEqual({ index: 2, count: 2 });
  });
});

describe("assignShards", () => {
  it("puts every rung in exactly one shard", () => {
    const rungs = weighted(5, 1, 3, 3, 2, 8, 1, 1, 4);
    for (const n of [1, 2, 3, 4, 9]) {
      const shards = assignShards(rungs, n);
      expect(shards).toHaveLength(n);
      expect(shards.flat().sort()).toEqual(rungs.map((r) => r.id).sort());
    }
  });

  it("with one shard is the whole ladder in ladder order", () => {
    const rungs = weighted(1, 9, 2, 7);
    expect(assignShards(rungs, 1)).toEqual([["r0", "r1", "r2", "r3"]]);
  });

  it("lists each shard's rungs in ladder order", () => {
    for (const s of assignShards(weighted(1, 9, 2, 7, 3, 3), 2)) {
      expect(s).toEqual([...s].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))));
    }
  });

  it("gives the same split for the same input, whatever the order of calls", () => {
    const rungs = weighted(2, 2, 2, 2, 1, 1, 3);
    const a = assignShards(rungs, 3);
    assignShards(weighted(9, 9), 2);
    expect(assignShards(rungs, 3)).toEqual(a);
    // Equal weights: ties go to the lowest shard, rungs in ladder order.
    expect(assignShards(weighted(1, 1, 1, 1), 2)).toEqual([
      ["r0", "r2"],
      ["r1", "r3"],
    ]);
  });

  it("balances by weight: one heavy rung against many light ones", () => {
    const rungs = weighted(6, 1, 1, 1, 1, 1, 1);
    const shards = assignShards(rungs, 2);
    expect(shards[0]).toEqual(["r0"]);
    expect(shards[1]).toHaveLength(6);
  });

  it("keeps the longest shard near the best split", () => {
    const rungs = weighted(7, 5, 4, 4, 3, 3, 2, 2, 1, 1);
    const ws = new Map(rungs.map((r) => [r.id, r.weight]));
    const total = rungs.reduce((s, r) => s + r.weight, 0);
    for (const n of [2, 3, 4]) {
      const loads = load(assignShards(rungs, n), ws);
      const best = Math.max(total / n, 7);
      expect(Math.max(...loads)).toBeLessThanOrEqual((best * 4) / 3);
      // A naive split by position (first half, second half) would put 23 of 32 in shard 1.
    }
    expect(load(assignShards(rungs, 2), ws)).toEqual([16, 16]);
  });
});

describe("weights", () => {
  it("estimates a multi-stage, a FROM-scratch and a squashed rung above a single stage", () => {
    const single = estimateWeight(rung("a"));
    expect(estimateWeight(rung("b", { builder: "full" }))).toBeGreaterThan(single);
    expect(estimateWeight(rung("c", { builder: "full", scratch: true }))).toBeGreaterThan(
      estimateWeight(rung("b", { builder: "full" })),
    );
    expect(estimateWeight(rung("d", { post: ["squash"] }))).toBeGreaterThan(single);
  });

  it("takes a previous record's cold build times, scaling estimates for rungs it lacks", () => {
    const rungs = [rung("a"), rung("b"), rung("c", { builder: "full" })];
    const previous = makeRecord({
      rungs: [
        makeRung("a", { buildSeconds: 40 }),
        makeRung("b", { buildSeconds: 20, postSeconds: 40 }),
        makeRung("gone", { buildSeconds: 999 }),
      ],
    });
    const w = rungWeights(rungs, previous);
    expect(w.map((x) => x.id)).toEqual(["a", "b", "c"]);
    expect(w[0]!.weight).toBe(40);
    expect(w[1]!.weight).toBe(60); // build + squash
    // Estimates 1 and 1 stood for 100 s: the multi-stage estimate 1.25 is 62.5 s.
    expect(w[2]!.weight).toBeCloseTo(62.5);
  });

  it("ignores FAILED rungs of the previous record", () => {
    const previous = makeRecord({ rungs: [makeRung("a", { status: "FAILED", buildSeconds: 1 })] });
    expect(rungWeights([rung("a")], previous)[0]!.weight).toBe(1);
  });
});

describe("planShard on the modern ladder", () => {
  it("splits it so every rung is built once, and the record says which shard it is", async () => {
    const modern = await loadLadder("modern");
    const plans = [1, 2, 3].map((k) => planShard(modern, { index: k, count: 3 }));
    const ids = plans.flatMap((p) => p.ladder.rungs.map((r) => r.id));
    expect(ids.sort()).toEqual(modern.rungs.map((r) => r.id).sort());
    const info = shardInfo(plans[1]!, modern);
    expect(info).toMatchObject({ index: 2, count: 3, weights: "estimate" });
    expect(info.ladderRungs).toEqual(modern.rungs.map((r) => r.id));
    expect(info.rungs).toEqual(plans[1]!.ladder.rungs.map((r) => r.id));
    expect(info.split).toEqual(plans[0]!.shards);
    expect(info.caveats?.traced).toMatch(/smoke test/);
    // Estimates put the rungs' shapes in balance: no shard has more than one rung extra.
    const sizes = plans.map((p) => p.ladder.rungs.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it("hashes how rungs build, not how they are described", async () => {
    const modern = await loadLadder("modern");
    const retitled = { ...modern, rungs: modern.rungs.map((r) => ({ ...r, title: "x" })) };
    expect(ladderHash(retitled)).toBe(ladderHash(modern));
    const changed = {
      ...modern,
      rungs: modern.rungs.map((r, i) => (i === 1 ? { ...r, args: { NO_CACHE: "1" } } : r)),
    };
    expect(ladderHash(changed)).not.toBe(ladderHash(modern));
  });
});

describe("run --shard before the engine", () => {
  it("keeps only the shard's rungs and says so in the plan", async () => {
    const p = await prepareRun(offlineRunOptions({ rungs: ["slim", "full"], shard: "2/2" }));
    expect(p.ladder.rungs).toHaveLength(1);
    expect(p.shard).toMatchObject({ index: 2, count: 2, ladderRungs: ["full", "slim"] });
  });

  it("refuses bad K/N and --shard-weights alone with exit 2", async () => {
    await expect(prepareRun(offlineRunOptions({ shard: "3/2" }))).rejects.toThrow(
      /between 1 and 2/,
    );
    await expect(prepareRun(offlineRunOptions({ rungs: ["slim"], shard: "1/2" }))).rejects.toThrow(
      /2 shards for 1 rung/,
    );
    await expect(prepareRun(offlineRunOptions({ shardWeights: "x.json" }))).rejects.toThrow(
      /--shard-weights needs --shard/,
    );
  });

  it("checks --reference-rung against the whole ladder, not the shard", async () => {
    const p = await prepareRun(
      offlineRunOptions({ rungs: ["slim", "full"], shard: "1/2", referenceRung: "slim" }),
    );
    expect(p.shard!.ladderRungs).toContain("slim");
  });
});
