import { describe, expect, it } from "vitest";
import { PoolNotices, REPEAT_MS } from "../../src/cli/pool-notices.js";

const lacking = (entries: Array<[string, string]>) => new Map(entries);
const GPU = "no worker serves pool gpu: its turns wait for one (dialogue worker --pool gpu)";
const GPU_TURN = "no worker serves pool gpu: Ana's turn (host) waits for one (dialogue worker --pool gpu)";

describe("what run --no-spawn says of the pools no live worker serves", () => {
  it("a line when it appears or changes, an unchanged one again only after a minute, and once when the pool is served again", () => {
    const n = new PoolNotices();
    expect(n.next(lacking([]), 0)).toEqual([]);
    expect(n.next(lacking([["gpu", GPU]]), 1000)).toEqual([`… ${GPU}`]);
    expect(n.next(lacking([["gpu", GPU]]), 6000)).toEqual([]);
    expect(n.next(lacking([["gpu", GPU_TURN]]), 11_000)).toEqual([`… ${GPU_TURN}`]);
    expect(n.next(lacking([["gpu", GPU_TURN]]), 11_000 + REPEAT_MS - 1)).toEqual([]);
    expect(n.next(lacking([["gpu", GPU_TURN]]), 11_000 + REPEAT_MS)).toEqual([`… ${GPU_TURN}`]);
    expect(n.next(lacking([]), 80_000)).toEqual(["… pool gpu is served again: a live worker takes its turns"]);
    expect(n.next(lacking([]), 85_000)).toEqual([]);
    // lost again: said again at once
    expect(n.next(lacking([["gpu", GPU]]), 90_000)).toEqual([`… ${GPU}`]);
  });
});
