/**
 * Seeded pseudo-random numbers for the simulated provider. Deterministic: the same seed gives
 * the same sequence on every machine. Never uses Math.random.
 */

/** 32-bit FNV-1a hash of a string, with a final avalanche so near-equal strings spread out. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: a small, fast PRNG with a 32-bit state; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly next01: () => number;

  /** a string seed is hashed with {@link hashString} */
  constructor(seed: number | string) {
    this.next01 = mulberry32(typeof seed === "string" ? hashString(seed) : seed);
  }

  /** a float in [0, 1) */
  next(): number {
    return this.next01();
  }

  /** an integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.next01() * n);
  }

  /** a float in [min, max) */
  range(min: number, max: number): number {
    return min + this.next01() * (max - min);
  }

  chance(p: number): boolean {
    return this.next01() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Rng.pick: empty list");
    return items[this.int(items.length)] as T;
  }

  /** `n` distinct items (fewer if the list is shorter), in random order */
  sample<T>(items: readonly T[], n: number): T[] {
    const pool = [...items];
    const out: T[] = [];
    while (out.length < n && pool.length > 0) {
      out.push(pool.splice(this.int(pool.length), 1)[0] as T);
    }
    return out;
  }
}
