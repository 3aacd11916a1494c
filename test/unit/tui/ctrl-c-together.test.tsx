/**
 * Two Ctrl-Cs that arrive in one read ("\x03\x03": pressed fast, over ssh, on a busy terminal)
 * count one by one, as they do apart — the first asks the run to stop, the second quits at once —
 * whether or not a person's input line is open. Before, such a read was taken for neither: the
 * run went on to its end as if no key had been pressed.
 */
import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { Feed } from "../../../src/observer/feed.js";
import { App, type TuiKey } from "../../../src/observer/tui/App.js";
import { chosen, makeCastRecord, makeTurn } from "../../helpers/cast.js";
import { makeRecord, T0 } from "../../helpers/conversation.js";
import { waitFor } from "../../helpers/cli.js";

let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

function mount(feed: Feed, say?: (as: string, text: string) => Promise<unknown>) {
  const keys: TuiKey[] = [];
  const ui = render(<App feed={feed} mode="run" onKey={(k) => keys.push(k)} say={say} now={() => T0 + 10_000} />);
  cleanup.push(() => ui.unmount());
  const frame = (): string => ui.frames.findLast((f) => f.trim() !== "") ?? "";
  const shows = (what: string) => waitFor(`the screen to show ${what}`, async () => frame().includes(what), 10_000, 10);
  return { ui, keys, frame, shows };
}

describe("two Ctrl-Cs in one read", () => {
  it("during a model's turn: the first stops the run, the second quits", async () => {
    const feed = new Feed();
    feed.push({ type: "record", record: makeRecord(), previous: null });
    const t = mount(feed);
    await t.shows("q stop");
    t.ui.stdin.write("\u0003\u0003");
    await waitFor("both Ctrl-Cs", async () => t.keys.length === 2, 10_000, 10);
    expect(t.keys).toEqual(["interrupt", "interrupt"]);
  });

  it("with a person's input line open: they are not typed into the line", async () => {
    const r = makeCastRecord(3, { people: ["shopkeeper"] });
    const feed = new Feed();
    feed.push({ type: "record", record: chosen(r, 2, "shopkeeper", undefined, T0 + 8000), previous: null });
    for (const message of [makeTurn(r, 1, "chair", "Welcome."), makeTurn(r, 2, "officer", "The route runs down the high street.")]) feed.push({ type: "message", message });
    const t = mount(feed, async () => undefined);
    await t.shows("Your turn, ");
    t.ui.stdin.write("\u0003\u0003");
    await waitFor("both Ctrl-Cs", async () => t.keys.length === 2, 10_000, 10);
    expect(t.keys).toEqual(["interrupt", "interrupt"]);
  });
});
