import { describe, expect, it } from "vitest";

import {
  busyReason,
  coldBuildSamples,
  importSamples,
  mergeRound,
  withBuildRatios,
} from "../../src/results/times.js";
import type { BuildLoad } from "../../src/types.js";
import { makeRung } from "../fixtures/records.js";

describe("timing samples of a rung", () => {
  it("reads an old record's single values as one sample, post steps included", () => {
    const r = makeRung("a", { buildSeconds: 30, postSeconds: 5 });
    r.smoke!.importSeconds = 1.5;
    expect(coldBuildSamples(r)).toEqual([35]);
    expect(importSamples(r)).toEqual([1.5]);
    expect(coldBuildSamples(makeRung("b", { buildSeconds: undefined }))).toEqual([]);
  });

  it("adds each round's post step to that round's build", () => {
    const r = makeRung("a", { buildSeconds: 31, buildSamples: [30, 31, 40], postSamples: [1, 2, 3] });
    expect(coldBuildSamples(r)).toEqual([31, 33, 43]);
  });
});

describe("withBuildRatios", () => {
  const rungs = [
    makeRung("full", { buildSamples: [40, 60, 44], buildSeconds: 44 }),
    makeRung("slim", { buildSamples: [20, 30, 22], buildSeconds: 22 }),
    makeRung("broken", { status: "FAILED", buildSamples: [10] }),
  ];

  it("divides by the reference rung's time in the same round", () => {
    const out = withBuildRatios(rungs, "slim");
    expect(out.reference).toBe("slim");
    // a round twice as slow for both leaves the ratio alone
    expect(out.rungs[0]!.buildRatioSamples).toEqual([2, 2, 2]);
    expect(out.rungs[0]!.buildRatio).toBe(2);
    expect(out.rungs[1]!.buildRatio).toBe(1);
    expect(out.rungs[2]!.buildRatio).toBeUndefined();
  });

  it("leaves the rungs alone when the reference did not pass or is absent", () => {
    expect(withBuildRatios(rungs, "nope")).toEqual({ rungs });
    const failed = rungs.map((r) => (r.rung === "slim" ? { ...r, status: "FAILED" as const } : r));
    expect(withBuildRatios(failed, "slim").reference).toBeUndefined();
  });
});

describe("busyReason", () => {
  const load = (loadBefore: number, concurrentBuilds = 0) => ({
    loadBefore,
    loadAfter: loadBefore,
    cpus: 2,
    concurrentBuilds,
  });

  it("flags overlapping builds of the run and a load above the CPUs before a build", () => {
    expect(busyReason([load(1.2), load(1.9)])).toBeUndefined();
    expect(busyReason([load(0.5, 1)])).toBe("1 other build(s) of this run at the same time");
    expect(busyReason([load(1), load(13.2)])).toBe("load average 13.2 on 2 CPUs before a build");
    expect(busyReason(undefined)).toBeUndefined();
  });

  it("flags a build during which other programs used more than a quarter of the CPUs", () => {
    const cpu = (machineCpu: number, engineCpu: number) => ({ ...load(0.5), machineCpu, engineCpu });
    // the build's own work is inside the engine: 1.9 CPUs busy, 1.7 of them the engine's
    expect(busyReason([cpu(1.9, 1.7)])).toBeUndefined();
    expect(busyReason([cpu(1.9, 0.9), cpu(1.2, 1.0)])).toBe(
      "1.0 of 2 CPUs busy outside the engine during a build",
    );
    // shrinkbench's own work (serving the build its packages) is not competition
    expect(busyReason([{ ...cpu(1.4, 0.86), selfCpu: 0.4 }])).toBeUndefined();
    expect(busyReason([cpu(1.4, 0.86)])).toBe(
      "0.5 of 2 CPUs busy outside the engine during a build",
    );
    // without the engine's share (a remote engine) the machine's alone says nothing
    expect(busyReason([{ ...load(0.5), machineCpu: 2 }])).toBeUndefined();
  });

  it("counts other processes and steal as competition, never the kernel's work for the build", () => {
    const shares = (otherCpu: number, kernelCpu: number, stealCpu = 0) => ({
      ...load(0.5),
      machineCpu: 0.9 + otherCpu + kernelCpu + stealCpu,
      engineCpu: 0.9,
      selfCpu: 0.05,
      kernelCpu,
      stealCpu,
      otherCpu,
    });
    // Half a CPU of writeback and interrupts: the build's own I/O, not flagged (the counters'
    // old reading, machine minus engine minus self, would have flagged it).
    expect(busyReason([shares(0.1, 0.5)])).toBeUndefined();
    expect(
      busyReason([{ ...shares(0.9, 0, 0.02), busiestOthers: [{ name: "sh", cpu: 0.8 }] }]),
    ).toBe("0.9 of 2 CPUs busy with other processes (sh 0.8) during a build");
    expect(busyReason([shares(0.2, 0, 0.4)])).toBe(
      "0.2 of 2 CPUs busy with other processes, 0.4 taken by the hypervisor (steal) during a build",
    );
    // Attributed, but the engine unknown (remote): no judgment on CPU.
    const remote: BuildLoad = { ...shares(1.5, 0) };
    delete remote.engineCpu;
    expect(busyReason([remote])).toBeUndefined();
  });
});

describe("mergeRound", () => {
  const first = makeRung("slim", { buildSeconds: 30, postSeconds: 2 });
  first.smoke!.importSeconds = 1.2;
  const next = (build: number, imp: number, over = {}) => {
    const r = makeRung("slim", { buildSeconds: build, postSeconds: 3, ...over });
    r.smoke!.importSeconds = imp;
    return r;
  };

  it("keeps every sample and the medians as headline values", () => {
    const two = mergeRound(first, next(40, 1.4), 2);
    const three = mergeRound(two, next(34, 1.3), 3);
    expect(three.buildSamples).toEqual([30, 40, 34]);
    expect(three.buildSeconds).toBe(34);
    expect(three.postSamples).toEqual([2, 3, 3]);
    expect(three.smoke!.importSamples).toEqual([1.2, 1.4, 1.3]);
    expect(three.smoke!.importSeconds).toBe(1.3);
    expect(coldBuildSamples(three)).toEqual([32, 43, 37]);
  });

  it("fails a rung that fails a later round, and ignores a round that never ran", () => {
    const failed = mergeRound(first, next(1, 1, { status: "FAILED", reason: "smoke test failed" }), 2);
    expect(failed.status).toBe("FAILED");
    expect(failed.reason).toBe("round 2: smoke test failed");
    expect(mergeRound(first, next(1, 1, { status: "SKIPPED" }), 2)).toBe(first);
  });

  it("flags the rung busy when a round was", () => {
    const busy = next(50, 1.2, {
      buildLoad: [{ loadBefore: 5, loadAfter: 5, cpus: 2, concurrentBuilds: 0 }],
    });
    expect(mergeRound(first, busy, 2).busy).toMatch(/load average 5\.0 on 2 CPUs/);
  });
});
