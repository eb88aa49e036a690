// Untimed work held back until no timed work runs: each rung's inspection (a `docker save`
// through the analysis) and the removal of its image. Doing it right after the smoke test kept
// it in series with everything else; held back, it runs in the gaps between timed builds (when
// enough waits, before the next build starts) and at the end of a round, in batches: the
// images of one batch share one save, so the layers they have in common (their base image's)
// are exported and read once. Nothing here ever runs while a build is being timed: the runner
// drains the queue only between rungs. Pure scheduling; what a batch does is the caller's.

/** What the scheduling needs to know of a held item. */
export interface HeldItem {
  /** Items of one group may share a batch (same engine, same base image); others never do. */
  group: string;
  /** What the item holds on the engine's disk (its image's size). */
  bytes: number;
}

export type BatchJob<T> = (batch: T[]) => Promise<void>;

export interface DeferredLimits {
  /** Items that may wait before the next rung must wait for them to be done. */
  items: number;
  /** Bytes they may hold on the engine's disk before then (default: no bound but `items`). */
  bytes?: number;
  /** Batches run at once while draining. */
  parallel: number;
}

export class DeferredWork<T extends HeldItem> {
  private readonly waiting: T[] = [];

  constructor(
    readonly limits: DeferredLimits,
    private readonly job: BatchJob<T>,
  ) {
    const { items, parallel, bytes } = limits;
    if (!Number.isInteger(items) || items < 1) throw new Error(`DeferredWork: items ${items}`);
    if (!Number.isInteger(parallel) || parallel < 1)
      throw new Error(`DeferredWork: parallel ${parallel}`);
    if (bytes !== undefined && !(bytes > 0)) throw new Error(`DeferredWork: bytes ${bytes}`);
  }

  get pending(): number {
    return this.waiting.length;
  }

  add(item: T): void {
    this.waiting.push(item);
  }

  /** Drains when the limits are reached: call before starting timed work. */
  async makeRoom(): Promise<void> {
    const held = bytesOf(this.waiting);
    if (this.waiting.length >= this.limits.items || held >= (this.limits.bytes ?? Infinity))
      await this.drain();
  }

  /** Runs every waiting item, in batches (planBatches), `parallel` at a time; a batch's failure is its own. */
  async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const batches = planBatches(this.waiting.splice(0), this.limits.parallel);
      let next = 0;
      const worker = async () => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          await this.job(batch).catch(() => undefined);
        }
      };
      const workers = Math.min(this.limits.parallel, batches.length);
      await Promise.all(Array.from({ length: workers }, worker));
    }
  }
}

/** What items hold on the engine's disk, together. */
export function bytesOf(items: readonly HeldItem[]): number {
  return items.reduce((s, i) => s + i.bytes, 0);
}

/**
 * The batches to run: one per group (a group's shared layers are then exported once), and
 * while there are fewer batches than can run at once, the biggest one of several items is cut
 * in two of about equal bytes (the engine exports one save on one CPU: two saves use two, at
 * the price of exporting the shared layers twice). Biggest first, so that the longest starts
 * first. Items keep their order within a batch.
 */
export function planBatches<T extends HeldItem>(items: readonly T[], parallel: number): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const g = groups.get(item.group);
    if (g) g.push(item);
    else groups.set(item.group, [item]);
  }
  const batches = [...groups.values()];
  for (;;) {
    if (batches.length >= parallel) break;
    const splittable = batches
      .filter((b) => b.length > 1)
      .sort((a, b) => bytesOf(b) - bytesOf(a))[0];
    if (!splittable) break;
    batches.splice(batches.indexOf(splittable), 1, ...halves(splittable));
  }
  return batches.sort((a, b) => bytesOf(b) - bytesOf(a));
}

/** Cuts a batch (in its order) where the two sides' bytes differ least; both sides non-empty. */
function halves<T extends HeldItem>(batch: T[]): [T[], T[]] {
  const total = bytesOf(batch);
  let best = 1;
  let bestDiff = Infinity;
  let left = 0;
  for (let cut = 1; cut < batch.length; cut++) {
    left += batch[cut - 1]!.bytes;
    const diff = Math.abs(total - 2 * left);
    if (diff < bestDiff) {
      bestDiff = diff;
      best = cut;
    }
  }
  return [batch.slice(0, best), batch.slice(best)];
}
