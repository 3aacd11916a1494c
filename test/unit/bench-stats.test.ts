/**
 * The bench's median of whole-ms turn times (bench/lib/stats.ts groupedMedian): interpolated
 * within the millisecond it falls in, so it follows the share of turns on either side instead of
 * jumping a whole millisecond when the middle turn crosses from one value to the next.
 */
import { describe, expect, it } from "vitest";
import { groupedMedian, median } from "../../bench/lib/stats.js";

const sample = (counts: Record<number, number>): number[] => Object.entries(counts).flatMap(([v, n]) => Array<number>(n).fill(Number(v)));

describe("groupedMedian", () => {
  it("places the median within its millisecond by the share of the sample below and at it", () => {
    expect(groupedMedian([3, 3, 3, 3])).toBe(3);
    expect(groupedMedian([1, 2, 3, 4])).toBe(2.5);
    expect(groupedMedian([2, 2, 3, 3, 3, 4])).toBeCloseTo(2.5 + 1 / 3, 10);
    expect(groupedMedian([])).toBeNull();
  });

  it("moves a little where the plain median jumps a whole millisecond", () => {
    // 49% and 51% of 500 turns at 3 ms or less: plain medians 4 and 3
    const a = sample({ 2: 45, 3: 200, 4: 200, 5: 55 });
    const b = sample({ 2: 45, 3: 210, 4: 190, 5: 55 });
    expect([median(a), median(b)]).toEqual([4, 3]);
    expect(groupedMedian(a)).toBeCloseTo(3.5 + 5 / 200, 10);
    expect(groupedMedian(b)).toBeCloseTo(2.5 + 205 / 210, 10);
    expect(Math.abs((groupedMedian(a) as number) - (groupedMedian(b) as number))).toBeLessThan(0.1);
  });

  it("gives data that are not all whole numbers their plain median", () => {
    expect(groupedMedian([0.5, 1.25, 2])).toBe(1.25);
  });
});
