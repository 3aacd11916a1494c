/**
 * The TUI app with ink-testing-library: events from a feed reach the screen, the keys do what the
 * footer says, the layout follows a resize, and the end of the run becomes the summary screen.
 */
import { Text } from "ink";
import { render } from "ink-testing-library";
import { useCallback } from "react";
import stringWidth from "string-width";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Feed, type FeedEvent } from "../../../src/observer/feed.js";
import { App, type TuiKey } from "../../../src/observer/tui/App.js";
import { useBatchedReducer } from "../../../src/observer/tui/use-batched.js";
import { makeCastRecord } from "../../helpers/cast.js";
import { chunksFor, makeMessage, makeRecord, T0 } from "../../helpers/conversation.js";
import { waitFor } from "../../helpers/cli.js";

const record = makeRecord();
const m1 = makeMessage(1, "Good morning, Arjun. My fixed rate ends next month and I have another offer.");

function started(): Feed {
  const feed = new Feed();
  feed.push({ type: "record", record, previous: null });
  return feed;
}

const count = (s: string, sub: string): number => s.split(sub).length - 1;

let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

function mount(feed: Feed, mode: "run" | "watch" | "replay", onKey: (k: TuiKey) => void = () => undefined) {
  const r = render(<App feed={feed} mode={mode} onKey={onKey} now={() => T0 + 5000} />);
  cleanup.push(() => r.unmount());
  // the last frame drawn (with CI set, Ink writes a blank line as it unmounts, after the last frame)
  const frame = (): string => r.frames.findLast((f) => f.trim() !== "") ?? "";
  const shows = (what: string | RegExp) => waitFor(`the screen to show ${what}`, async () => (typeof what === "string" ? frame().includes(what) : what.test(frame())), 10_000, 10);
  return { ...r, frame, shows };
}

describe("the TUI app", () => {
  it("shows the story and personas, then a turn streaming, then the finished turn in the transcript", async () => {
    const feed = started();
    const ui = mount(feed, "run");
    await ui.shows("Story: The rate review");
    expect(ui.frame()).toContain("● Elena Nakamura — homeowner");
    const chunks = chunksFor(m1, 10);
    for (const chunk of chunks.slice(0, 5)) feed.push({ type: "tokens", chunk });
    await ui.shows(/▍Elena Nakamura · customer · turn 1 · 5 tok/);
    expect(ui.frame()).toContain("Good morning, A");
    for (const chunk of chunks.slice(5)) feed.push({ type: "tokens", chunk });
    feed.push({ type: "message", message: m1 });
    await ui.shows(/ttft 250 ms · 3\.00 s/);
    // the manager chooses the next speaker and writes it on the record before requesting the turn
    const chosen = makeRecord({ turns: 1, pending_seq: 2, next_choice: { seq: 2, agent_id: "advisor", how: "round_robin", by: "manager", reason: "after Elena Nakamura, in the agents' order", at: T0 + 3100 } });
    feed.push({ type: "record", record: chosen, previous: record });
    await ui.shows("Arjun Mehta · advisor · turn 2"); // next speaker, waiting
    expect(ui.frame()).toContain("waiting for ollama/llama3.2:3b on a worker of pool advisor");
    expect(ui.frame()).not.toContain("chosen"); // round robin goes without saying
  });

  it("in run, q asks to stop gracefully and Ctrl-C interrupts; both say what happens next", async () => {
    const keys: TuiKey[] = [];
    const ui = mount(started(), "run", (k) => keys.push(k));
    await ui.shows("q stop");
    ui.stdin.write("q");
    await ui.shows("stopping: the turn being generated is cut and kept · Ctrl-C again quits at once");
    ui.stdin.write("\u0003");
    await waitFor("the interrupt", async () => keys.length === 2, 10_000, 10);
    expect(keys).toEqual(["stop", "interrupt"]);
  });

  it("in watch, q detaches and the app exits", async () => {
    const keys: TuiKey[] = [];
    const feed = started();
    const ui = mount(feed, "watch", (k) => keys.push(k));
    await ui.shows("q detach");
    ui.stdin.write("q");
    await waitFor("detach", async () => keys.length === 1, 10_000, 10);
    expect(keys).toEqual(["detach"]);
    await ui.shows("Detached: ");
    const before = ui.frame();
    feed.push({ type: "message", message: m1 });
    await new Promise((r) => setTimeout(r, 100));
    expect(ui.frame()).toBe(before); // unmounted: nothing more is drawn
  });

  it("s shows and hides the story, ? the help", async () => {
    const ui = mount(started(), "replay");
    await ui.shows("q quit");
    expect(count(ui.frame(), "Setting: A glass-walled")).toBe(1); // in the transcript only
    ui.stdin.write("s");
    await waitFor("the story panel", async () => count(ui.frame(), "Setting: A glass-walled") === 2, 10_000, 10);
    ui.stdin.write("s");
    await waitFor("the story panel to close", async () => count(ui.frame(), "Setting: A glass-walled") === 1, 10_000, 10);
    ui.stdin.write("?");
    await ui.shows("show or hide this help");
  });

  it("↓ and ↑ scroll the story panel when it does not fit; s closes it and it opens at its top again", async () => {
    // eight personas: more than the panel's room in a 24-row terminal
    const feed = new Feed();
    feed.push({ type: "record", record: makeCastRecord(8), previous: null });
    const ui = mount(feed, "replay");
    await ui.shows("q quit");
    ui.stdin.write("s");
    await ui.shows(/… \d+ more rows \(↑ ↓ scroll\)/);
    for (const n of [1, 2, 3]) {
      ui.stdin.write("\u001B[B");
      await ui.shows(new RegExp(`… ${n} rows? above`));
    }
    ui.stdin.write("\u001B[A");
    await ui.shows(/… 2 rows above/);
    ui.stdin.write("s");
    await waitFor("the story panel to close", async () => !ui.frame().includes("rows above"), 10_000, 10);
    ui.stdin.write("s");
    await ui.shows(/… \d+ more rows \(↑ ↓ scroll\)/);
    expect(ui.frame()).not.toContain("rows above");
  });

  it("keys typed together in one read (?s) each count: the help, then the story", async () => {
    const ui = mount(started(), "replay");
    await ui.shows("q quit");
    ui.stdin.write("?s");
    await waitFor("the help and the story panel", async () => ui.frame().includes("show or hide this help") && /^ {2}Story: The rate review/m.test(ui.frame()), 10_000, 10);
  });

  it("on a shrink, clears the screen and the scrollback and writes the transcript again at the new width", async () => {
    const feed = started();
    const ui = mount(feed, "watch");
    feed.push({ type: "message", message: m1 });
    await ui.shows(/ttft 250 ms/);
    const written: string[] = [];
    const write = ui.stdout.write.bind(ui.stdout);
    ui.stdout.write = ((s: string) => {
      written.push(s);
      return write(s);
    }) as typeof ui.stdout.write;
    Object.defineProperty(ui.stdout, "columns", { value: 80, configurable: true });
    ui.stdout.emit("resize");
    const clear = (): number => written.findIndex((w) => w.includes("\u001b[2J\u001b[3J\u001b[H"));
    await waitFor("the terminal cleared", async () => clear() >= 0, 10_000, 10);
    // (Ink's test mode writes all static output with each frame: the transcript written again shows as a second copy)
    await waitFor("the transcript written again", async () => written.some((w, i) => i > clear() && count(w, "Story: The rate review") === 2 && count(w, "Good morning, Arjun") === 2), 10_000, 10);
    // growing the window clears nothing
    const before = written.length;
    Object.defineProperty(ui.stdout, "columns", { value: 120, configurable: true });
    ui.stdout.emit("resize");
    await new Promise((r) => setTimeout(r, 100));
    expect(written.slice(before).some((w) => w.includes("\u001b[3J"))).toBe(false);
  });

  it("follows a resize to 80 columns", async () => {
    const feed = started();
    const ui = mount(feed, "watch");
    for (const chunk of chunksFor(makeMessage(1, "word ".repeat(200)), 20)) feed.push({ type: "tokens", chunk });
    await ui.shows("▍Elena Nakamura");
    Object.defineProperty(ui.stdout, "columns", { value: 80, configurable: true });
    Object.defineProperty(ui.stdout, "rows", { value: 24, configurable: true });
    ui.stdout.emit("resize");
    await waitFor("the 80-column layout", async () => /^─{80}$/m.test(ui.frame()), 10_000, 10);
    const live = ui.frame().slice(ui.frame().lastIndexOf("DialogueLLM"));
    expect(Math.max(...live.split("\n").map((l) => stringWidth(l)))).toBeLessThanOrEqual(80);
    expect(live.split("\n").length).toBeLessThanOrEqual(22);
  });

  it("shows the summary at the end and exits", async () => {
    const feed = started();
    const ui = mount(feed, "run");
    const final = makeRecord({ status: "stopped", stop_reason: "user_stop", ended_at: T0 + 3500, turns: 1 });
    feed.push({ type: "end", record: final, messages: [m1] });
    // every frame written, not only the last: with CI set, Ink writes one more (bare) frame as it
    // exits, and that exit is what this test checks too
    const summary = await waitFor("a frame with the summary", async () => ui.frames.findLast((f) => f.includes("Ended: stopped (user_stop) · 1 turn · ")), 10_000, 10);
    expect(summary).not.toContain("q stop");
    expect(summary).toMatch(/Elena Nakamura.*\n.*Arjun Mehta/s); // both agents' rows
    const before = ui.frames.length;
    feed.push({ type: "message", message: makeMessage(2, "After the end.") });
    await new Promise((r) => setTimeout(r, 100));
    expect(ui.frames.length).toBe(before); // exited: nothing more is drawn
  });
});

describe("batching (useBatchedReducer)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function Probe({ feed, onRender }: { feed: Feed; onRender: () => void }) {
    const subscribe = useCallback((l: (e: FeedEvent) => void) => feed.subscribe(l), [feed]);
    const tokens = useBatchedReducer(subscribe, countTokens, 0, 33);
    onRender();
    return <Text>{tokens} tokens</Text>;
  }
  const countTokens = (n: number, batch: readonly FeedEvent[]): number => n + batch.filter((e) => e.type === "tokens").length;
  /** fake timers fire the flush; React commits in a real macrotask after it */
  const advance = async (ms: number): Promise<void> => {
    await vi.advanceTimersByTimeAsync(ms);
    await new Promise((r) => setImmediate(r));
  };

  it("a burst of 300 token chunks reaches the screen in one update, after the flush interval", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const feed = new Feed();
    let renders = 0;
    const r = render(<Probe feed={feed} onRender={() => renders++} />);
    cleanup.push(() => r.unmount());
    await advance(0);
    expect(r.lastFrame()).toBe("0 tokens");
    const before = renders;
    const chunks = chunksFor(makeMessage(1, "x ".repeat(300)), 2);
    expect(chunks.length).toBeGreaterThan(300);
    for (const chunk of chunks) feed.push({ type: "tokens", chunk });
    await advance(32);
    expect(r.lastFrame()).toBe("0 tokens"); // nothing drawn before the flush
    expect(renders).toBe(before);
    await advance(1);
    expect(r.lastFrame()).toBe(`${chunks.length} tokens`);
    expect(renders).toBe(before + 1);
  });

  it("a steady stream is drawn at most once per 33 ms", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const feed = new Feed();
    let renders = 0;
    const r = render(<Probe feed={feed} onRender={() => renders++} />);
    cleanup.push(() => r.unmount());
    await advance(0);
    const before = renders;
    const chunks = chunksFor(makeMessage(1, "y ".repeat(300)), 2).slice(0, 500);
    for (const chunk of chunks) {
      feed.push({ type: "tokens", chunk }); // one chunk every 2 ms: 500 a second for a second
      await advance(2);
    }
    await advance(40);
    expect(r.lastFrame()).toBe(`${chunks.length} tokens`);
    expect(renders - before).toBeLessThanOrEqual(Math.ceil((chunks.length * 2) / 33) + 1);
    expect(renders - before).toBeGreaterThan(10);
  });
});
