/**
 * Lexical diversity as the moving-average type-token ratio (MATTR, Covington & McFall 2010):
 * slide a window of W words over the text one word at a time, take distinct/W in each position,
 * and average. Fewer than W words: the plain type-token ratio. Streaming, O(1) per word, memory
 * O(W + vocabulary).
 */

/** the window of the moving-average type-token ratio, in words */
export const MATTR_WINDOW = 50;

export class Mattr {
  private readonly ring: Int32Array;
  private counts = new Int32Array(1024);
  private filled = 0;
  private pos = 0;
  private distinct = 0;
  private sum = 0;
  private windows = 0;

  constructor(readonly size = MATTR_WINDOW) {
    this.ring = new Int32Array(size);
  }

  /** add one word by its vocabulary id */
  push(id: number): void {
    if (id >= this.counts.length) {
      const c = new Int32Array(Math.max(id + 1, this.counts.length * 2));
      c.set(this.counts);
      this.counts = c;
    }
    if (this.filled === this.size) {
      const out = this.ring[this.pos] as number;
      const left = (this.counts[out] as number) - 1;
      this.counts[out] = left;
      if (left === 0) this.distinct--;
    } else {
      this.filled++;
    }
    this.ring[this.pos] = id;
    this.pos = (this.pos + 1) % this.size;
    const c = (this.counts[id] as number) + 1;
    this.counts[id] = c;
    if (c === 1) this.distinct++;
    if (this.filled === this.size) {
      this.sum += this.distinct / this.size;
      this.windows++;
    }
  }

  pushAll(ids: Int32Array): void {
    for (let i = 0; i < ids.length; i++) this.push(ids[i] as number);
  }

  /** MATTR so far; null before the first word */
  value(): number | null {
    if (this.windows > 0) return this.sum / this.windows;
    return this.filled === 0 ? null : this.distinct / this.filled;
  }
}

/** MATTR of a word list (for tests and one-off use) */
export function mattr(ws: readonly number[], size = MATTR_WINDOW): number | null {
  const m = new Mattr(size);
  for (const w of ws) m.push(w);
  return m.value();
}
