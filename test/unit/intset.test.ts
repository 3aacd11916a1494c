/**
 * The typed-array hash tables behind the repetition detector, against plain Set and Map on
 * random operations (growth, rebuilds, counts going back to zero).
 */
import { describe, expect, it } from "vitest";
import { IntCounter, IntSet } from "../../src/analysis/intset.js";
import { Rng } from "../../src/llm/rng.js";

describe("IntSet", () => {
  it("behaves like a Set, across growth and clears", () => {
    const rng = new Rng(3);
    const s = new IntSet(4);
    for (let round = 0; round < 20; round++) {
      s.clear();
      const ref = new Set<number>();
      for (let i = 0; i < 500; i++) {
        const k = rng.int(300) * 7919;
        expect(s.add(k)).toBe(!ref.has(k));
        ref.add(k);
      }
      for (let k = 0; k < 300 * 7919; k += 7919) expect(s.has(k)).toBe(ref.has(k));
      expect(s.has(1)).toBe(false);
    }
  });
});

describe("IntCounter", () => {
  it("behaves like a Map of counts, keys dropping out at zero", () => {
    const rng = new Rng(5);
    const c = new IntCounter(4);
    const ref = new Map<number, number>();
    for (let i = 0; i < 20_000; i++) {
      const k = rng.int(2000) * 104_729;
      if (rng.chance(0.55) || !ref.get(k)) {
        c.inc(k);
        ref.set(k, (ref.get(k) ?? 0) + 1);
      } else {
        c.dec(k);
        const n = (ref.get(k) ?? 0) - 1;
        if (n === 0) ref.delete(k);
        else ref.set(k, n);
      }
      if (i % 997 === 0) {
        for (let j = 0; j < 2000; j++) expect(c.has(j * 104_729)).toBe(ref.has(j * 104_729));
        expect(c.size).toBe(ref.size);
      }
    }
    c.dec(123); // not there: no effect
    expect(c.has(123)).toBe(false);
  });
});

describe("IntCounter.countThenInc", () => {
  it("counts the keys already there, then counts each in: as has() over them, then inc() each", () => {
    const fused = new IntCounter(16);
    const plain = new IntCounter(16);
    let seed = 7;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 3000;
    const recent: Int32Array[] = [];
    for (let msg = 0; msg < 400; msg++) {
      const ks = Int32Array.from(new Set(Array.from({ length: 1 + (msg % 40) }, next)));
      let want = 0;
      for (const k of ks) if (plain.has(k)) want++;
      for (const k of ks) plain.inc(k);
      expect(fused.countThenInc(ks)).toBe(want);
      expect(fused.size).toBe(plain.size);
      recent.push(ks);
      if (recent.length > 12) {
        const old = recent.shift() as Int32Array;
        for (const k of old) {
          fused.dec(k);
          plain.dec(k);
        }
      }
    }
  });
});
