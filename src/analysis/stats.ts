/**
 * Small statistics over plain number arrays: mean, percentiles (linear interpolation between
 * the closest ranks, as numpy's default), distributions, rounding for stable JSON.
 */

export const mean = (xs: readonly number[]): number | null =>
  xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;

/** the p-th percentile (0-100) of an ascending array; null when empty */
export function percentileSorted(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}

export function percentile(xs: readonly number[], p: number): number | null {
  return percentileSorted([...xs].sort((a, b) => a - b), p);
}

export interface Dist {
  n: number;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export function dist(xs: readonly number[], digits = 3): Dist {
  const s = Float64Array.from(xs).sort();
  const arr = Array.from(s);
  const r = (v: number | null) => round(v, digits);
  return {
    n: xs.length,
    mean: r(mean(arr)),
    p50: r(percentileSorted(arr, 50)),
    p95: r(percentileSorted(arr, 95)),
    p99: r(percentileSorted(arr, 99)),
    max: r(arr.length ? (arr[arr.length - 1] as number) : null),
  };
}

/** rounds to `digits` decimals; null stays null */
export function round(v: number | null, digits = 4): number | null {
  if (v === null || !Number.isFinite(v)) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** a running sum and count, for means that need no array */
export class Acc {
  sum = 0;
  n = 0;
  max = Number.NEGATIVE_INFINITY;
  add(v: number): void {
    this.sum += v;
    this.n++;
    if (v > this.max) this.max = v;
  }
  /** adds a value; null (no data) is left out */
  addMaybe(v: number | null): void {
    if (v !== null) this.add(v);
  }
  mean(): number | null {
    return this.n === 0 ? null : this.sum / this.n;
  }
  maxOrNull(): number | null {
    return this.n === 0 ? null : this.max;
  }
}
