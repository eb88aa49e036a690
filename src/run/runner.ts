// Runs a ladder: for each rung, plan → context → build → post steps → measure → smoke test.
// One failed rung never stops the ladder; everything measured is handed back even when the
// run is interrupted.
import { packContext, contextEntries, type ContextEntry } from "../ladder/context.js";
import type { Builder, BuildOutcome, Engine } from "../docker/engine.js";
import { planRung, type BaseImages, type RungPlan } from "../ladder/plan.js";
import { markDockerfile } from "../ladder/run-marks.js";
import { ownContext } from "../ladder/own-context.js";
import { fromImages, mapBaseImages, sentDockerfile } from "../ladder/yours.js";
import type { ProgressEvent, RungPhase } from "./progress.js";
import { measureRebuild, usesCacheMount, type RebuildKind } from "./rebuild.js";
import { EnginePool, NoEligibleEngine } from "./scheduler.js";
import { addPhases, formatPhases, PhaseClock } from "./phases.js";
import { withoutTimes } from "./sizes-only.js";
import { HeldInspections } from "./held-inspections.js";
import { smokeContextFiles, type SmokeTest } from "../ladder/smoke.js";
import { inspectStep, measureStep, smokeStep, squashStep } from "./image-steps.js";
import { pipErrorReason } from "../requirements/pip-errors.js";
import { BuildLoadMonitor } from "./load.js";
import { busyReason, mergeRound } from "../results/times.js";
import type { BuildLoad, Ladder, PackageSources, RungResult, RungStatus } from "../types.js";

export interface RunInput {
  runId: string;
  ladder: Ladder;
  bases: BaseImages;
  /** Sources as the builds see them (rewritten to the loopback server). */
  sources: PackageSources;
  requirementsText: string;
  constraintsText: string;
  /** The run's requirements file on disk: a rung of your own Dockerfile rebuilds after changing it. */
  requirementsPath?: string;
  appDir?: string;
  smoke: SmokeTest;
  /** The smoke test of a rung whose pip runs in this image (markers can leave requirements out). */
  smokeFor?: (installImage: string) => SmokeTest;
  /** Template text by file name. */
  templates: Record<string, string>;
  /** Helper scripts copied into every context, by file name. */
  scripts: Record<string, string>;
  keepImages: boolean;
  /** --builder; default classic (the command chooses BuildKit where the engines support it). */
  builder?: Builder;
  /** --rebuild: after the cold build, time a warm one with an application file changed. */
  rebuild?: boolean;
  /** Record where each image's bytes are (a streamed `docker save` per rung). */
  inspect: boolean;
  buildTimeoutMs: number;
  smokeTimeoutMs: number;
  /** --repeat: rounds of cold builds and smoke tests, interleaved (every rung, then again). */
  repeat?: number;
  /** --sizes-only: cache on, no import timing, no times recorded (sizes-only.ts). */
  sizesOnly?: boolean;
  /** Where inspections wait for a gap between timed builds (set by runLadder). */
  held?: HeldInspections;
  /** Counts overlapping builds for each build's load record (one per run). */
  loads?: BuildLoadMonitor;
  /** Builds at once on each engine. */
  concurrency: number;
  /** Whether an engine can build a rung (has its base images); default: every engine can. */
  canBuild?: (plan: RungPlan, engine: Engine) => boolean;
  signal?: AbortSignal;
  onEvent?: (e: ProgressEvent) => void;
  /** Called with each result as soon as it is known, so an interrupted run loses nothing. */
  onResult?: (r: RungResult) => void;
}

const LOG_TAIL = 30;

function tail(lines: readonly string[], n = LOG_TAIL): string[] {
  return lines.slice(-n);
}

function intermediateIds(log: readonly string[]): string[] {
  return log.flatMap((l) => {
    const m = /^ ---> ([0-9a-f]{12,64})$/.exec(l);
    return m ? [m[1]!] : [];
  });
}

/** The rung's smoke test: the requirements its install image's markers keep. */
function smokeOf(plan: RungPlan, input: RunInput): SmokeTest {
  return input.smokeFor?.(plan.builderImage ?? plan.baseImage) ?? input.smoke;
}

function builderOf(input: RunInput): Builder {
  return input.builder ?? "classic";
}

/** What a rung's result says about the rung whatever happens to it. */
function rungReporter(plan: RungPlan, input: RunInput, engine: Engine) {
  const { rung } = plan;
  const head = {
    rung: rung.id,
    title: rung.title,
    base: rung.base,
    baseImage: plan.baseImage,
    engine: engine.host,
    startedAt: new Date().toISOString(),
  };
  const builder = builderOf(input);
  const phase = (state: RungPhase, reason?: string) =>
    input.onEvent?.({ type: "rung-state", rung: rung.id, state, at: Date.now(), reason });
  const log = (line: string) =>
    input.onEvent?.({ type: "log", rung: rung.id, line, at: Date.now() });
  const finish = (status: RungStatus, extra: Partial<RungResult>): RungResult => {
    if (extra.phaseSeconds) log(`--- where the time went: ${formatPhases(extra.phaseSeconds)}`);
    phase(status, extra.reason);
    const result = { ...head, status, ...extra, finishedAt: new Date().toISOString() };
    return input.sizesOnly ? withoutTimes(result) : result;
  };
  return { phase, log, finish, builder };
}
type Reporter = ReturnType<typeof rungReporter>;

interface Built {
  outcome: BuildOutcome;
  buildSeconds: number;
  /** What else the machine was doing during the build. */
  load?: BuildLoad;
  contextBytes: number;
  /** The context's entries, for a warm rebuild. */
  entries: ContextEntry[];
  /** The Dockerfile as built. */
  dockerfile: string;
  /** Aborted by the run's signal or the build timeout. */
  signal: AbortSignal;
  timedOut: () => boolean;
  /** Your own Dockerfile: its path in the context, and the files a warm rebuild changes. */
  own?: { dockerfileName: string; appFile?: string; requirementsFile?: string };
}

/** The entries of a rung's context: the generated one, or your own Dockerfile's folder. */
async function rungContext(
  plan: RungPlan,
  template: string,
  input: RunInput,
  report: Reporter,
): Promise<{ entries: ContextEntry[]; own?: Built["own"] }> {
  const marks = {
    labels: plan.labels,
    runId: input.runId,
    buildkit: report.builder === "buildkit",
  };
  const own = plan.rung.dockerfile;
  if (own) {
    const sent = sentDockerfile(own.text, {
      ...marks,
      bases: input.bases.images,
      declare: Object.keys(plan.buildArgs).filter((k) => k.startsWith("PIP_")),
    });
    const { entries, ...files } = await ownContext(own, sent, input.requirementsPath);
    return { entries, own: files };
  }
  const entries = await contextEntries({
    dockerfile: markDockerfile(template, marks),
    requirements: input.requirementsText,
    constraints: input.constraintsText,
    scripts: input.scripts,
    mode: plan.context,
    appDir: input.appDir,
    smoke: smokeContextFiles(smokeOf(plan, input)),
  });
  return { entries };
}

/** Step 1: pack the context and build the image (cold: the engine's cache is off). */
async function buildStep(
  plan: RungPlan,
  template: string,
  input: RunInput,
  engine: Engine,
  report: Reporter,
): Promise<Built> {
  report.phase("building");
  const { entries, own } = await rungContext(plan, template, input, report);
  const context = packContext(entries);
  const timeout = AbortSignal.timeout(input.buildTimeoutMs);
  const signal = input.signal ? AbortSignal.any([input.signal, timeout]) : timeout;
  const stopWatch = input.loads?.start(engine.host);
  const t0 = performance.now();
  const outcome = await engine.build({
    context: context.stream,
    builder: report.builder,
    tag: plan.tag,
    ...(own ? { dockerfile: own.dockerfileName } : {}),
    buildArgs: plan.buildArgs,
    labels: plan.labels,
    signal,
    // Sizes-only: rungs share the layers they have in common; the image is the same.
    cache: input.sizesOnly === true,
    onLine: report.log,
    // BuildKit's step count comes apart from its log lines; the classic builder's is in them.
    onStep: (step, steps) =>
      input.onEvent?.({
        type: "rung-state",
        rung: plan.rung.id,
        state: "building",
        step,
        steps,
        at: Date.now(),
      }),
  });
  const buildSeconds = (performance.now() - t0) / 1000;
  const load = stopWatch?.();
  return {
    outcome,
    buildSeconds,
    load,
    contextBytes: context.bytes(),
    entries,
    dockerfile: template,
    signal,
    timedOut: () => timeout.aborted,
    ...(own ? { own } : {}),
  };
}

interface Warm {
  /** After an application change. */
  seconds?: number;
  /** After a requirements change (one requirement added). */
  requirementsSeconds?: number;
  log: string[];
}

/**
 * Step 2 (--rebuild): time two warm rebuilds, one after an application file changed, then one
 * after a requirement was added. Runs while the cold build's layers (builder stages too) are
 * still there.
 */
async function warmRebuildStep(
  plan: RungPlan,
  built: Built,
  input: RunInput,
  engine: Engine,
  report: Reporter,
): Promise<Warm> {
  const log: string[] = [];
  const onLine = (line: string) => {
    log.push(line);
    report.log(line);
  };
  const times: Partial<Record<RebuildKind, number>> = {};
  const own = built.own;
  const kinds: RebuildKind[] =
    own && !own.requirementsFile
      ? ["app"]
      : usesCacheMount(built.dockerfile)
        ? ["app", "prime", "requirements"]
        : ["app", "requirements"];
  if (own && !own.requirementsFile)
    onLine(
      "--- no warm rebuild after a requirements change: the Dockerfile copies no requirements*.txt file from its context",
    );
  for (const kind of kinds) {
    onLine(
      kind === "app"
        ? "--- warm rebuild (--rebuild): cache on, one application file changed"
        : kind === "prime"
          ? "--- untimed build, cache on, requirements file touched: the cold build (cache off) gave RUN --mount=type=cache an empty cache it then threw away; this fills it as a developer's earlier builds would"
          : "--- warm rebuild (--rebuild): cache on, one requirement added",
    );
    const warm = await measureRebuild(engine, plan, built.entries, {
      kind,
      builder: report.builder,
      marker: input.runId,
      ...(own
        ? {
            appPrefix: "",
            appFile: own.appFile,
            requirementsFile: own.requirementsFile,
            dockerfile: own.dockerfileName,
          }
        : {}),
      signal: built.signal,
      onLine,
    }).catch((e: Error) => ({ seconds: undefined, error: e.message, changed: "", log: [] }));
    times[kind] = warm.seconds;
    const what = kind === "prime" ? "untimed build" : "warm rebuild";
    onLine(
      warm.seconds === undefined
        ? `--- ${what} failed: ${warm.error}`
        : `--- ${what} after changing ${warm.changed}: ${warm.seconds.toFixed(1)} s`,
    );
  }
  return { seconds: times.app, requirementsSeconds: times.requirements, log };
}

/** Why a build produced no image. */
async function buildFailure(
  built: Built,
  plan: RungPlan,
  input: RunInput,
  engine: Engine,
): Promise<string> {
  if (built.timedOut()) return `build exceeded --build-timeout (${input.buildTimeoutMs / 1000} s)`;
  if (input.signal?.aborted) return "run interrupted during the build";
  const reason = `build failed: ${pipErrorReason(built.outcome.log, built.outcome.error) ?? built.outcome.error}`;
  return reason + (await missingBases(plan, input, engine, reason));
}

/**
 * For a Dockerfile of the user's: the images its stages build on that the engine does not have,
 * when the engine's message does not name them. The classic builder then tries to pull and
 * reports only the registry's error (`Get "https://registry-1.docker.io/v2/": ...`).
 */
async function missingBases(
  plan: RungPlan,
  input: RunInput,
  engine: Engine,
  reason: string,
): Promise<string> {
  const own = plan.rung.dockerfile;
  if (!own) return "";
  const sent = mapBaseImages(own.text, input.bases.images).text;
  const missing: string[] = [];
  for (const ref of fromImages(sent, plan.buildArgs)) {
    if (reason.includes(ref)) continue;
    if (!(await engine.inspectImage(ref).catch(() => undefined))) missing.push(ref);
  }
  return missing.length
    ? ` (${missing.map((m) => `FROM ${m}`).join(", ")}: not on the engine, which could not pull it)`
    : "";
}

/** One rung: build → (warm rebuild) → (squash) → measure → smoke test → inspect → verdict. */
async function runRung(plan: RungPlan, input: RunInput, engine: Engine): Promise<RungResult> {
  const report = rungReporter(plan, input, engine);
  if (plan.skip) return report.finish("SKIPPED", { reason: plan.skip });
  if (input.signal?.aborted)
    return report.finish("SKIPPED", { reason: "run interrupted before this rung started" });
  const template = plan.rung.dockerfile?.text ?? input.templates[plan.template];
  if (template === undefined)
    return report.finish("FAILED", { reason: `template ${plan.template} not found` });

  const clock = new PhaseClock();
  const built = await clock.time("build", () => buildStep(plan, template, input, engine, report));
  const { outcome, buildSeconds, contextBytes } = built;
  const warm: Warm =
    input.rebuild && outcome.imageId
      ? await clock.time("rebuild", () => warmRebuildStep(plan, built, input, engine, report))
      : { log: [] };
  await clock.time("cleanup", () =>
    engine
      .removeIntermediates([...intermediateIds(outcome.log), ...intermediateIds(warm.log)])
      .catch(() => 0),
  );
  const failed = (reason: string) =>
    report.finish("FAILED", {
      reason,
      builder: report.builder,
      buildSeconds,
      contextBytes,
      logTail: tail(outcome.log),
      phaseSeconds: clock.result(),
    });
  if (!outcome.imageId) return failed(await buildFailure(built, plan, input, engine));

  let imageId = outcome.imageId;
  let postSeconds: number | undefined;
  if (plan.post.includes("squash")) {
    report.phase("squashing");
    const squashed = await clock.time("post", () => squashStep(plan, imageId, engine));
    if ("error" in squashed) return failed(squashed.error);
    imageId = squashed.imageId;
    postSeconds = squashed.seconds;
  }

  const image = await clock.time("measure", () => measureStep(plan, imageId, engine));
  if (!image)
    return report.finish("FAILED", {
      reason: `image ${imageId} vanished before it was measured`,
      buildSeconds,
      phaseSeconds: clock.result(),
    });
  report.phase("smoke");
  const smoke = await clock.time("smoke", () =>
    smokeStep(image.id, smokeOf(plan, input), engine, {
      labels: plan.labels,
      timeoutMs: input.smokeTimeoutMs,
      timeImports: !input.sizesOnly,
    }),
  );
  // Held back (held-inspections.ts): the inspection and the image's removal run between timed
  // builds, in batches that share one save, and patch the result in when done.
  const held = input.inspect ? input.held : undefined;
  const inspection =
    input.inspect && !held
      ? await clock.time("inspect", () => inspectStep(image.id, engine))
      : undefined;
  if (held) {
    held.hold({
      rung: plan.rung.id,
      imageId: image.id,
      bytes: image.sizeBytes,
      engine,
      group: HeldInspections.group(engine, plan.rung.scratch ? undefined : plan.baseImage),
    });
  } else if (!input.keepImages) {
    await clock.time("cleanup", () => engine.removeImage(image.id).catch(() => undefined));
  }

  const common = {
    builder: report.builder,
    image,
    buildSeconds,
    ...(built.load ? { buildLoad: [built.load] } : {}),
    ...(warm.seconds !== undefined ? { rebuildSeconds: warm.seconds } : {}),
    ...(warm.requirementsSeconds !== undefined
      ? { rebuildRequirementsSeconds: warm.requirementsSeconds }
      : {}),
    postSeconds,
    contextBytes,
    smoke,
    inspection,
    phaseSeconds: clock.result(),
  };
  if (smoke.passed) return report.finish("PASS", common);
  const failures = smoke.outputTail.filter((l) => l.startsWith("FAILED")).join("; ");
  return report.finish("FAILED", {
    ...common,
    reason: `smoke test failed: ${failures || smoke.outputTail.at(-1) || "no output"}`,
    logTail: smoke.outputTail,
  });
}

/** Runs the ladder; with several engines, each rung goes to the least-busy one (scheduler.ts). */
export async function runLadder(
  input: RunInput,
  engine: Engine | readonly Engine[],
): Promise<RungResult[]> {
  const plans = input.ladder.rungs.map((rung) =>
    planRung(rung, {
      runId: input.runId,
      bases: input.bases,
      sources: input.sources,
      appDir: input.appDir,
      builder: builderOf(input),
    }),
  );
  input.onEvent?.({
    type: "run-start",
    rungs: plans.map((p) => ({ id: p.rung.id, title: p.rung.title })),
    at: Date.now(),
  });
  const pool = new EnginePool(([] as Engine[]).concat(engine), input.concurrency);
  const results = new Map<string, RungResult>();
  const record = (result: RungResult) => {
    results.set(result.rung, result);
    input.onResult?.(result);
  };
  /** The result of a rung that never got as far as a build, announced like any other. */
  const unbuilt = (
    plan: RungPlan,
    status: RungStatus,
    reason: string,
    host?: string,
  ): RungResult => {
    const now = new Date().toISOString();
    input.onEvent?.({
      type: "rung-state",
      rung: plan.rung.id,
      state: status,
      reason,
      at: Date.now(),
    });
    return {
      rung: plan.rung.id,
      title: plan.rung.title,
      base: plan.rung.base,
      baseImage: plan.baseImage,
      status,
      reason,
      engine: host,
      startedAt: now,
      finishedAt: now,
    };
  };
  const canBuild = input.canBuild;
  const loads = input.loads ?? new BuildLoadMonitor();
  /** Every rung of `plans` once, on the pool; `keep` folds each result into what is known. */
  const round = (
    plans: readonly RungPlan[],
    roundInput: RunInput,
    keep: (plan: RungPlan, r: RungResult) => RungResult,
  ) =>
    Promise.all(
      plans.map((plan) =>
        pool
          .run(
            async (engine) => {
              let result: RungResult;
              try {
                // Held-back inspections run now, between two rungs, never during a timed build.
                await roundInput.held?.makeRoom();
                result = await runRung(plan, roundInput, engine);
              } catch (e) {
                // An engine failure inside one rung fails that rung, not the ladder.
                result = unbuilt(
                  plan,
                  "FAILED",
                  `engine error: ${(e as Error).message}`,
                  engine.host,
                );
              }
              record(keep(plan, result));
            },
            canBuild && !plan.skip ? (e) => canBuild(plan, e) : undefined,
          )
          .catch((e: unknown) => {
            if (!(e instanceof NoEligibleEngine)) throw e;
            // Each base image exists on some engine, but no engine has all this rung needs.
            record(
              keep(
                plan,
                unbuilt(
                  plan,
                  "SKIPPED",
                  "base images unavailable: no engine has every base image this rung needs",
                ),
              ),
            );
          }),
      ),
    );
  const held = new HeldInspections({
    keepImages: input.keepImages,
    ...(input.signal ? { signal: input.signal } : {}),
    done: (rung, inspection, seconds) => {
      const r = results.get(rung);
      if (!r) return;
      const phaseSeconds = addPhases(r.phaseSeconds, seconds);
      record({
        ...r,
        ...(inspection ? { inspection } : {}),
        ...(phaseSeconds ? { phaseSeconds } : {}),
      });
    },
  });
  const first = { ...input, loads, held };
  await round(plans, first, (_plan, r) => {
    const busy = busyReason(r.buildLoad);
    return busy ? { ...r, busy } : r;
  });
  await held.drain();
  // --repeat: the passing rungs again, every one per round, so that drift hits all alike. The
  // warm rebuild and the byte inspection are measured once: they do not change between rounds.
  const again = { ...first, rebuild: false, inspect: false };
  for (let n = 2; n <= (input.repeat ?? 1) && !input.signal?.aborted; n++) {
    const passed = plans.filter((p) => results.get(p.rung.id)?.status === "PASS");
    for (const p of passed) {
      input.onEvent?.({
        type: "log",
        rung: p.rung.id,
        line: `--- round ${n} of ${input.repeat}`,
        at: Date.now(),
      });
    }
    await round(passed, again, (plan, r) => {
      const acc = results.get(plan.rung.id)!;
      const phaseSeconds = addPhases(acc.phaseSeconds, r.phaseSeconds);
      return { ...mergeRound(acc, r, n), ...(phaseSeconds ? { phaseSeconds } : {}) };
    });
  }
  return plans.map((p) => results.get(p.rung.id)!);
}
