/**
 * What the live page's notice says while a run is stopping (observer/stopping.ts): what the stop
 * waits for, as the record and the person waited for say it.
 */
import { describe, expect, it } from "vitest";
import { stoppingText } from "../../src/observer/stopping.js";
import { makeRecord } from "../helpers/conversation.js";

describe("stoppingText", () => {
  const running = makeRecord({ status: "stopping", started_at: 1_000, turns: 3 });

  it("a person's open turn: the manager closes it", () => {
    expect(stoppingText({ ...running, pending_seq: 4 }, { name: "Ana Ruiz", turn: 4 })).toBe("stopping: closing Ana Ruiz's turn 4");
    // a server before the turn was sent
    expect(stoppingText({ ...running, pending_seq: 4 }, { name: "Ana Ruiz" })).toBe("stopping: closing Ana Ruiz's turn");
  });

  it("a model's turn being generated: it comes back, cut", () => {
    expect(stoppingText({ ...running, pending_seq: 4 }, null)).toBe("stopping: waiting for the turn being generated to come back, cut");
  });

  it("still preparing: the manager stops writing the story or the personas", () => {
    expect(stoppingText({ ...running, started_at: null, turns: 0, pending_seq: null, phase: null }, null)).toBe("stopping: the story being written is dropped");
    expect(stoppingText({ ...running, started_at: null, turns: 0, pending_seq: null, phase: "personas" }, null)).toBe("stopping: the personas being written are dropped");
  });

  it("nothing in flight (a turn already closed): stopping…", () => {
    expect(stoppingText({ ...running, pending_seq: 3 }, null)).toBe("stopping…");
    expect(stoppingText({ ...running, pending_seq: null }, null)).toBe("stopping…");
  });
});
