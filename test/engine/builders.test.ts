// The engine adapter's build under both builders, on the real engine: the image id, labels,
// step progress, the engine's own message for each kind of broken build, cancellation, and
// shrinkbench's own squash of the result (BuildKit ignores --squash).
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import tar from "tar-stream";
import { DockerEngine } from "../../src/docker/docker-engine.js";
import { BUILDERS, type BuildOutcome, type Builder } from "../../src/docker/engine.js";
import { resolveEndpoint } from "../../src/docker/endpoint.js";
import { markDockerfile } from "../../src/ladder/run-marks.js";
import { newRunId, removeByLabel, engine as docker, RUN_LABEL, SLIM } from "./helpers/docker.js";

const engine = new DockerEngine(resolveEndpoint(undefined));
const runId = newRunId("builders");
const labels = { [RUN_LABEL]: runId, "org.shrinkbench.rung": "builders" };

function context(dockerfile: string, files: Record<string, string> = {}): Readable {
  const pack = tar.pack();
  for (const [name, content] of Object.entries({ Dockerfile: dockerfile, ...files })) {
    pack.entry({ name, mtime: new Date(0), mode: 0o644 }, content);
  }
  pack.finalize();
  return pack as unknown as Readable;
}

interface Built extends BuildOutcome {
  steps: [number, number][];
  lines: string[];
  seconds: number;
}

async function build(
  builder: Builder,
  dockerfile: string,
  opts: { files?: Record<string, string>; signal?: AbortSignal; tag?: string } = {},
): Promise<Built> {
  const steps: [number, number][] = [];
  const lines: string[] = [];
  const t0 = performance.now();
  const outcome = await engine.build({
    builder,
    // Labelled and marked as a run's builds are: every step's image and cache record is the run's.
    context: context(
      markDockerfile(dockerfile, { labels, runId, buildkit: builder === "buildkit" }),
      opts.files,
    ),
    tag: opts.tag ?? `shrinkbench-test/builders:${runId}-${builder}`,
    buildArgs: { BASE_IMAGE: SLIM },
    labels,
    signal: opts.signal,
    onLine: (l) => lines.push(l),
    onStep: (step, total) => steps.push([step, total]),
  });
  return { ...outcome, steps, lines, seconds: (performance.now() - t0) / 1000 };
}

const GOOD = `ARG BASE_IMAGE
FROM \${BASE_IMAGE} AS builder
COPY a.txt /a.txt
RUN echo "built in the builder stage" && head -c 300000 /dev/urandom > /junk && rm /junk
FROM \${BASE_IMAGE}
COPY --from=builder /a.txt /app/a.txt
RUN echo second > /app/b.txt && head -c 200000 /dev/urandom > /app/blob
RUN rm /app/blob
`;

beforeAll(async () => {
  await engine.info();
});

afterAll(async () => {
  await removeByLabel(docker(), runId);
});

describe.each(BUILDERS)("the %s builder", (builder) => {
  let good: Built;
  beforeAll(async () => {
    good = await build(builder, GOOD, { files: { "a.txt": "one\n" } });
  });

  it("builds, reports the image id the engine confirms, and labels the image", async () => {
    expect(good.error, good.lines.join("\n")).toBeUndefined();
    expect(good.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    const info = await docker().getImage(good.imageId!).inspect();
    expect(info.Config.Labels).toMatchObject(labels);
    expect(info.RepoTags).toContain(`shrinkbench-test/builders:${runId}-${builder}`);
  });

  it("streams the build's output and reports step N of M", () => {
    expect(good.lines.some((l) => l.includes("built in the builder stage"))).toBe(true);
    if (builder === "buildkit") {
      // Two stages: FROM, COPY, RUN, then (FROM), COPY --from, RUN, RUN.
      expect(good.steps.length).toBeGreaterThan(1);
      const [last, total] = good.steps.at(-1)!;
      expect(last).toBe(total);
      expect(total).toBeGreaterThanOrEqual(6);
      expect(good.lines.some((l) => /^#\d+ \[stage-1 \d\/\d\] RUN echo second/.test(l))).toBe(true);
    } else {
      // The classic builder's own step lines, which the progress reducer reads from the log.
      const stepLines = good.lines.filter((l) => /^Step \d+\/\d+ : /.test(l));
      expect(stepLines.length).toBeGreaterThanOrEqual(6);
      expect(stepLines.at(-1)).toMatch(/^Step (\d+)\/\1 : /);
    }
  });

  it("gives the engine's message when a RUN fails, with its output in the log", async () => {
    const failed = await build(
      builder,
      `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nRUN echo out-line; echo err-line >&2; exit 3\n`,
    );
    expect(failed.imageId).toBeUndefined();
    expect(failed.error).toMatch(/exit code:? 3|returned a non-zero code: 3/);
    expect(failed.lines.join("\n")).toContain("out-line");
    expect(failed.lines.join("\n")).toContain("err-line");
  });

  it("gives the engine's message for a file missing from the context", async () => {
    const failed = await build(
      builder,
      `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nCOPY missing.txt /m\n`,
    );
    expect(failed.imageId).toBeUndefined();
    expect(failed.error).toMatch(/missing\.txt/);
  });

  it("gives the engine's message for a Dockerfile syntax error", async () => {
    const failed = await build(builder, `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nRUNN echo hi\n`);
    expect(failed.imageId).toBeUndefined();
    expect(failed.error).toMatch(/unknown instruction: RUNN/i);
  });

  it("gives the engine's message for a base image that cannot be had", async () => {
    const failed = await build(builder, `FROM shrinkbench-test/no-such-base:${runId}\nRUN true\n`);
    expect(failed.imageId).toBeUndefined();
    // BuildKit names the image; the classic builder passes on the registry's answer (none here).
    expect(failed.error).toMatch(
      builder === "buildkit" ? /no-such-base/ : /no-such-base|registry|no such host/,
    );
  });

  it("is cancelled by its signal within seconds, leaving no build running", async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 3000);
    const cancelled = await build(
      builder,
      `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nRUN echo sleeping-${runId}-${builder} && sleep 120\n`,
      { signal: abort.signal, tag: `shrinkbench-test/builders:${runId}-cancel` },
    );
    expect(cancelled.error).toBe("build cancelled");
    expect(cancelled.seconds).toBeLessThan(20);
    // The sleep is gone too: no process of this build is left on the machine.
    await new Promise((r) => setTimeout(r, 2000));
    const containers = await docker().listContainers({
      all: true,
      filters: { label: [`${RUN_LABEL}=${runId}`] },
    });
    expect(containers).toHaveLength(0);
    const { execFileSync } = await import("node:child_process");
    const ps = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
    expect(ps).not.toMatch(new RegExp(`sleeping-${runId}-${builder}`));
  });

  it("is squashed by shrinkbench's own squash: one layer above the base, the deleted blob gone", async () => {
    const before = await engine.inspectImage(good.imageId!);
    const base = await engine.inspectImage(SLIM);
    const id = await engine.squash(
      good.imageId!,
      SLIM,
      `shrinkbench-test/builders:${runId}-${builder}-squashed`,
      labels,
    );
    const after = await engine.inspectImage(id);
    expect(after!.layers).toBe(base!.layers + 1);
    // The 200 kB blob written then deleted in a later layer is stored no more.
    expect(before!.size - after!.size).toBeGreaterThan(150_000);
  });
});
