/**
 * While a run stops, the plain line says what it waits for: a model's turn in flight (it comes back
 * cut), or — when the open turn is a person's — that their turn is being closed (no turn is in
 * flight then: nothing is generating).
 */
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { Feed } from "../../src/observer/feed.js";
import { App } from "../../src/observer/tui/App.js";
import { plainRenderer } from "../../src/observer/plain.js";
import type { ConversationRecord } from "../../src/protocol/record.js";
import { chosen, makeCastRecord } from "../helpers/cast.js";
import { waitFor } from "../helpers/cli.js";
import { T0 } from "../helpers/conversation.js";

function linesFor(running: ConversationRecord): string {
  const out: string[] = [];
  const render = plainRenderer((s) => out.push(s), { live: true, reach: "" });
  const stopping: ConversationRecord = { ...running, status: "stopping", stop_reason: "user_stop" };
  render.onEvent({ type: "record", record: running, previous: null });
  render.onEvent({ type: "record", record: stopping, previous: running });
  return out.join("");
}

describe("the plain line while a run stops", () => {
  const r: ConversationRecord = { ...makeCastRecord(4, { people: ["commuter"] }), status: "running" };
  it("a person's open turn: it is being closed, not waited for as a turn in flight", () => {
    const text = linesFor(chosen(r, 2, "commuter"));
    expect(text).toMatch(/^… stopping \(user_stop\); closing Bongani Dlamini's turn 3$/m);
    expect(text).not.toContain("waiting for the turn in flight");
  });
  it("a model's turn: waiting for the turn in flight", () => {
    const text = linesFor(chosen(r, 1, "officer"));
    expect(text).toMatch(/^… stopping \(user_stop\); waiting for the turn in flight$/m);
  });
});

describe("the TUI while a run stops", () => {
  it("a person's open turn: the live area says it is being closed, not that a turn in flight comes back cut", async () => {
    const ui = render(<App feed={feedOf(chosen({ ...makeCastRecord(4, { people: ["commuter"] }), status: "running" }, 2, "commuter"))} mode="watch" now={() => T0 + 9000} />);
    try {
      await waitFor("the stopping row", async () => (ui.lastFrame() ?? "").includes("stopping: closing Bongani Dlamini's turn 3"), 10_000, 10);
      expect(ui.lastFrame()).not.toContain("waiting for the turn in flight");
    } finally {
      ui.unmount();
    }
  });
});

describe("the TUI when nothing is in flight", () => {
  it("the person's turn already closed when the stop is seen: just the stop, no turn in flight claimed", async () => {
    const r: ConversationRecord = { ...makeCastRecord(4, { people: ["commuter"] }), status: "running" };
    const ui = render(<App feed={feedOf({ ...chosen(r, 3, "shopkeeper"), pending_seq: 3 })} mode="watch" now={() => T0 + 9000} />);
    try {
      await waitFor("the stopping row", async () => (ui.lastFrame() ?? "").includes("stopping…"), 10_000, 10);
      expect(ui.lastFrame()).not.toMatch(/turn in flight|turn being generated/);
    } finally {
      ui.unmount();
    }
  });
});

function feedOf(running: ConversationRecord): Feed {
  const feed = new Feed();
  feed.push({ type: "record", record: running, previous: null });
  feed.push({ type: "record", record: { ...running, status: "stopping", stop_reason: "user_stop" }, previous: running });
  return feed;
}

describe("the plain line when nothing is in flight", () => {
  it("the person's turn already closed when the stop is seen, or no turn yet: just the stop, no turn in flight claimed", () => {
    const r: ConversationRecord = { ...makeCastRecord(4, { people: ["commuter"] }), status: "running" };
    // turn 3 (the person's) recorded skipped before the observer saw the stopping record: nothing pending
    expect(linesFor({ ...chosen(r, 3, "shopkeeper"), pending_seq: 3 })).toMatch(/^… stopping \(user_stop\)$/m);
    // the manager still writing the story
    expect(linesFor({ ...r, pending_seq: null, next_choice: null, turns: 0 })).toMatch(/^… stopping \(user_stop\)$/m);
  });
});
