/**
 * The person's input line in the TUI app (ink-testing-library): at a person's turn in `run` it
 * opens by itself and takes every key but Ctrl-C (q is typed, not a stop); Enter says the text
 * through the `say` it was given, as that agent; Esc gives the keys back and Enter reopens it; a
 * refused say shows why and keeps the text; in `watch` the line is offered and Enter opens it;
 * a replay offers none (nor a countdown); when the turn is no longer waited for, the line goes. Text typed and not
 * sent by the line when its turn ends (answered elsewhere, skipped, a say refused too late) is not
 * carried into the person's next turn: that turn's line starts empty, under a row saying so.
 */
import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { Feed } from "../../../src/observer/feed.js";
import { App, type TuiKey } from "../../../src/observer/tui/App.js";
import { chosen, makeCastRecord, makeTurn } from "../../helpers/cast.js";
import { T0 } from "../../helpers/conversation.js";
import { waitFor } from "../../helpers/cli.js";

const r = makeCastRecord(3, { people: ["shopkeeper"] });
const turns = [makeTurn(r, 1, "chair", "Welcome."), makeTurn(r, 2, "officer", "The route runs down the high street.")];
const waiting = chosen(r, 2, "shopkeeper", undefined, T0 + 8000);

let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

function mount(mode: "run" | "watch" | "replay", say?: (as: string, text: string, turn: number) => Promise<unknown>) {
  const feed = new Feed();
  feed.push({ type: "record", record: waiting, previous: null });
  for (const message of turns) feed.push({ type: "message", message });
  const keys: TuiKey[] = [];
  const ui = render(<App feed={feed} mode={mode} onKey={(k) => keys.push(k)} say={say} now={() => T0 + 10_000} />);
  cleanup.push(() => ui.unmount());
  const frame = (): string => ui.lastFrame() ?? "";
  const shows = (what: string | RegExp) => waitFor(`the screen to show ${what}`, async () => (typeof what === "string" ? frame().includes(what) : what.test(frame())), 10_000, 10);
  /** one key at a time, as a person types (each its own read) */
  const type = async (text: string): Promise<void> => {
    for (const ch of text) {
      ui.stdin.write(ch);
      await new Promise((res) => setTimeout(res, 5));
    }
  };
  return { ui, feed, keys, frame, shows, type };
}

/** the person's turn `seq` is recorded as `answer` (not by this line), then the two models speak and it is the person's turn again */
async function turnGoesBy(t: ReturnType<typeof mount>, answer: ReturnType<typeof makeTurn>, seq = 3): Promise<void> {
  t.feed.push({ type: "message", message: answer });
  t.feed.push({ type: "record", record: chosen(r, seq, "chair"), previous: null });
  await t.shows(`▍Margaret Oyelaran-Whitfield · chair · turn ${seq + 1}`);
  t.feed.push({ type: "message", message: makeTurn(r, seq + 1, "chair", "Thank you. Officer?") });
  t.feed.push({ type: "message", message: makeTurn(r, seq + 2, "officer", "Works would take two years.") });
  t.feed.push({ type: "record", record: chosen(r, seq + 2, "shopkeeper"), previous: null });
}

describe("the person's input line", () => {
  it("run: the very first frame of the person's turn has the line open (never the watcher's 'Enter: answer as …' for a moment)", async () => {
    const t = mount("run", async () => undefined);
    await t.shows("Your turn, ");
    const atTurn = t.ui.frames.filter((f) => f.includes("Aiko Tanaka") && /s left/.test(f));
    expect(atTurn.length).toBeGreaterThan(0);
    for (const f of atTurn) expect(f).not.toContain("Enter: answer as");
  });

  it("run: opens at the person's turn; q, s and ? are typed; Enter says it as that agent; the line goes when the turn is recorded", async () => {
    const said: Array<[string, string]> = [];
    const t = mount("run", async (as, text) => {
      said.push([as, text]);
    });
    await t.shows("Your turn, Aiko Tanaka — type and press Enter; Esc: back to the keys");
    expect(t.frame()).toContain("58 s left");
    await t.type("qs? Fewer buses, more trams");
    await t.shows("› qs? Fewer buses, more trams");
    expect(t.keys).toEqual([]); // q stopped nothing
    expect(t.frame()).not.toContain("show or hide this help");
    t.ui.stdin.write("\u007f"); // Backspace
    await t.shows(/› qs\? Fewer buses, more tram(?!s)/);
    t.ui.stdin.write("\r");
    await waitFor("the say", async () => said.length === 1, 10_000, 10);
    expect(said).toEqual([["shopkeeper", "qs? Fewer buses, more tram"]]);
    await t.shows("sent; waiting for the manager to record it");
    // the manager records it: the message arrives, the next speaker is chosen
    const answer = makeTurn(r, 3, "shopkeeper", "qs? Fewer buses, more tram");
    t.feed.push({ type: "message", message: answer });
    t.feed.push({ type: "record", record: chosen(r, 3, "chair"), previous: waiting });
    await t.shows(/▍Margaret Oyelaran-Whitfield · chair · turn 4/);
    expect(t.frame()).toContain("typed by a person · 3.0 s after the turn was offered");
    expect(t.frame()).not.toContain("Your turn");
    expect(t.frame()).toContain("q stop · s story");
  });

  it("run: Esc gives the keys back (q stops), Enter opens the line again with the text kept; Ctrl-C stops even while typing", async () => {
    const t = mount("run", async () => undefined);
    await t.shows("Your turn, Aiko Tanaka");
    await t.type("Half done");
    await t.shows("› Half done");
    t.ui.stdin.write("\u001b"); // Esc
    await t.shows("Enter: answer as Aiko Tanaka here; or from another terminal:");
    expect(t.frame()).toContain(`    dialogue say ${r.spec.id} --turn 3 "…"`);
    expect(t.frame()).toContain("Enter answer · q stop");
    // a taller terminal, so the help has room for every row
    Object.defineProperty(t.ui.stdout, "rows", { value: 40, configurable: true });
    t.ui.stdout.emit("resize");
    t.ui.stdin.write("?");
    await t.shows("show or hide this help");
    expect(t.frame()).toContain("Esc          close the line");
    t.ui.stdin.write("\r");
    await t.shows("Your turn, Aiko Tanaka");
    expect(t.frame()).toContain("› Half done");
    t.ui.stdin.write("\u0003"); // Ctrl-C
    await waitFor("the interrupt", async () => t.keys.length === 1, 10_000, 10);
    expect(t.keys).toEqual(["interrupt"]);
    t.ui.stdin.write("\u001b");
    await t.shows("Enter answer · q stop");
    t.ui.stdin.write("q");
    await waitFor("the stop", async () => t.keys.length === 2, 10_000, 10);
    expect(t.keys).toEqual(["interrupt", "stop"]);
  });

  it("a say that is refused shows why and keeps the text to try again; Ctrl-U clears, Ctrl-W deletes a word", async () => {
    let refuse = true;
    const said: string[] = [];
    const t = mount("run", async (_as, text) => {
      if (refuse) throw new Error("it is not shopkeeper's turn (turn 3 is chair's)");
      said.push(text);
    });
    await t.shows("Your turn, Aiko Tanaka");
    await t.type("Too late");
    t.ui.stdin.write("\r");
    await t.shows("not sent: it is not shopkeeper's turn (turn 3 is chair's) · Enter tries again");
    expect(t.frame()).toContain("› Too late");
    t.ui.stdin.write("\u0017"); // Ctrl-W
    await t.shows(/› Too$/m);
    t.ui.stdin.write("\u0015"); // Ctrl-U
    await t.shows(/^ {2}›$/m);
    refuse = false;
    await t.type("Again");
    t.ui.stdin.write("\r");
    await waitFor("the say", async () => said.length === 1, 10_000, 10);
    expect(said).toEqual(["Again"]);
  });

  it("watch: offered, not opened (q detaches); Enter opens it and sends", async () => {
    const said: string[] = [];
    const t = mount("watch", async (_as, text) => {
      said.push(text);
    });
    await t.shows("Enter: answer as Aiko Tanaka here");
    expect(t.frame()).toContain("Enter answer · q detach");
    t.ui.stdin.write("\r");
    await t.shows("Your turn, Aiko Tanaka");
    expect(t.frame()).toContain("Ctrl-C detach");
    await t.type("From the other terminal");
    t.ui.stdin.write("\r");
    await waitFor("the say", async () => said.length === 1, 10_000, 10);
    expect(said).toEqual(["From the other terminal"]);
  });

  it("keys typed fast arrive together: 'text' and Enter in one read send it", async () => {
    const said: string[] = [];
    const t = mount("run", async (_as, text) => {
      said.push(text);
    });
    await t.shows("Your turn, Aiko Tanaka");
    t.ui.stdin.write("All at once\r");
    await waitFor("the say", async () => said.length === 1, 10_000, 10);
    expect(said).toEqual(["All at once"]);
  });

  it("run: text typed but not sent when the turn is answered elsewhere is not carried into the next turn: the line starts empty, a row says it was not sent", async () => {
    const said: Array<[string, string]> = [];
    const t = mount("run", async (as, text) => {
      said.push([as, text]);
    });
    await t.shows("Your turn, Aiko Tanaka");
    await t.type("my draft");
    await t.shows("› my draft");
    // dialogue say from another terminal answers turn 3; the run goes on to the person's next turn
    await turnGoesBy(t, makeTurn(r, 3, "shopkeeper", "Answered from another terminal."));
    await t.shows(/▍Aiko Tanaka · shopkeeper · turn 6/);
    await t.shows("Your turn, Aiko Tanaka");
    await t.shows(/^ {2}›$/m); // the line is empty: "my draft" is not carried over
    expect(t.frame()).toContain("turn 3 was answered elsewhere or skipped: what you typed was not sent — “my draft”");
    await t.type("Last word from me");
    t.ui.stdin.write("\r");
    await waitFor("the say", async () => said.length === 1, 10_000, 10);
    expect(said).toEqual([["shopkeeper", "Last word from me"]]);
  });

  it("Enter says it for the turn it was typed at (as dialogue say --turn), so a say that reaches Redis after that turn cannot land on a later one", async () => {
    const said: Array<[string, string, number]> = [];
    const t = mount("run", async (as, text, turn) => {
      said.push([as, text, turn]);
    });
    await t.shows(/▍Aiko Tanaka · shopkeeper · turn 3/);
    t.ui.stdin.write("For turn three\r");
    await waitFor("the first say", async () => said.length === 1, 10_000, 10);
    await turnGoesBy(t, makeTurn(r, 3, "shopkeeper", "For turn three"));
    await t.shows(/▍Aiko Tanaka · shopkeeper · turn 6/);
    await t.shows("Your turn, Aiko Tanaka");
    t.ui.stdin.write("For turn six\r");
    await waitFor("the second say", async () => said.length === 2, 10_000, 10);
    expect(said).toEqual([
      ["shopkeeper", "For turn three", 3],
      ["shopkeeper", "For turn six", 6],
    ]);
  });

  it("watch: text left in the closed line when the turn is skipped (no answer in time) is not sent, and the next turn says so", async () => {
    const said: string[] = [];
    const t = mount("watch", async (_as, text) => {
      said.push(text);
    });
    await t.shows("Enter: answer as Aiko Tanaka here");
    t.ui.stdin.write("\r");
    await t.shows("Your turn, Aiko Tanaka");
    await t.type("half a thought");
    t.ui.stdin.write("\u001b"); // Esc: the text stays in the closed line
    await t.shows("Enter: answer as Aiko Tanaka here");
    expect(t.frame()).toContain("› half a thought");
    await turnGoesBy(t, makeTurn(r, 3, "shopkeeper", "", { skipped: true }));
    await t.shows(/▍Aiko Tanaka · shopkeeper · turn 6/);
    await t.shows("turn 3 was answered elsewhere or skipped: what you typed was not sent — “half a thought”");
    expect(t.frame()).not.toContain("› half a thought");
    t.ui.stdin.write("\r");
    await t.shows("Your turn, Aiko Tanaka");
    expect(t.frame()).toMatch(/^ {2}›$/m);
    await t.type("New");
    t.ui.stdin.write("\r");
    await waitFor("the say", async () => said.length === 1, 10_000, 10);
    expect(said).toEqual(["New"]);
  });

  it("a say still on its way when its turn ends: refused, the next turn says why it was not sent and starts empty; sent, the next turn says nothing of it", async () => {
    const pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
    const t = mount("run", (_as, _text) => new Promise<void>((resolve, reject) => pending.push({ resolve, reject })));
    await t.shows("Your turn, Aiko Tanaka");
    t.ui.stdin.write("Too slow\r");
    await t.shows("sent; waiting for the manager to record it");
    await turnGoesBy(t, makeTurn(r, 3, "shopkeeper", "", { skipped: true }));
    pending[0]?.reject(new Error("it is not shopkeeper's turn (turn 4 is chair's)"));
    await t.shows(/▍Aiko Tanaka · shopkeeper · turn 6/);
    await t.shows("turn 3: not sent (it is not shopkeeper's turn (turn 4 is chair's)) — “Too slow”");
    expect(t.frame()).toMatch(/^ {2}›$/m);
    // this time the say goes through, and is recorded after the line has moved on
    t.ui.stdin.write("In time\r");
    await t.shows("sent; waiting for the manager to record it");
    await turnGoesBy(t, makeTurn(r, 6, "shopkeeper", "In time"), 6);
    pending[1]?.resolve();
    await t.shows(/▍Aiko Tanaka · shopkeeper · turn 9/);
    await t.shows("Your turn, Aiko Tanaka");
    expect(t.frame()).not.toContain("not sent");
    expect(t.frame()).toMatch(/^ {2}›$/m);
  });

  it("replay: no line and no countdown, only what came of the turn as recorded; the keys stay the replay's", async () => {
    const t = mount("replay");
    await t.shows("as recorded: no answer from Aiko Tanaka is recorded for this turn");
    expect(t.frame()).not.toContain("Your turn");
    expect(t.frame()).not.toContain("s left");
    expect(t.frame()).toContain("q quit");
  });
});
