// The rungs' inspections held back (deferred.ts) and run in batches between timed builds: one
// `docker save` per batch of rung images on one engine with one base image, analysed once
// (src/docker/inspect-image.ts), then each image removed. A rung's result never depends on
// its inspection: one that fails leaves the rung without it.
import type { Engine } from "../docker/engine.js";
import { summarizeInspection } from "../image/summary.js";
import type { RungInspection, RungPhaseSeconds } from "../types.js";
import { bytesOf, DeferredWork, type DeferredLimits, type HeldItem } from "./deferred.js";
import { inspectStep } from "./image-steps.js";

/**
 * Images that may wait (each holds its layers on the engine's disk; a batch's save spools a
 * copy of what it exports), and batches run at once: one save uses about one CPU of the
 * engine's, so two keep a 2-CPU machine busy while nothing is timed.
 */
export const HELD_LIMITS: DeferredLimits = { items: 6, bytes: 6e9, parallel: 2 };

export interface HeldImage extends HeldItem {
  rung: string;
  imageId: string;
  engine: Engine;
}

export interface HeldOptions {
  keepImages: boolean;
  signal?: AbortSignal;
  /** A rung's inspection (undefined when it failed or the run was interrupted) and what it cost. */
  done: (rung: string, inspection: RungInspection | undefined, seconds: RungPhaseSeconds) => void;
  limits?: DeferredLimits;
}

/** Raw seconds of one image in its batch, before they are fitted to the drain's wall clock. */
interface Finished {
  image: HeldImage;
  inspection?: RungInspection;
  inspect: number;
  cleanup: number;
}

export class HeldInspections {
  private readonly work: DeferredWork<HeldImage>;
  private finished: Finished[] = [];
  private current: Promise<void> | undefined;

  constructor(private readonly opts: HeldOptions) {
    this.work = new DeferredWork(opts.limits ?? HELD_LIMITS, (batch) => this.runBatch(batch));
  }

  /** The group of a rung image: batches never mix engines, and share a base's layers. */
  static group(engine: Engine, baseImage: string | undefined): string {
    return `${engine.host}\n${baseImage ?? ""}`;
  }

  hold(image: HeldImage): void {
    this.work.add(image);
  }

  /** Runs what waits if the limits are reached: call before a timed build. */
  makeRoom(): Promise<void> {
    return this.timed(() => this.work.makeRoom());
  }

  /** Runs everything that waits. */
  drain(): Promise<void> {
    return this.timed(() => this.work.drain());
  }

  /**
   * Batches run side by side, so their own clocks add up to more than the drain took. Each
   * image is charged its share of the drain's wall clock (in proportion to what its batch
   * measured for it), so that the rungs' phases add up to the run's wall clock.
   */
  private timed(drain: () => Promise<void>): Promise<void> {
    // One drain at a time (rungs on several engines can ask at once): the others wait for it.
    this.current ??= this.measure(drain).finally(() => (this.current = undefined));
    return this.current;
  }

  private async measure(drain: () => Promise<void>): Promise<void> {
    const t0 = performance.now();
    await drain();
    const wall = (performance.now() - t0) / 1000;
    const finished = this.finished.splice(0);
    const raw = finished.reduce((s, f) => s + f.inspect + f.cleanup, 0);
    const scale = raw > 0 ? wall / raw : 0;
    for (const f of finished) {
      const seconds: RungPhaseSeconds = { inspect: round3(f.inspect * scale) };
      if (!this.opts.keepImages) seconds.cleanup = round3(f.cleanup * scale);
      this.opts.done(f.image.rung, f.inspection, seconds);
    }
  }

  private async runBatch(batch: HeldImage[]): Promise<void> {
    const t0 = performance.now();
    const inspections = this.opts.signal?.aborted
      ? batch.map(() => undefined)
      : await inspectBatch(batch);
    const t1 = performance.now();
    if (!this.opts.keepImages) {
      for (const image of batch) await image.engine.removeImage(image.imageId).catch(() => 0);
    }
    const t2 = performance.now();
    // The batch's save and analysis are charged by bytes; its removals alike to each image.
    const bytes = bytesOf(batch);
    for (const [i, image] of batch.entries()) {
      const share = bytes > 0 ? image.bytes / bytes : 1 / batch.length;
      this.finished.push({
        image,
        ...(inspections[i] ? { inspection: inspections[i] } : {}),
        inspect: ((t1 - t0) / 1000) * share,
        cleanup: (t2 - t1) / 1000 / batch.length,
      });
    }
  }
}

const round3 = (s: number) => Math.round(s * 1000) / 1000;

/**
 * One save for the whole batch when the engine offers it; when that fails (an image gone, an
 * engine that refuses several names), each image alone, so that one bad image costs only its
 * own inspection.
 */
async function inspectBatch(batch: HeldImage[]): Promise<(RungInspection | undefined)[]> {
  const engine = batch[0]!.engine;
  const ids = batch.map((i) => i.imageId);
  if (batch.length > 1 && engine.analyzeImages) {
    const reports = await engine.analyzeImages(ids, { gzip: false }).catch(() => undefined);
    if (reports) return reports.map(summarizeInspection);
  }
  const alone: (RungInspection | undefined)[] = [];
  for (const id of ids) alone.push(await inspectStep(id, engine));
  return alone;
}
