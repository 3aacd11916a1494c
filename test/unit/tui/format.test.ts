import { describe, expect, it } from "vitest";
import { ms } from "../../../src/observer/tui/format.js";

describe("ms", () => {
  it("milliseconds below ten seconds, seconds from there (a turn that waited for a restarted worker)", () => {
    expect([ms(12), ms(251.4), ms(9_999), ms(10_000), ms(30_961), ms(null)]).toEqual(["12 ms", "251 ms", "9999 ms", "10.0 s", "31.0 s", "–"]);
  });
});
