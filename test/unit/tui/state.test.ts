/**
 * The TUI's reducer: what a viewer sees from the events of a run — the turn streaming as its
 * message text (not the raw JSON), retries starting over, finished turns moving to the transcript
 * once, and the end.
 */
import { describe, expect, it } from "vitest";
import type { FeedEvent } from "../../../src/observer/feed.js";
import { initialState, reduce } from "../../../src/observer/tui/state.js";
import { agentStats } from "../../../src/observer/tui/stats.js";
import { chunksFor, makeMessage, makeRecord } from "../../helpers/conversation.js";

const record = makeRecord();
const opened: FeedEvent[] = [{ type: "record", record, previous: null }];
const m1 = makeMessage(1, "Good morning, Arjun. My fixed rate ends next month.", { tps: 20, ttft: 300, queue: 15 });
const m2 = makeMessage(2, "Morning, Elena! Let's look at what we can do.", { tps: 30, ttft: 200, queue: 5 });

describe("the TUI state", () => {
  it("puts the story and the personas into the transcript once, in that order", () => {
    const s = reduce(initialState, [...opened, { type: "record", record, previous: record }]);
    expect(s.items.map((i) => i.kind)).toEqual(["story", "personas"]);
  });

  it("shows a streaming turn as its message text, growing chunk by chunk", () => {
    const chunks = chunksFor(m1, 5);
    const half = reduce(initialState, [...opened, ...chunks.slice(0, 8).map((chunk): FeedEvent => ({ type: "tokens", chunk }))]);
    expect(half.live?.seq).toBe(1);
    expect(half.live?.raw.startsWith('{"message":"')).toBe(true);
    expect(m1.content.message.startsWith(half.live!.text)).toBe(true);
    expect(half.live!.text.length).toBeGreaterThan(0);
    expect(half.live!.text).not.toContain('"');
    const all = reduce(half, chunks.slice(8).map((chunk): FeedEvent => ({ type: "tokens", chunk })));
    expect(all.live?.text).toBe(m1.content.message);
    expect(all.live?.tokens).toBe(chunks.length);
  });

  it("moves a finished turn to the transcript and ignores its late chunks", () => {
    const chunks = chunksFor(m1);
    let s = reduce(initialState, [...opened, ...chunks.slice(0, 3).map((chunk): FeedEvent => ({ type: "tokens", chunk }))]);
    s = reduce(s, [{ type: "message", message: m1 }, { type: "message", message: m1 }]);
    expect(s.live).toBeNull();
    expect(s.messages).toHaveLength(1);
    expect(s.items.filter((i) => i.kind === "message")).toHaveLength(1);
    s = reduce(s, chunks.slice(3).map((chunk): FeedEvent => ({ type: "tokens", chunk })));
    expect(s.live).toBeNull();
  });

  it("starts over when a turn is retried, and ignores chunks of the earlier attempt", () => {
    const first = chunksFor(m1, 6, 1);
    const retry = chunksFor(m1, 6, 2);
    let s = reduce(initialState, [...opened, ...first.slice(0, 5).map((chunk): FeedEvent => ({ type: "tokens", chunk }))]);
    s = reduce(s, [{ type: "tokens", chunk: retry[0]! }, { type: "tokens", chunk: first[5]! }]);
    expect(s.live?.attempt).toBe(2);
    expect(s.live?.raw).toBe(retry[0]!.text);
  });

  it("adds the tokens of the turn in flight to its agent, and keeps tok/s per turn for the sparkline", () => {
    const chunks = chunksFor(makeMessage(3, "So what would a new fixed rate look like?"));
    const s = reduce(initialState, [
      ...opened,
      { type: "message", message: m1 },
      { type: "message", message: m2 },
      ...chunks.slice(0, 4).map((chunk): FeedEvent => ({ type: "tokens", chunk })),
    ]);
    const [customer, advisor] = agentStats(s);
    expect(customer).toMatchObject({ name: "Elena Nakamura", turns: 1, tokens: m1.metadata.tokens_generated + 4, last_tps: 20, last_ttft_ms: 300, last_queue_ms: 15, speaking: true });
    expect(advisor).toMatchObject({ name: "Arjun Mehta", turns: 1, tokens: m2.metadata.tokens_generated, tps_history: [30], speaking: false });
  });

  it("ends with every message, even those it had not seen", () => {
    const final = makeRecord({ status: "completed", stop_reason: "max_turns", ended_at: record.started_at! + 9000, turns: 2 });
    const s = reduce(initialState, [...opened, { type: "message", message: m1 }, { type: "end", record: final, messages: [m1, m2] }]);
    expect(s.ended).toBe(true);
    expect(s.messages.map((m) => m.metadata.sequence_number)).toEqual([1, 2]);
    expect(s.record?.status).toBe("completed");
    expect(s.live).toBeNull();
  });
});

describe("the feed", () => {
  it("keeps what was pushed before anyone listened, and delivers it in order", async () => {
    const { Feed } = await import("../../../src/observer/feed.js");
    const feed = new Feed();
    feed.push({ type: "notice", text: "a" });
    feed.push({ type: "notice", text: "b" });
    const seen: string[] = [];
    const off = feed.subscribe((e) => seen.push(e.type === "notice" ? e.text : e.type));
    feed.push({ type: "notice", text: "c" });
    off();
    feed.push({ type: "notice", text: "d" });
    expect(seen).toEqual(["a", "b", "c"]);
  });
});
