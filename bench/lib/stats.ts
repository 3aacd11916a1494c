/** Percentiles (linear interpolation between closest ranks, numpy's default) and friends. */

export function percentile(xs: readonly number[], p: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = s[lo] as number;
  const b = s[hi] as number;
  return a + (b - a) * (rank - lo);
}

export function mean(xs: readonly number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((n, x) => n + x, 0) / xs.length;
}

export function median(xs: readonly number[]): number | null {
  return percentile(xs, 50);
}

export interface Dist {
  n: number;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export function dist(xs: readonly number[]): Dist {
  return {
    n: xs.length,
    mean: mean(xs),
    p50: percentile(xs, 50),
    p95: percentile(xs, 95),
    p99: percentile(xs, 99),
    max: xs.length === 0 ? null : Math.max(...xs),
  };
}

export function sum(xs: readonly number[]): number {
  return xs.reduce((n, x) => n + x, 0);
}
