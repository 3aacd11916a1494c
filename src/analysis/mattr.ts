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

  /** push() for each id in turn (the same sums in the same order), with the fields held in locals */
  pushAll(ids: Int32Array): void {
    const n = ids.length;
    if (n === 0) return;
    let max = 0;
    for (let i = 0; i < n; i++) if ((ids[i] as number) > max) max = ids[i] as number;
    if (max >= this.counts.length) {
      const c = new Int32Array(Math.max(max + 1, this.counts.length * 2));
      c.set(this.counts);
      this.counts = c;
    }
    const ring = this.ring;
    const counts = this.counts;
    const size = this.size;
    let { filled, pos, distinct, sum, windows } = this;
    for (let i = 0; i < n; i++) {
      const id = ids[i] as number;
      if (filled === size) {
        const out = ring[pos] as number;
        const left = (counts[out] as number) - 1;
        counts[out] = left;
        if (left === 0) distinct--;
      } else {
        filled++;
      }
      ring[pos] = id;
      pos = pos + 1 === size ? 0 : pos + 1;
      const c = (counts[id] as number) + 1;
      counts[id] = c;
      if (c === 1) distinct++;
      if (filled === size) {
        sum += distinct / size;
        windows++;
      }
    }
    this.filled = filled;
    this.pos = pos;
    this.distinct = distinct;
    this.sum = sum;
    this.windows = windows;
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
