// Dispatch of rungs over several engines: each engine takes up to `perEngine` builds at once
// (1 by default: concurrent builds on one engine share its CPU and disk, and distort each
// other's build times), and every rung goes to the least-busy engine that can build it.
// Pure logic (pickEngine) plus a small promise-based pool; no Docker here.

export interface EngineLoad {
  /** Builds running on it now. */
  active: number;
  /** Builds it may run at once. */
  capacity: number;
  /** Builds given to it so far in this run (spreads work evenly when loads are equal). */
  assigned: number;
}

/**
 * The engine a task should go to: among the eligible engines with a free slot, the one with the
 * lowest load (active / capacity), then the fewest tasks assigned so far, then the first.
 * undefined when every eligible engine is full.
 */
export function pickEngine(
  loads: readonly EngineLoad[],
  eligible: (index: number) => boolean = () => true,
): number | undefined {
  let best: number | undefined;
  for (let i = 0; i < loads.length; i++) {
    const l = loads[i]!;
    if (l.active >= l.capacity || !eligible(i)) continue;
    if (best === undefined) {
      best = i;
      continue;
    }
    const b = loads[best]!;
    const load = l.active / l.capacity;
    const bestLoad = b.active / b.capacity;
    if (load < bestLoad || (load === bestLoad && l.assigned < b.assigned)) best = i;
  }
  return best;
}

export class NoEligibleEngine extends Error {}

interface Waiting<E> {
  task: (engine: E, index: number) => Promise<unknown>;
  eligible?: (engine: E, index: number) => boolean;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * Runs tasks on engines, at most `perEngine` at a time on each, in submission order: a task
 * waits only while every engine it may run on is full (later tasks for other engines go ahead).
 */
export class EnginePool<E> {
  private readonly loads: EngineLoad[];
  private readonly waiting: Waiting<E>[] = [];

  constructor(
    readonly engines: readonly E[],
    perEngine: number,
  ) {
    if (engines.length === 0) throw new Error("EnginePool: no engines");
    if (!Number.isInteger(perEngine) || perEngine < 1) {
      throw new Error(`EnginePool: perEngine must be a whole number >= 1, got ${perEngine}`);
    }
    this.loads = engines.map(() => ({ active: 0, capacity: perEngine, assigned: 0 }));
  }

  /** Builds running now, per engine (for progress and tests). */
  active(): number[] {
    return this.loads.map((l) => l.active);
  }

  /**
   * Runs `task` on the least-busy engine `eligible` allows (any, without it). Rejects with
   * NoEligibleEngine at once when no engine of the pool is eligible.
   */
  run<T>(
    task: (engine: E, index: number) => Promise<T>,
    eligible?: (engine: E, index: number) => boolean,
  ): Promise<T> {
    if (eligible && !this.engines.some((e, i) => eligible(e, i))) {
      return Promise.reject(new NoEligibleEngine("no engine can run this task"));
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        task,
        eligible,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (let w = 0; w < this.waiting.length;) {
      const item = this.waiting[w]!;
      const i = pickEngine(
        this.loads,
        item.eligible ? (idx) => item.eligible!(this.engines[idx]!, idx) : undefined,
      );
      if (i === undefined) {
        w++;
        continue;
      }
      this.waiting.splice(w, 1);
      const load = this.loads[i]!;
      load.active++;
      load.assigned++;
      // A task that throws synchronously still frees its slot.
      Promise.resolve()
        .then(() => item.task(this.engines[i]!, i))
        .then(item.resolve, item.reject)
        .finally(() => {
          load.active--;
          this.dispatch();
        });
    }
  }
}
