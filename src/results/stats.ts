// Statistics of timing samples (the rounds of `--repeat`), and when two sets of samples differ by
// more than their noise. Pure: numbers in, numbers out.
//
// Definitions (docs/definitions.md says the same for users):
// - median, min, max: of the samples as measured.
// - spread: ± half the interquartile range (quartiles by linear interpolation between closest
//   ranks, as numpy's default), what the table prints as "53s ±4". Robust to one slow outlier.
// - cv: coefficient of variation, sample standard deviation over the mean (0 for one sample).
// - beyond the noise: a is faster than b only when every sample of a is faster than every
//   sample of b (their min–max ranges do not overlap). With one sample each there is no measured
//   spread; the comparison then says so (`measured: false`) rather than claim a winner silently.

export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
  /** Half the interquartile range: the "±" of the table. 0 for fewer than two samples. */
  halfIqr: number;
  /** Coefficient of variation (sample sd / mean); 0 for one sample or a zero mean. */
  cv: number;
}

/** The q-quantile (0..1) of ascending `sorted`, interpolating linearly between closest ranks. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function median(samples: readonly number[]): number {
  return quantile([...samples].sort((a, b) => a - b), 0.5);
}

/** The statistics of `samples`; undefined when there are none. */
export function summarize(samples: readonly number[]): Spread | undefined {
  const xs = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const sd = n < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  return {
    n,
    median: quantile(xs, 0.5),
    min: xs[0]!,
    max: xs[n - 1]!,
    halfIqr: n < 2 ? 0 : (quantile(xs, 0.75) - quantile(xs, 0.25)) / 2,
    cv: mean === 0 ? 0 : sd / mean,
  };
}

/** How two timings compare: -1 a is faster, 1 b is faster, 0 a tie (within the noise). */
export type Order = -1 | 0 | 1;

/**
 * Compares two timings (lower is better). A winner only when the ranges do not overlap; equal
 * single samples tie. Without samples on one side, the side with samples wins (a missing time
 * counts as worst).
 */
export function compareTimes(a: Spread | undefined, b: Spread | undefined): Order {
  if (!a && !b) return 0;
  if (!a) return 1;
  if (!b) return -1;
  if (a.max < b.min) return -1;
  if (b.max < a.min) return 1;
  return 0;
}

/** Whether `a` is faster than `b` beyond the noise. */
export function fasterBeyondNoise(a: Spread | undefined, b: Spread | undefined): boolean {
  return compareTimes(a, b) === -1;
}
