/**
 * Hash tables of small non-negative integers (the 30-bit 3-gram keys of text.ts) on typed arrays:
 * no allocation per entry, so millions of updates cost little and make no garbage.
 *
 * - IntSet: membership, emptied in O(1) (a generation stamp per slot), reused message after message.
 * - IntCounter: counts that go up and down (a speaker's recent 3-grams); a key whose count is
 *   back to 0 keeps its slot until the table is rebuilt.
 */

const mix = (k: number): number => Math.imul(k, 0x9e3779b1) >>> 0;

export class IntSet {
  private keys: Int32Array;
  private stamps: Int32Array;
  private gen = 1;
  private used = 0;

  constructor(capacity = 1024) {
    this.keys = new Int32Array(capacity);
    this.stamps = new Int32Array(capacity);
  }

  clear(): void {
    this.gen++;
    this.used = 0;
  }

  /** true if `k` was not there */
  add(k: number): boolean {
    if ((this.used + 1) * 2 > this.keys.length) this.grow();
    const mask = this.keys.length - 1;
    for (let i = mix(k) & mask; ; i = (i + 1) & mask) {
      if (this.stamps[i] !== this.gen) {
        this.stamps[i] = this.gen;
        this.keys[i] = k;
        this.used++;
        return true;
      }
      if (this.keys[i] === k) return false;
    }
  }

  has(k: number): boolean {
    const mask = this.keys.length - 1;
    for (let i = mix(k) & mask; ; i = (i + 1) & mask) {
      if (this.stamps[i] !== this.gen) return false;
      if (this.keys[i] === k) return true;
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldStamps = this.stamps;
    const gen = this.gen;
    this.keys = new Int32Array(oldKeys.length * 2);
    this.stamps = new Int32Array(oldKeys.length * 2);
    this.gen = 1;
    this.used = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldStamps[i] === gen) this.add(oldKeys[i] as number);
  }
}

export class IntCounter {
  /** key + 1; 0 = empty slot */
  private keys: Int32Array;
  private counts: Int32Array;
  private used = 0;
  private live = 0;

  constructor(capacity = 1024) {
    this.keys = new Int32Array(capacity);
    this.counts = new Int32Array(capacity);
  }

  private slot(k: number): number {
    const mask = this.keys.length - 1;
    const stored = k + 1;
    let i = mix(k) & mask;
    while (this.keys[i] !== 0 && this.keys[i] !== stored) i = (i + 1) & mask;
    return i;
  }

  has(k: number): boolean {
    return (this.counts[this.slot(k)] as number) > 0;
  }

  /** the slot of `k`, taken for it if it had none (the table grown first when it is half full) */
  private claim(k: number): number {
    let i = this.slot(k);
    if (this.keys[i] === 0) {
      if ((this.used + 1) * 2 > this.keys.length) {
        this.rebuild();
        i = this.slot(k);
      }
      this.keys[i] = k + 1;
      this.used++;
    }
    return i;
  }

  inc(k: number): void {
    const i = this.claim(k);
    if ((this.counts[i] as number) === 0) this.live++;
    this.counts[i] = (this.counts[i] as number) + 1;
  }

  /**
   * For `ks` (distinct keys): how many of them have a count above 0, then inc() each — what
   * counting `has` over them and then inc'ing them gives, looking each key up once.
   */
  countThenInc(ks: Int32Array): number {
    let present = 0;
    for (let n = 0; n < ks.length; n++) {
      const i = this.claim(ks[n] as number);
      const c = this.counts[i] as number;
      if (c > 0) present++;
      else this.live++;
      this.counts[i] = c + 1;
    }
    return present;
  }

  dec(k: number): void {
    const i = this.slot(k);
    const c = this.counts[i] as number;
    if (c <= 0) return;
    this.counts[i] = c - 1;
    if (c === 1) this.live--;
  }

  /** keys with a count above 0 */
  get size(): number {
    return this.live;
  }

  /** drop the slots of keys counted down to 0; grow when the live keys need room */
  private rebuild(): void {
    const keys = this.keys;
    const counts = this.counts;
    const capacity = this.live * 4 > keys.length ? keys.length * 2 : keys.length;
    this.keys = new Int32Array(capacity);
    this.counts = new Int32Array(capacity);
    this.used = 0;
    for (let i = 0; i < keys.length; i++) {
      const c = counts[i] as number;
      if (c > 0) {
        const j = this.slot((keys[i] as number) - 1);
        this.keys[j] = keys[i] as number;
        this.counts[j] = c;
        this.used++;
      }
    }
  }
}
