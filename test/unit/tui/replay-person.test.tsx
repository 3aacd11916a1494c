/**
 * A replay at a person's turn shows no countdown and no input line (nobody can answer a replay):
 * what came of the turn, as recorded — answered, and when, or skipped, and why.
 */
import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { Feed } from "../../../src/observer/feed.js";
import { App } from "../../../src/observer/tui/App.js";
import type { DialogMessage } from "../../../src/protocol/schemas.js";
import { chosen, makeCastRecord, makeTurn } from "../../helpers/cast.js";
import { waitFor } from "../../helpers/cli.js";
import { T0 } from "../../helpers/conversation.js";

let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

function mount(feed: Feed, recorded: DialogMessage[]) {
  const ui = render(<App feed={feed} mode="replay" now={() => T0 + 5000} recorded={recorded} />);
  cleanup.push(() => ui.unmount());
  const frame = (): string => ui.lastFrame() ?? "";
  const shows = (what: string | RegExp) => waitFor(`the screen to show ${what}`, async () => (typeof what === "string" ? frame().includes(what) : what.test(frame())), 10_000, 10);
  return { ...ui, frame, shows };
}

/** the live area: what is below the transcript (the header on) */
const liveArea = (frame: string): string => frame.slice(frame.lastIndexOf("DialogueLLM · "));

describe("a person's turn in a replay", () => {
  const r = makeCastRecord(3, { people: ["shopkeeper"] });
  const turns = [makeTurn(r, 1, "chair", "Welcome."), makeTurn(r, 2, "officer", "The route runs down the high street.")];
  const waiting = chosen(r, 2, "shopkeeper", undefined, T0 + 2000);

  function replayAt(answer: DialogMessage) {
    const feed = new Feed();
    feed.push({ type: "record", record: waiting, previous: null });
    for (const message of turns) feed.push({ type: "message", message });
    return mount(feed, [...turns, answer]);
  }

  it("answered: no countdown and no input line; it says they answered, and when, as recorded", async () => {
    const ui = replayAt(makeTurn(r, 3, "shopkeeper", "Fewer buses, more trams."));
    await ui.shows("▍Aiko Tanaka · shopkeeper · turn 3 · a person");
    await ui.shows("as recorded: Aiko Tanaka answered 3.0 s after the turn was offered");
    const live = liveArea(ui.frame());
    expect(live).not.toMatch(/\d+ s left|time is up/);
    expect(live).not.toContain("Your turn");
    expect(live).not.toContain("waiting for Aiko Tanaka");
    expect(live).not.toContain("›");
    expect(live).not.toContain("Enter");
  });

  it("skipped: it says nobody answered, with the recorded reason", async () => {
    const ui = replayAt(makeTurn(r, 3, "shopkeeper", "", { skipped: true }));
    await ui.shows("as recorded: no answer within 60 s (limits.human_turn_seconds): the turn was skipped");
    expect(liveArea(ui.frame())).not.toMatch(/\d+ s left|time is up/);
  });
});
