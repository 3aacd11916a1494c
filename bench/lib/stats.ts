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
