/**
 * The last frame the TUI leaves on the terminal says what happened, with no keys that nothing
 * reads any more: `run` quit at once (the launcher's second Ctrl-C) says so instead of the live
 * turn, the stop notice and the keys; `watch` detached and a replay quit say so too.
 */
import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { Feed } from "../../../src/observer/feed.js";
import { App } from "../../../src/observer/tui/App.js";
import { waitFor } from "../../helpers/cli.js";
import { chunksFor, makeMessage, makeRecord, T0 } from "../../helpers/conversation.js";

let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

// the keys as the footer, the stop notice and the input line show them
const KEYS = ["q stop", "q detach", "q quit", "s story", "? help", "Ctrl-C ×2", "Ctrl-C again", "Enter"];
const QUIT = "Quit at once (a second Ctrl-C): the manager and the workers this run started were killed, without waiting any longer for the stop.";

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
const flat = (s: string): string => s.replace(/\s+/g, " ");

describe("the last frame", () => {
  it("run quit at once after a stop: says so, with the run's status as last seen, and no turn, notice or keys", async () => {
    const feed = new Feed();
    const m1 = makeMessage(1, "Good morning, Arjun. My fixed rate ends next month.");
    feed.push({ type: "record", record: makeRecord(), previous: null });
    feed.push({ type: "message", message: m1 });
    const m2 = makeMessage(2, "Then let us look at what the other bank offers you.");
    for (const chunk of chunksFor(m2, 6).slice(0, 3)) feed.push({ type: "tokens", chunk });
    const ui = mount(feed, "run");
    await ui.shows(/▍Arjun Mehta · advisor · turn 2 · \d+ tok/);
    ui.stdin.write("q");
    await ui.shows("stopping: the turn being generated is cut and kept · Ctrl-C again quits at once");
    feed.push({ type: "record", record: makeRecord({ status: "stopping", stop_reason: "user_stop", turns: 1 }), previous: null });
    await ui.shows("stopping (user_stop)");

    // what the launcher does on the second Ctrl-C (Tui.quit): the app drawn once more, then unmounted
    ui.rerender(<App feed={feed} mode="run" now={() => T0 + 5000} quit={{ how: "quit", text: QUIT }} />);
    const last = liveArea(ui.frame());
    expect(last).toMatch(/00:05 [█░]+ of 02:00 · turn 2 of 12 · quit · last seen stopping \(user_stop\)/);
    expect(flat(last)).toContain(QUIT);
    for (const key of KEYS) expect(last).not.toContain(key);
    expect(last).not.toContain("stopping: the turn being generated");
    expect(last).not.toContain("left ·");
    expect(last).not.toContain("▍Arjun Mehta");
    expect(last).not.toMatch(/tokens\s+t\/s last/);
  });

  it("watch: q leaves a frame that says it detached and left the run alone, without keys", async () => {
    const feed = new Feed();
    feed.push({ type: "record", record: makeRecord(), previous: null });
    const ui = mount(feed, "watch");
    await ui.shows("q detach");
    ui.stdin.write("q");
    await ui.shows("Detached: this terminal stopped watching; the run itself was not touched.");
    const last = liveArea(ui.frame());
    expect(last).toContain("· detached · last seen running");
    for (const key of KEYS) expect(last).not.toContain(key);
    expect(last).not.toContain("left ·");
  });

  it("replay: q leaves a frame that says the replay was quit, without keys", async () => {
    const feed = new Feed();
    feed.push({ type: "record", record: makeRecord(), previous: null });
    const ui = mount(feed, "replay");
    await ui.shows("q quit");
    ui.stdin.write("q");
    await ui.shows(/Replay quit before its end: dialogue show \S+ shows the whole run\./);
    const last = liveArea(ui.frame());
    expect(last).toContain("· replay quit");
    for (const key of KEYS) expect(last).not.toContain(key);
  });
});
