/* eslint-disable no-control-regex -- these tests look for escape codes on purpose */
import { describe, expect, it } from "vitest";
import {
  createProgress,
  initialProgress,
  overall,
  parseBuildStep,
  reduceProgress,
  renderBlock,
  type ProgressEvent,
  type ProgressOptions,
} from "../../src/run/progress.js";

const T0 = Date.UTC(2026, 10, 2, 12, 0, 0);
const ESC = /\x1b\[/;
const COLOUR = /\x1b\[[0-9;]*m/;

/** A small run: a builds in 60 s and passes, b fails its smoke test after 30 s, c is skipped. */
function run(): ProgressEvent[] {
  const s = (sec: number) => T0 + sec * 1000;
  return [
    { type: "run-start", rungs: [{ id: "a" }, { id: "b" }, { id: "c" }], at: s(0) },
    { type: "rung-state", rung: "a", state: "building", at: s(0) },
    { type: "log", rung: "a", line: "Step 1/3 : FROM slim" },
    { type: "log", rung: "a", line: " ---> 1234" },
    { type: "log", rung: "a", line: "Step 2/3 : RUN pip install -r requirements.txt" },
    { type: "rung-state", rung: "a", state: "building", step: 3, steps: 3, at: s(40) },
    { type: "rung-state", rung: "a", state: "smoke", at: s(50) },
    { type: "rung-state", rung: "a", state: "PASS", at: s(60) },
    { type: "rung-state", rung: "b", state: "building", at: s(60) },
    { type: "rung-state", rung: "b", state: "squashing", at: s(80) },
    { type: "rung-state", rung: "b", state: "smoke", at: s(85) },
    {
      type: "rung-state",
      rung: "b",
      state: "FAILED",
      reason: "smoke test: No module named 'numpy'",
      at: s(90),
    },
    {
      type: "rung-state",
      rung: "c",
      state: "SKIPPED",
      reason: "base image unavailable",
      at: s(90),
    },
    { type: "run-end", at: s(91) },
  ];
}

function harness(opts: Partial<ProgressOptions>) {
  let out = "";
  let clock = T0;
  const chunks: string[] = [];
  const p = createProgress({
    isTTY: false,
    env: {},
    write: (s) => {
      out += s;
      chunks.push(s);
    },
    now: () => clock,
    ...opts,
  });
  const feed = (events: ProgressEvent[]) => {
    for (const e of events) {
      if ("at" in e && e.at !== undefined) clock = e.at;
      p.handle(e);
    }
  };
  return { p, feed, out: () => out, chunks, setClock: (t: number) => (clock = t) };
}

describe("parseBuildStep", () => {
  it("reads classic-builder step lines", () => {
    expect(parseBuildStep("Step 3/7 : RUN pip install numpy")).toEqual({ step: 3, steps: 7 });
    expect(parseBuildStep('Step 12/12 : CMD ["python"]')).toEqual({ step: 12, steps: 12 });
    expect(parseBuildStep("  Step 1 / 2 : FROM x")).toEqual({ step: 1, steps: 2 });
  });
  it("ignores everything else", () => {
    expect(parseBuildStep(" ---> Running in 3f2a")).toBeUndefined();
    expect(parseBuildStep("Collecting numpy (Step 3/7 : not at the start)")).toBeUndefined();
    expect(parseBuildStep("#5 [2/4] RUN pip install")).toBeUndefined();
    expect(parseBuildStep("Step 3/0 : RUN x")).toBeUndefined();
    expect(parseBuildStep("")).toBeUndefined();
  });
});

describe("reduceProgress", () => {
  it("follows a rung through its states and picks up steps from the log", () => {
    const states: string[] = [];
    let st = initialProgress();
    for (const e of run()) {
      st = reduceProgress(st, e);
      const a = st.rungs.find((r) => r.id === "a");
      if (a) states.push(`${a.phase}${a.step ? ` ${a.step}/${a.steps}` : ""}`);
    }
    expect(states.filter((s, i) => s !== states[i - 1])).toEqual([
      "queued",
      "building",
      "building 1/3",
      "building 2/3",
      "building 3/3",
      "smoke",
      "PASS",
    ]);
    expect(st.rungs.map((r) => r.phase)).toEqual(["PASS", "FAILED", "SKIPPED"]);
    expect(st.rungs[1]!.reason).toBe("smoke test: No module named 'numpy'");
  });

  it("does not mutate the previous state", () => {
    const s0 = reduceProgress(initialProgress(), run()[0]!);
    const frozen = JSON.stringify(s0);
    reduceProgress(s0, { type: "rung-state", rung: "a", state: "building", at: T0 });
    expect(JSON.stringify(s0)).toBe(frozen);
  });

  it("ignores step lines of rungs that are not building", () => {
    let st = reduceProgress(initialProgress(), run()[0]!);
    st = reduceProgress(st, { type: "rung-state", rung: "a", state: "smoke", at: T0 });
    const after = reduceProgress(st, { type: "log", rung: "a", line: "Step 1/2 : FROM x" });
    expect(after).toBe(st);
  });

  it("adds rungs it was not told about, at the end", () => {
    const s0 = reduceProgress(initialProgress(), run()[0]!);
    const st = reduceProgress(s0, { type: "rung-state", rung: "extra", state: "building", at: T0 });
    expect(st.rungs.map((r) => r.id)).toEqual(["a", "b", "c", "extra"]);
  });
});

describe("overall and the estimate", () => {
  it("has no estimate until a rung has finished, then mean × remaining", () => {
    const events = run();
    let st = initialProgress();
    const estimates: (number | undefined)[] = [];
    for (const e of events) {
      st = reduceProgress(st, e);
      estimates.push(overall(st, "at" in e && e.at !== undefined ? e.at : T0).estimateSeconds);
    }
    const passAt = events.findIndex((e) => e.type === "rung-state" && e.state === "PASS");
    expect(estimates.slice(0, passAt).every((x) => x === undefined)).toBe(true);
    // a took 60 s (from building to PASS); b and c remain.
    expect(estimates[passAt]).toBe(120);
    const failAt = events.findIndex((e) => e.type === "rung-state" && e.state === "FAILED");
    // mean of 60 and 30 = 45, one left.
    expect(estimates[failAt]).toBe(45);
    // c was skipped from the queue: it counts as done but not in the mean.
    const o = overall(st, T0 + 91_000);
    expect(o).toMatchObject({ total: 3, done: 3, passed: 1, failed: 1, skipped: 1 });
    expect(o.estimateSeconds).toBe(0);
    expect(o.elapsedSeconds).toBe(91);
  });
});

describe("plain renderer (not a TTY)", () => {
  it("writes one timestamped line per state change and no escape codes", () => {
    const h = harness({ isTTY: false });
    h.feed(run());
    const lines = h.out().trimEnd().split("\n");
    expect(h.out()).not.toMatch(ESC);
    for (const l of lines) expect(l).toMatch(/^\d\d:\d\d:\d\dZ /);
    expect(lines.map((l) => l.slice(10))).toEqual([
      "ladder of 3 rungs",
      "a: building",
      "a: building step 1/3",
      "a: building step 2/3",
      "a: building step 3/3",
      "a: smoke test",
      "a: PASS in 1m00s (1/3 done · 1m00s elapsed · about 2m00s left)",
      "b: building",
      "b: squashing",
      "b: smoke test",
      "b: FAILED: smoke test: No module named 'numpy' in 30s (2/3 done · 1m30s elapsed · about 45s left)",
      "c: SKIPPED: base image unavailable (3/3 done · 1m30s elapsed)",
      "finished in 1m31s: 3/3 rungs, 1 PASS, 1 FAILED, 1 SKIPPED",
    ]);
    expect(lines[0]).toBe("12:00:00Z ladder of 3 rungs");
  });

  it("never shows an estimate before the first rung finishes", () => {
    const h = harness({ isTTY: false });
    const events = run();
    const passAt = events.findIndex((e) => e.type === "rung-state" && e.state === "PASS");
    h.feed(events.slice(0, passAt));
    expect(h.out()).not.toMatch(/left/);
    h.feed(events.slice(passAt, passAt + 1));
    expect(h.out()).toMatch(/about 2m00s left/);
  });

  it("strips escape codes that arrive in rung ids or reasons", () => {
    const h = harness({ isTTY: false });
    h.feed([
      { type: "run-start", rungs: [{ id: "x\x1b[31m" }], at: T0 },
      { type: "rung-state", rung: "x\x1b[31m", state: "FAILED", reason: "\x1b[2Jboom", at: T0 },
    ]);
    expect(h.out()).not.toMatch(/\x1b/);
    expect(h.out()).toMatch(/x: FAILED: boom/);
  });

  it("does not stream build output unless verbose", () => {
    const h = harness({ isTTY: false });
    h.feed(run());
    expect(h.out()).not.toMatch(/pip install/);
  });
});

describe("verbose renderer", () => {
  it("is plain plus every output line prefixed with its rung id, even on a TTY", () => {
    const h = harness({ isTTY: true, verbose: true });
    h.feed(run());
    expect(h.out()).not.toMatch(ESC);
    expect(h.out()).toContain("[a] Step 2/3 : RUN pip install -r requirements.txt\n");
    expect(h.out()).toContain("[a]  ---> 1234\n");
    expect(h.out()).toMatch(/^\d\d:\d\d:\d\dZ a: building step 2\/3$/m);
    expect(h.out()).toMatch(/finished in 1m31s/);
  });
});

describe("quiet renderer", () => {
  it("prints nothing at all, but still keeps the state", () => {
    const h = harness({ isTTY: true, quiet: true, verbose: true });
    h.feed(run());
    h.p.tick();
    expect(h.out()).toBe("");
    expect(h.p.state.rungs.map((r) => r.phase)).toEqual(["PASS", "FAILED", "SKIPPED"]);
  });
});

describe("TTY renderer", () => {
  it("redraws the block in place with cursor-up and clear-line", () => {
    const h = harness({ isTTY: true, env: {} });
    const events = run();
    h.feed(events.slice(0, 1));
    // First draw: 3 rungs + the overall line, no cursor movement yet.
    expect(h.chunks[0]).not.toMatch(/\x1b\[\d+A/);
    expect(h.chunks[0]!.split("\n").length - 1).toBe(4);
    h.feed(events.slice(1, 2));
    expect(h.chunks[1]!.startsWith("\x1b[4A")).toBe(true);
    expect(h.chunks[1]).toContain("\x1b[2K");
  });

  it("shows each state in turn and colours it", () => {
    const h = harness({ isTTY: true, env: {} });
    const seen: string[] = [];
    for (const e of run()) {
      h.feed([e]);
      const last = h.chunks[h.chunks.length - 1]!;
      // Without the escape codes, the first line of the block is rung a.
      const plain = last.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/\r/g, "");
      const a = plain.split("\n").find((l) => / a +/.test(l.slice(0, 6)));
      if (a) seen.push(a.replace(/\s+/g, " ").trim());
    }
    const distinct = seen.filter((s, i) => s !== seen[i - 1]);
    expect(distinct).toEqual([
      "a queued",
      "› a building 0s",
      "› a building step 1/3 0s",
      "› a building step 2/3 0s",
      "› a building step 3/3 40s",
      "› a smoke test 50s",
      "✓ a PASS 1m00s",
    ]);
    expect(h.out()).toMatch(COLOUR);
    expect(h.out()).toContain("\x1b[32m"); // PASS in green
    expect(h.out()).toContain("\x1b[31m"); // FAILED in red
    expect(h.out()).toMatch(/finished in 1m31s: 3\/3 rungs/);
  });

  it("refreshes elapsed times on tick", () => {
    const h = harness({ isTTY: true, env: {} });
    h.feed(run().slice(0, 2));
    h.setClock(T0 + 125_000);
    h.p.tick();
    const last = h.chunks[h.chunks.length - 1]!;
    expect(last).toMatch(/building\s+\S*\s*2m05s/);
    expect(last).toMatch(/0\/3 done · 2m05s elapsed/);
  });

  it("honours NO_COLOR and color: false, but still redraws", () => {
    for (const opts of [{ env: { NO_COLOR: "1" } }, { env: {}, color: false }]) {
      const h = harness({ isTTY: true, ...opts });
      h.feed(run());
      expect(h.out()).not.toMatch(COLOUR);
      expect(h.out()).toMatch(/\x1b\[\d+A/);
    }
    // An empty NO_COLOR does not count (no-color.org).
    const h = harness({ isTTY: true, env: { NO_COLOR: "" } });
    h.feed(run());
    expect(h.out()).toMatch(COLOUR);
  });

  it("TERM=dumb gets plain lines (no redraw, no colour); FORCE_COLOR=0 keeps the redraw plain", () => {
    const dumb = harness({ isTTY: true, env: { TERM: "dumb" } });
    dumb.feed(run());
    expect(dumb.out()).not.toMatch(/\x1b/);
    expect(dumb.out()).toMatch(/^\d\d:\d\d:\d\dZ ladder of 3 rungs$/m);
    const off = harness({ isTTY: true, env: { FORCE_COLOR: "0" } });
    off.feed(run());
    expect(off.out()).not.toMatch(COLOUR);
    expect(off.out()).toMatch(/\x1b\[\d+A/);
  });

  it("shows the estimate only after a rung has finished", () => {
    const h = harness({ isTTY: true, env: { NO_COLOR: "1" } });
    const events = run();
    const passAt = events.findIndex((e) => e.type === "rung-state" && e.state === "PASS");
    h.feed(events.slice(0, passAt));
    expect(h.out()).not.toMatch(/left/);
    h.feed([events[passAt]!]);
    expect(h.chunks[h.chunks.length - 1]).toMatch(/1\/3 done · 1m00s elapsed · about 2m00s left/);
  });

  it("keeps lines within the terminal width", () => {
    const h = harness({ isTTY: true, env: { NO_COLOR: "1" }, columns: 30 });
    h.feed([
      { type: "run-start", rungs: [{ id: "alpine-shared-libraries" }], at: T0 },
      {
        type: "rung-state",
        rung: "alpine-shared-libraries",
        state: "FAILED",
        reason: "a very long reason that would wrap the terminal line and break the redraw",
        at: T0 + 1000,
      },
    ]);
    const block = h.chunks[h.chunks.length - 1]!.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
    for (const line of block.replace(/\r/g, "").split("\n"))
      expect(line.length).toBeLessThanOrEqual(30);
  });

  it("renderBlock alone has no escape codes without a painter", () => {
    let st = initialProgress();
    for (const e of run()) st = reduceProgress(st, e);
    expect(renderBlock(st, T0).join("\n")).not.toMatch(ESC);
  });
});
