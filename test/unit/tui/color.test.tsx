/**
 * Colour: each agent has its own, and NO_COLOR (present and not empty) turns every colour off.
 * Colours are forced on for this file (FORCE_COLOR before Ink and chalk load), so the absence of
 * colour codes under NO_COLOR means something.
 */
/* eslint-disable no-control-regex -- escape codes are what this file looks for */
import { describe, expect, it } from "vitest";
import type { FeedEvent } from "../../../src/observer/feed.js";
import { chunksFor, makeMessage, makeRecord, T0 } from "../../helpers/conversation.js";

process.env.FORCE_COLOR = "1";
const { renderToString } = await import("ink");
const { LiveArea } = await import("../../../src/observer/tui/LiveArea.js");
const { Transcript } = await import("../../../src/observer/tui/Transcript.js");
const { ThemeContext, colorAllowed } = await import("../../../src/observer/tui/theme.js");
const { initialState, reduce } = await import("../../../src/observer/tui/state.js");

// SGR colour parameters: 30–38, 40–48, 90–97, 100–107 (39 and 49, back to the default, are not colours)
const COLOUR = /\u001b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m/;

const record = makeRecord();
const m1 = makeMessage(1, "Good morning, Arjun.");
const state = reduce(initialState, [
  { type: "record", record, previous: null },
  { type: "message", message: m1 },
  ...chunksFor(makeMessage(2, "Morning, Elena. Coffee?"), 6).slice(0, 6).map((chunk): FeedEvent => ({ type: "tokens", chunk })),
]);

function screen(color: boolean): string {
  return renderToString(
    <ThemeContext.Provider value={{ color }}>
      <Transcript items={state.items} record={record} width={100} />
      <LiveArea state={state} mode="run" columns={100} rows={30} now={T0 + 5000} showStory />
    </ThemeContext.Provider>,
    { columns: 100 },
  );
}

describe("colour", () => {
  it("gives each agent its own colour", () => {
    const out = screen(true);
    expect(out).toMatch(/\u001b\[36m[^\n]*Elena Nakamura/); // cyan
    expect(out).toMatch(/\u001b\[35m[^\n]*Arjun Mehta/); // magenta
  });

  it("uses none at all with NO_COLOR, and still shows everything", () => {
    const raw = screen(false);
    expect(raw).not.toMatch(COLOUR);
    const out = raw.replace(/\u001b\[[0-9;]*m/g, ""); // bold and dim stay: they are not colours
    expect(out).toContain("Elena Nakamura");
    expect(out).toContain("▍Arjun Mehta");
    expect(out).toContain("q stop");
  });

  it("reads NO_COLOR as no-color.org says: present and not empty", () => {
    expect(colorAllowed({})).toBe(true);
    expect(colorAllowed({ NO_COLOR: "" })).toBe(true);
    expect(colorAllowed({ NO_COLOR: "1" })).toBe(false);
    expect(colorAllowed({ NO_COLOR: "0" })).toBe(false);
  });
});
