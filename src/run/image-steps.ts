// The steps of a rung after its build, on the image it made: the squash (a post step), the
// engine's measure of it, its smoke test and its inspection. Each takes what it needs, not the
// run; the runner (runner.ts) times them and says which phase a rung is in.
import type { Engine } from "../docker/engine.js";
import { summarizeInspection } from "../image/summary.js";
import type { RungPlan } from "../ladder/plan.js";
import { parseSmokeOutput, smokeCommand, type SmokeTest } from "../ladder/smoke.js";
import type { RungInspection, RungResult, SmokeResult } from "../types.js";

/** Post step squash: the image squashed to one layer above its base; the original removed. */
export async function squashStep(
  plan: RungPlan,
  imageId: string,
  engine: Engine,
): Promise<{ imageId: string; seconds: number } | { error: string }> {
  const t0 = performance.now();
  try {
    const squashed = await engine.squash(imageId, plan.baseImage, plan.tag, plan.labels);
    await engine.removeImage(imageId);
    return { imageId: squashed, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    await engine.removeImage(imageId).catch(() => undefined);
    return { error: `squash failed: ${(e as Error).message}` };
  }
}

/** The image's size and layers, and what it adds above its base (the engine's numbers). */
export async function measureStep(
  plan: RungPlan,
  imageId: string,
  engine: Engine,
): Promise<RungResult["image"] | undefined> {
  const [image, baseImage] = await Promise.all([
    engine.inspectImage(imageId),
    engine.inspectImage(plan.baseImage),
  ]);
  if (!image || (!baseImage && !plan.rung.scratch)) return undefined;
  // A FROM scratch rung holds nothing of its base image: all of it is added.
  const fromBase = plan.rung.scratch || !baseImage ? { size: 0, layers: 0 } : baseImage;
  return {
    id: image.id,
    tag: plan.tag,
    sizeBytes: image.size,
    baseSizeBytes: fromBase.size,
    addedBytes: image.size - fromBase.size,
    layers: image.layers,
    baseLayers: fromBase.layers,
  };
}

/** The smoke test in a container of the image; a test that cannot run fails. */
export async function smokeStep(
  imageId: string,
  test: SmokeTest,
  engine: Engine,
  opts: { labels: Record<string, string>; timeoutMs: number; timeImports: boolean },
): Promise<SmokeResult> {
  const run = smokeCommand(test, { timeImports: opts.timeImports });
  try {
    const result = await engine.runContainer({
      image: imageId,
      cmd: run.cmd,
      files: run.files,
      labels: opts.labels,
      timeoutMs: opts.timeoutMs,
    });
    return parseSmokeOutput(test, result);
  } catch (e) {
    return {
      passed: false,
      description: test.description,
      seconds: 0,
      outputTail: [`could not run the smoke test: ${(e as Error).message}`],
    };
  }
}

/** Where the image's bytes are, from a save of it alone. An aid: a rung's result never depends on it. */
export async function inspectStep(
  imageId: string,
  engine: Engine,
): Promise<RungInspection | undefined> {
  try {
    return summarizeInspection(await engine.analyze(imageId, { gzip: false }));
  } catch {
    return undefined;
  }
}
