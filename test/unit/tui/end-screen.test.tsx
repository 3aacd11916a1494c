/**
 * The end screen says the run's real final status: a replay of a run that had not ended when it
 * was read ("what is recorded so far") says so — in the TUI and in plain text — never "Ended:
 * running"; a failed run's end (watch, replay) says failed, why, and its failed and skipped turns,
 * with no keys.
 */
import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { summarize } from "../../../src/analysis/summary.js";
import { Feed } from "../../../src/observer/feed.js";
import { summaryText } from "../../../src/observer/plain.js";
import { App } from "../../../src/observer/tui/App.js";
import type { DialogMessage } from "../../../src/protocol/schemas.js";
import { makeCastRecord, makeTurn } from "../../helpers/cast.js";
import { waitFor } from "../../helpers/cli.js";
import { makeMessage, makeRecord, T0 } from "../../helpers/conversation.js";

let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

// the keys as the footer shows them
const KEYS = ["q stop", "q detach", "q quit", "s story", "? help", "Ctrl-C ×2"];

function mount(feed: Feed, mode: "run" | "watch" | "replay") {
  const ui = render(<App feed={feed} mode={mode} now={() => T0 + 5000} />);
  cleanup.push(() => ui.unmount());
  // the last frame drawn (with CI set, Ink writes a blank line as it unmounts, after the last frame)
  const frame = (): string => ui.frames.findLast((f) => f.trim() !== "") ?? "";
  const shows = (what: string | RegExp) => waitFor(`the screen to show ${what}`, async () => (typeof what === "string" ? frame().includes(what) : what.test(frame())), 10_000, 10);
  return { ...ui, frame, shows };
}

/** the live area: what is below the transcript (the header on) */
const liveArea = (frame: string): string => frame.slice(frame.lastIndexOf("DialogueLLM · "));

describe("the end screen", () => {
  it("of a replay of a run that had not ended: says so, never that it ended", async () => {
    const feed = new Feed();
    const running = makeRecord({ turns: 1 });
    feed.push({ type: "record", record: running, previous: null });
    const ui = mount(feed, "replay");
    feed.push({ type: "end", record: running, messages: [makeMessage(1, "Good morning, Arjun.")] });
    await ui.shows("Not ended (running when read) · 1 turn · ");
    expect(ui.frame()).not.toContain("Ended: running");
  });

  it("of a failed run (watch, replay): failed, the reason, its failed and skipped turns, and no keys", async () => {
    const r = makeCastRecord(3, { people: ["shopkeeper"] });
    const messages = [makeTurn(r, 1, "chair", "Welcome."), makeTurn(r, 2, "officer", "The route runs down the high street."), makeTurn(r, 3, "shopkeeper", "", { skipped: true })];
    const failedTurn: DialogMessage = { ...makeTurn(r, 4, "chair", ""), failed: true, error: "model not found" };
    const final = { ...r, status: "failed" as const, stop_reason: "error" as const, error: "chair: model not found", ended_at: T0 + 16_000, turns: 4 };
    for (const mode of ["watch", "replay"] as const) {
      const feed = new Feed();
      feed.push({ type: "record", record: final, previous: null });
      feed.push({ type: "end", record: final, messages: [...messages, failedTurn] });
      const ui = mount(feed, mode);
      await ui.shows("Ended: failed (error) · 4 turns (1 skipped, 1 failed)");
      const last = liveArea(ui.frame());
      expect(last).toContain("error: chair: model not found");
      for (const key of KEYS) expect(last).not.toContain(key);
    }
  });
});

describe("the plain end line", () => {
  const messages = [makeMessage(1, "Good morning, Arjun."), makeMessage(2, "Good morning, Elena.")];

  it("of a replay of a run still running: not ended, with its status when read", () => {
    const text = summaryText(summarize(makeRecord({ turns: 2 }), messages));
    expect(text).toMatch(/^Not ended \(running when read\) · 2 turns · /);
    expect(text).not.toContain("Ended: running");
  });

  it("of a finished run: how it ended", () => {
    const text = summaryText(summarize(makeRecord({ status: "stopped", stop_reason: "user_stop", ended_at: T0 + 8000, turns: 2 }), messages));
    expect(text).toMatch(/^Ended: stopped \(user_stop\) · 2 turns · /);
  });
});
