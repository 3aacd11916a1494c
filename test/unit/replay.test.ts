/**
 * Replay: a retained run as a timeline (the record at the start, each turn's chunks then its
 * message, the end), and the player that emits it against a clock `speed` times faster. Timing is
 * checked with fake timers (what is emitted by when on the virtual clock), never with a stopwatch.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { FeedEvent } from "../../src/observer/feed.js";
import { play, timeline } from "../../src/observer/replay.js";
import { chunksFor, makeMessage, makeRecord, T0 } from "../helpers/conversation.js";

const m1 = makeMessage(1, "Good morning, Arjun.", { start: T0 + 100, ms: 2000 });
const m2 = makeMessage(2, "Morning, Elena.", { start: T0 + 2200, ms: 1500 });
const m3 = makeMessage(3, "So, about that rate.", { start: T0 + 3800, ms: 1000, attempt: 2 });
const final = makeRecord({ status: "completed", stop_reason: "max_turns", ended_at: T0 + 5000, turns: 3, tokens_total: 30 });
const chunks = [...chunksFor(m1), ...chunksFor(m2), ...chunksFor(m3, 8, 1).slice(0, 3), ...chunksFor(m3, 8, 2)];

describe("replay timeline", () => {
  const events = timeline(final, [m3, m1, m2], chunks);

  it("opens with the record as it was when the dialogue started", () => {
    const first = events[0]!;
    expect(first.at).toBe(T0);
    expect(first.event.type).toBe("record");
    if (first.event.type !== "record") return;
    expect(first.event.record).toMatchObject({ status: "running", turns: 0, ended_at: null, stop_reason: null });
    expect(first.event.record.story).not.toBeNull();
  });

  it("streams each turn's chunks before its message, in time order, and ends with the final record", () => {
    const times = events.map((e) => e.at);
    expect(times).toEqual(times.toSorted((a, b) => a - b));
    const types = events.map((e) => e.event.type);
    expect(types.at(-1)).toBe("end");
    const messages = events.filter((e) => e.event.type === "message").map((e) => (e.event as { message: typeof m1 }).message.metadata.sequence_number);
    expect(messages).toEqual([1, 2, 3]);
    const m1At = events.find((e) => e.event.type === "message")!.at;
    expect(m1At).toBe(m1.metadata.finished_at);
    const m1Chunks = events.filter((e) => e.event.type === "tokens" && e.event.chunk.seq === 1);
    expect(m1Chunks.length).toBe(chunksFor(m1).length);
    expect(m1Chunks.every((e) => e.at <= m1At && e.at >= m1.metadata.started_at)).toBe(true);
    const end = events.at(-1)!;
    expect(end.at).toBe(T0 + 5000);
    expect(end.event.type === "end" && end.event.record.stop_reason).toBe("max_turns");
  });

  it("keeps only the chunks of the attempt that was recorded", () => {
    const t3 = events.filter((e) => e.event.type === "tokens" && e.event.chunk.seq === 3);
    expect(t3.length).toBe(chunksFor(m3, 8, 2).length);
    expect(t3.every((e) => e.event.type === "tokens" && e.event.chunk.attempt === 2)).toBe(true);
  });

  it("replays turns whose chunks were trimmed away as whole messages", () => {
    const bare = timeline(final, [m1, m2, m3], chunks.filter((c) => c.seq === 3));
    expect(bare.filter((e) => e.event.type === "tokens" && e.event.chunk.seq < 3)).toHaveLength(0);
    expect(bare.filter((e) => e.event.type === "message")).toHaveLength(3);
  });
});

describe("replay player", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("at speed 10 emits each event at a tenth of its original delay", async () => {
    vi.useFakeTimers();
    const events = timeline(final, [m1, m2, m3], chunks);
    const seen: FeedEvent[] = [];
    const player = play(events, 10, (e) => seen.push(e));
    const messagesBy = (): number => seen.filter((e) => e.type === "message").length;
    await vi.advanceTimersByTimeAsync(0);
    expect(seen[0]?.type).toBe("record");
    expect(player.now()).toBe(T0);
    // m1 finished 2100 ms into the run: 210 ms into the replay
    await vi.advanceTimersByTimeAsync(205);
    expect(messagesBy()).toBe(0);
    await vi.advanceTimersByTimeAsync(10);
    expect(messagesBy()).toBe(1);
    expect(player.now()).toBeGreaterThanOrEqual(T0 + 2100);
    // the run took 5000 ms: everything by 500 ms
    await vi.advanceTimersByTimeAsync(290);
    await player.done;
    expect(seen.at(-1)?.type).toBe("end");
    expect(seen.length).toBe(events.length);
  });

  it("at speed 0 emits everything at once", async () => {
    const events = timeline(final, [m1, m2, m3], chunks);
    const seen: FeedEvent[] = [];
    const player = play(events, 0, (e) => seen.push(e));
    await player.done;
    expect(seen.length).toBe(events.length);
    expect(player.now()).toBe(T0 + 5000);
  });

  it("stops when aborted", async () => {
    vi.useFakeTimers();
    const ac = new AbortController();
    const seen: FeedEvent[] = [];
    const player = play(timeline(final, [m1, m2, m3], chunks), 1, (e) => seen.push(e), ac.signal);
    await vi.advanceTimersByTimeAsync(1000);
    ac.abort();
    await player.done;
    expect(seen.some((e) => e.type === "end")).toBe(false);
  });
});
