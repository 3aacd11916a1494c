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
const { Header } = await import("../../../src/observer/tui/Header.js");
const { makeCastRecord, CAST } = await import("../../helpers/cast.js");
const chalk = (await import("chalk")).default;

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

describe("a colour per speaker, up to eight", () => {
  const eight = makeCastRecord(8);

  /** the colour each agent's header row starts its name with */
  function colours(deep: boolean): string[] {
    const out = renderToString(
      <ThemeContext.Provider value={{ color: true, deep }}>
        <Header record={eight} turn={1} now={T0} width={120} />
      </ThemeContext.Provider>,
      { columns: 120 },
    );
    return CAST.map((a) => {
      const row = out.split("\n").find((l) => l.includes(`● ${a.name}`)) ?? "";
      return /\u001b\[((?:3[0-7]|9[0-7]|38;5;\d+))m[^\n]*● /.exec(row)?.[1] ?? `none for ${a.id}`;
    });
  }

  it("on a 16-colour terminal: eight different named colours", () => {
    const c = colours(false);
    expect(c.every((x) => /^(3[0-7]|9[0-7])$/.test(x)), c.join(" ")).toBe(true);
    expect(new Set(c).size).toBe(8);
    expect(c.slice(0, 2)).toEqual(["36", "35"]); // cyan, magenta: the pair as before
  });

  it("on a 256-colour terminal: eight different colours, each readable on a black and on a white background (contrast ≥ 3:1)", () => {
    const level = chalk.level;
    chalk.level = 2;
    try {
      const c = colours(true);
      expect(c.every((x) => x.startsWith("38;5;")), c.join(" ")).toBe(true);
      expect(new Set(c).size).toBe(8);
      // the xterm palette: 16-231 a 6×6×6 cube
      const steps = [0, 95, 135, 175, 215, 255];
      const lin = (v: number): number => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
      for (const code of c) {
        const n = Number(code.slice(5)) - 16;
        expect(n, code).toBeGreaterThanOrEqual(0);
        const [r, g, b] = [steps[Math.floor(n / 36)]!, steps[Math.floor(n / 6) % 6]!, steps[n % 6]!];
        const lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
        expect((lum + 0.05) / 0.05, `${code} on black`).toBeGreaterThanOrEqual(3);
        expect(1.05 / (lum + 0.05), `${code} on white`).toBeGreaterThanOrEqual(3);
      }
    } finally {
      chalk.level = level;
    }
  });
});
