// Untimed work held back until no timed work runs: each rung's inspection (a `docker save`
// through the analysis) and the removal of its image. Doing it right after the smoke test kept
// it in series with everything else; held back, it runs several at a time in the gaps between
// timed builds (when `limit` jobs wait, before the next build starts) and at the end of a round.
// Nothing here ever runs while a build is being timed: the runner drains the queue only
// between rungs. Pure scheduling; the jobs are the runner's.

export type DeferredJob = () => Promise<void>;

export class DeferredWork {
  private readonly waiting: DeferredJob[] = [];

  /**
   * @param limit jobs that may wait (each holds an image on the engine's disk) before the next
   *   rung must wait for them to be done
   * @param parallel jobs run at once while draining
   */
  constructor(
    readonly limit: number,
    readonly parallel: number,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`DeferredWork: limit ${limit}`);
    if (!Number.isInteger(parallel) || parallel < 1)
      throw new Error(`DeferredWork: parallel ${parallel}`);
  }

  get pending(): number {
    return this.waiting.length;
  }

  add(job: DeferredJob): void {
    this.waiting.push(job);
  }

  /** Drains when `limit` jobs wait: call before starting timed work. */
  async makeRoom(): Promise<void> {
    if (this.waiting.length >= this.limit) await this.drain();
  }

  /** Runs every waiting job, `parallel` at a time, in the order they came; a job's failure is its own. */
  async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const jobs = this.waiting.splice(0);
      let next = 0;
      const worker = async () => {
        while (next < jobs.length) {
          const job = jobs[next++]!;
          await job().catch(() => undefined);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.parallel, jobs.length) }, worker));
    }
  }
}
