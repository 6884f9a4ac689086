// Nearest-rank percentiles: every reported figure is a latency that actually happened.
import type { CdfPoint, LatencySummary } from './report.js';

/**
 * Nearest-rank percentile of ascending `sorted`: the smallest sample such that at least p% of
 * the samples are ≤ it, i.e. sorted[ceil(p/100 · n) − 1] (p = 0 gives the minimum).
 * No interpolation, so p99 of 100 samples is the 99th smallest and p99 of one sample is that
 * sample. Returns null for no samples. `sorted` must be ascending; p must be in [0, 100].
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside [0, 100]`);
  const n = sorted.length;
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sorted[rank - 1] ?? null;
}

/** Sorts ascending in place and returns the array (numbers, not the default string order). */
export function sortNumbers(values: number[]): number[] {
  return values.sort((a, b) => a - b);
}

/** p50, p99 and max of unsorted samples. */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = sortNumbers([...samples]);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? null : (sorted[sorted.length - 1] ?? null),
  };
}

/** How many points a CDF keeps: enough for a smooth plot, small enough for report.json. */
export const CDF_POINTS = 200;

/**
 * Delivery CDF of ascending latencies, as a fraction of `expected` (not of the samples), so a
 * run that lost deliveries never reaches 1. Keeps at most `points` steps, always the last one.
 */
export function cdf(sorted: readonly number[], expected: number, points = CDF_POINTS): CdfPoint[] {
  const n = sorted.length;
  if (n === 0 || expected <= 0) return [];
  const step = Math.max(1, Math.ceil(n / points));
  const out: CdfPoint[] = [];
  for (let i = step - 1; i < n; i += step) out.push([sorted[i] ?? 0, (i + 1) / expected]);
  if (n % step !== 0) out.push([sorted[n - 1] ?? 0, n / expected]);
  return out;
}
