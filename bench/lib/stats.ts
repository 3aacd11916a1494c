/**
 * The benchmarks' statistics: the analysis' own (src/analysis/stats.ts: percentiles by linear
 * interpolation between the closest ranks, numpy's default), with more decimals kept — a
 * benchmark figure is often a fraction of a millisecond — and the two helpers only the bench needs.
 */
import { dist as analysisDist, mean, percentile, type Dist } from "../../src/analysis/stats.js";

export { mean, percentile, type Dist };

export function median(xs: readonly number[]): number | null {
  return percentile(xs, 50);
}

export function dist(xs: readonly number[]): Dist {
  return analysisDist(xs, 6);
}

export function sum(xs: readonly number[]): number {
  return xs.reduce((n, x) => n + x, 0);
}

/**
 * The median of whole numbers (the difference of two epoch-ms timestamps), interpolated within the
 * millisecond it falls in, as for grouped data: each value k stands for the interval
 * [k − 0.5, k + 0.5), over which its share of the sample is spread evenly. A plain median of such
 * data jumps a whole millisecond when the middle turn crosses from one value to the next (3 ms or 4
 * against raw BullMQ's 2, with the same turns underneath); this one moves with the share of turns on
 * either side, and lands near the median a sub-millisecond clock measures. Data that are not all
 * whole numbers get their plain median.
 */
export function groupedMedian(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  if (!xs.every(Number.isInteger)) return median(xs);
  const sorted = [...xs].sort((a, b) => a - b);
  const half = sorted.length / 2;
  const k = sorted[Math.min(sorted.length - 1, Math.floor(half))] as number;
  let below = 0;
  let at = 0;
  for (const x of sorted) {
    if (x < k) below++;
    else if (x === k) at++;
  }
  return k - 0.5 + (half - below) / at;
}

