import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  BUILDKIT_IMAGE_ID,
  BUILDKIT_TRACE_ID,
  BuildKitProgress,
  decodeStatus,
} from "../../src/docker/buildkit-status.js";

// Recorded from dockerd 20.10 (version-2 builds through dockerode 5, host network).
function messages(name: string): { id?: string; aux?: unknown; errorDetail?: unknown }[] {
  return readFileSync(`test/fixtures/buildkit/${name}`, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

function replay(name: string) {
  const progress = new BuildKitProgress();
  const lines: string[] = [];
  const steps: string[] = [];
  for (const m of messages(name)) {
    if (m.id !== BUILDKIT_TRACE_ID || typeof m.aux !== "string") continue;
    lines.push(...progress.push(decodeStatus(m.aux)));
    const s = progress.steps();
    const key = s ? `${s.step}/${s.steps}` : "";
    if (s && key !== steps.at(-1)) steps.push(key);
  }
  return { progress, lines, steps };
}

describe("BuildKit status messages", () => {
  it("decode the step names, and the output as text rather than base64", () => {
    const { lines } = replay("multistage-ok.jsonl");
    expect(lines).toContain("#1 [internal] load remote build context");
    const run = lines.find((l) => l.includes("RUN printf"))!;
    expect(run).toMatch(/^#\d+ \[builder 3\/3\] RUN printf/);
    const n = run.split(" ")[0];
    // The RUN printed "one\ntwo\npartial-" then, later, "line": one line each, partial joined.
    expect(lines).toContain(`${n} one`);
    expect(lines).toContain(`${n} two`);
    expect(lines).toContain(`${n} partial-line`);
    expect(lines.some((l) => l.startsWith(`${n} DONE `))).toBe(true);
  });

  it("count the Dockerfile's instructions of every stage as the steps", () => {
    const { steps } = replay("multistage-ok.jsonl");
    // builder: FROM, COPY, RUN; final stage: FROM, COPY --from (FROM shared: one vertex).
    expect(steps.at(-1)).toMatch(/^(\d+)\/\1$/);
    const total = Number(steps.at(-1)!.split("/")[1]);
    expect(total).toBeGreaterThanOrEqual(4);
    // Counted up, never down.
    const done = steps.map((s) => Number(s.split("/")[0]));
    expect(done).toEqual([...done].sort((a, b) => a - b));
  });

  it("report a failed step with its output and the engine's message", () => {
    const { lines, progress } = replay("run-fails.jsonl");
    const run = lines.find((l) => l.includes("RUN echo out"))!;
    const n = run.split(" ")[0];
    expect(lines).toContain(`${n} out`);
    expect(lines).toContain(`${n} err`);
    expect(lines).toContain(
      `${n} ERROR: executor failed running [/bin/sh -c echo out; echo err >&2; exit 3]: exit code: 3`,
    );
    expect(progress.errors()).toEqual([
      "executor failed running [/bin/sh -c echo out; echo err >&2; exit 3]: exit code: 3",
    ]);
    // The same error also comes as the classic errorDetail line, which the adapter reads.
    expect(messages("run-fails.jsonl").at(-1)!.errorDetail).toBeDefined();
  });

  it("the image id comes in its own message", () => {
    const id = messages("multistage-ok.jsonl").find((m) => m.id === BUILDKIT_IMAGE_ID);
    expect((id?.aux as { ID: string }).ID).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("an empty update changes nothing", () => {
    const progress = new BuildKitProgress();
    expect(progress.push(decodeStatus(""))).toEqual([]);
    expect(progress.steps()).toBeUndefined();
  });
});
