// Runs a ladder: for each rung, plan → context → build → post steps → measure → smoke test.
// One failed rung never stops the ladder; everything measured is handed back even when the
// run is interrupted.
import { packContext, contextEntries } from "../ladder/context.js";
import type { Engine } from "../docker/engine.js";
import { summarizeInspection } from "../image/summary.js";
import { planRung, type BaseImages, type RungPlan } from "../ladder/plan.js";
import type { ProgressEvent, RungPhase } from "./progress.js";
import { measureRebuild } from "./rebuild.js";
import { EnginePool, NoEligibleEngine } from "./scheduler.js";
import {
  parseSmokeOutput,
  smokeCommand,
  smokeContextFiles,
  type SmokeTest,
} from "../ladder/smoke.js";
import type { Ladder, PackageSources, RungResult, RungStatus } from "../types.js";

export interface RunInput {
  runId: string;
  ladder: Ladder;
  bases: BaseImages;
  /** Sources as the builds see them (rewritten to the loopback server). */
  sources: PackageSources;
  requirementsText: string;
  constraintsText: string;
  appDir?: string;
  smoke: SmokeTest;
  /** Template text by file name. */
  templates: Record<string, string>;
  /** Helper scripts copied into every context, by file name. */
  scripts: Record<string, string>;
  keepImages: boolean;
  /** --rebuild: after the cold build, time a warm one with an application file changed. */
  rebuild?: boolean;
  /** Record where each image's bytes are (a streamed `docker save` per rung). */
  inspect: boolean;
  buildTimeoutMs: number;
  smokeTimeoutMs: number;
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

async function runRung(plan: RungPlan, input: RunInput, engine: Engine): Promise<RungResult> {
  const { rung } = plan;
  const startedAt = new Date().toISOString();
  const emit = (state: RungPhase, reason?: string) =>
    input.onEvent?.({ type: "rung-state", rung: rung.id, state, at: Date.now(), reason });
  const base = {
    rung: rung.id,
    title: rung.title,
    base: rung.base,
    baseImage: plan.baseImage,
    engine: engine.host,
    startedAt,
  };
  const finish = (status: RungStatus, extra: Partial<RungResult>): RungResult => {
    emit(status, extra.reason);
    return { ...base, status, ...extra, finishedAt: new Date().toISOString() };
  };

  if (plan.skip) return finish("SKIPPED", { reason: plan.skip });
  if (input.signal?.aborted)
    return finish("SKIPPED", { reason: "run interrupted before this rung started" });

  const template = input.templates[plan.template];
  if (template === undefined)
    return finish("FAILED", { reason: `template ${plan.template} not found` });

  emit("building");
  const entries = await contextEntries({
    dockerfile: template,
    requirements: input.requirementsText,
    constraints: input.constraintsText,
    scripts: input.scripts,
    mode: plan.context,
    appDir: input.appDir,
    smoke: smokeContextFiles(input.smoke),
  });
  const context = packContext(entries);
  const timeout = AbortSignal.timeout(input.buildTimeoutMs);
  const signal = input.signal ? AbortSignal.any([input.signal, timeout]) : timeout;
  const t0 = performance.now();
  const outcome = await engine.build({
    context: context.stream,
    tag: plan.tag,
    buildArgs: plan.buildArgs,
    labels: plan.labels,
    signal,
    onLine: (line) => input.onEvent?.({ type: "log", rung: rung.id, line, at: Date.now() }),
  });
  const buildSeconds = (performance.now() - t0) / 1000;
  const contextBytes = context.bytes();
  // The warm rebuild runs while the cold build's layers (builder stages too) are still there.
  let rebuildSeconds: number | undefined;
  const rebuildLog: string[] = [];
  if (input.rebuild && outcome.imageId) {
    const onLine = (line: string) => {
      rebuildLog.push(line);
      input.onEvent?.({ type: "log", rung: rung.id, line, at: Date.now() });
    };
    onLine("--- warm rebuild (--rebuild): cache on, one application file changed");
    const warm = await measureRebuild(engine, plan, entries, {
      marker: input.runId,
      signal,
      onLine,
    }).catch((e: Error) => ({ seconds: undefined, error: e.message, changed: "", log: [] }));
    rebuildSeconds = warm.seconds;
    onLine(
      warm.seconds === undefined
        ? `--- warm rebuild failed: ${warm.error}`
        : `--- warm rebuild after changing ${warm.changed}: ${warm.seconds.toFixed(1)} s`,
    );
  }
  await engine
    .removeIntermediates([...intermediateIds(outcome.log), ...intermediateIds(rebuildLog)])
    .catch(() => 0);

  if (!outcome.imageId) {
    const reason = timeout.aborted
      ? `build exceeded --build-timeout (${input.buildTimeoutMs / 1000} s)`
      : input.signal?.aborted
        ? "run interrupted during the build"
        : `build failed: ${outcome.error}`;
    return finish("FAILED", { reason, buildSeconds, contextBytes, logTail: tail(outcome.log) });
  }

  let imageId = outcome.imageId;
  let postSeconds: number | undefined;
  if (plan.post.includes("squash")) {
    emit("squashing");
    const p0 = performance.now();
    try {
      const squashed = await engine.squash(imageId, plan.baseImage, plan.tag, plan.labels);
      await engine.removeImage(imageId);
      imageId = squashed;
    } catch (e) {
      await engine.removeImage(imageId).catch(() => undefined);
      return finish("FAILED", {
        reason: `squash failed: ${(e as Error).message}`,
        buildSeconds,
        contextBytes,
        logTail: tail(outcome.log),
      });
    }
    postSeconds = (performance.now() - p0) / 1000;
  }

  const [image, baseImage] = await Promise.all([
    engine.inspectImage(imageId),
    engine.inspectImage(plan.baseImage),
  ]);
  if (!image || !baseImage) {
    return finish("FAILED", {
      reason: `image ${imageId} vanished before it was measured`,
      buildSeconds,
    });
  }
  // A FROM scratch rung holds nothing of its base image: all of it is added.
  const fromBase = rung.scratch ? { size: 0, layers: 0 } : baseImage;
  const measure = {
    id: image.id,
    tag: plan.tag,
    sizeBytes: image.size,
    baseSizeBytes: fromBase.size,
    addedBytes: image.size - fromBase.size,
    layers: image.layers,
    baseLayers: fromBase.layers,
  };

  emit("smoke");
  const run = smokeCommand(input.smoke);
  let smoke;
  try {
    const result = await engine.runContainer({
      image: image.id,
      cmd: run.cmd,
      files: run.files,
      labels: plan.labels,
      timeoutMs: input.smokeTimeoutMs,
    });
    smoke = parseSmokeOutput(input.smoke, result);
  } catch (e) {
    smoke = {
      passed: false,
      description: input.smoke.description,
      seconds: 0,
      outputTail: [`could not run the smoke test: ${(e as Error).message}`],
    };
  }
  let inspection: RungResult["inspection"];
  if (input.inspect) {
    try {
      inspection = summarizeInspection(await engine.analyze(image.id, { gzip: false }));
    } catch {
      // The breakdown is an aid; a rung's result never depends on it.
    }
  }
  if (!input.keepImages) await engine.removeImage(image.id).catch(() => undefined);

  const common = {
    image: measure,
    buildSeconds,
    ...(rebuildSeconds !== undefined ? { rebuildSeconds } : {}),
    postSeconds,
    contextBytes,
    smoke,
    inspection,
  };
  return smoke.passed
    ? finish("PASS", common)
    : finish("FAILED", {
        ...common,
        reason: `smoke test failed: ${smoke.outputTail.filter((l) => l.startsWith("FAILED")).join("; ") || smoke.outputTail.at(-1) || "no output"}`,
        logTail: smoke.outputTail,
      });
}

/** Ensures the base images are present: local, else pulled, else marked unavailable. */
export async function ensureBases(
  engine: Engine,
  images: BaseImages["images"],
  roles: ReadonlySet<string>,
  pullTimeoutMs: number,
): Promise<{ bases: BaseImages; pullSeconds: number }> {
  const unavailable: BaseImages["unavailable"] = {};
  const t0 = performance.now();
  for (const [role, ref] of Object.entries(images) as [keyof typeof images, string][]) {
    if (!roles.has(role)) continue;
    if (await engine.inspectImage(ref)) continue;
    const pulled = await engine.pull(ref, pullTimeoutMs);
    if (!pulled.ok)
      unavailable[role] = `not present and cannot be pulled (${pulled.error ?? "unknown error"})`;
  }
  return { bases: { images, unavailable }, pullSeconds: (performance.now() - t0) / 1000 };
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
  await Promise.all(
    plans.map((plan) =>
      pool
        .run(
          async (engine) => {
            let result: RungResult;
            try {
              result = await runRung(plan, input, engine);
            } catch (e) {
              // An engine failure inside one rung fails that rung, not the ladder.
              result = unbuilt(
                plan,
                "FAILED",
                `engine error: ${(e as Error).message}`,
                engine.host,
              );
            }
            record(result);
          },
          canBuild && !plan.skip ? (e) => canBuild(plan, e) : undefined,
        )
        .catch((e: unknown) => {
          if (!(e instanceof NoEligibleEngine)) throw e;
          // Each base image exists on some engine, but no engine has all this rung needs.
          record(
            unbuilt(
              plan,
              "SKIPPED",
              "base images unavailable: no engine has every base image this rung needs",
            ),
          );
        }),
    ),
  );
  return plans.map((p) => results.get(p.rung.id)!);
}
