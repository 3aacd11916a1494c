import { renderToString } from "ink";
import { describe, expect, it } from "vitest";
import { Rows, scrolledTo } from "../../../src/observer/tui/rows.js";

const forty = Array.from({ length: 40 }, (_, i) => ({ text: `row ${i + 1}` }));
const shown = (offset: number, room = 14) => renderToString(<Rows rows={forty} maxRows={room} width={40} offset={offset} scroll="↑ ↓ scroll" />, { columns: 40 }).split("\n");

describe("a panel taller than its room", () => {
  it("shows its top and how many rows are below, saying how to scroll", () => {
    const s = shown(0);
    expect(s).toHaveLength(14);
    expect(s.slice(0, 2)).toEqual(["row 1", "row 2"]);
    expect(s.at(-1)).toBe("… 27 more rows (↑ ↓ scroll)");
  });

  it("scrolled down, says how many rows are above and below, in its room", () => {
    const s = shown(10);
    expect(s).toHaveLength(14);
    expect(s[0]).toBe("… 10 rows above");
    expect(s[1]).toBe("row 11");
    expect(s.at(-1)).toBe("… 18 more rows (↑ ↓ scroll)");
  });

  it("scrolls no further than its last row, which then shows", () => {
    for (const offset of [27, 30, 500]) {
      const s = shown(offset);
      expect(s).toHaveLength(14);
      expect(s.at(-1)).toBe("row 40");
      expect(s[0]).toBe("… 27 rows above");
    }
    expect(scrolledTo(500, 40, 14)).toBe(27);
    expect(scrolledTo(-3, 40, 14)).toBe(0);
  });

  it("a panel that fits shows whole, whatever the offset", () => {
    const few = forty.slice(0, 5);
    expect(renderToString(<Rows rows={few} maxRows={14} width={40} offset={3} />, { columns: 40 }).split("\n")).toEqual(few.map((r) => r.text));
  });
});
