/** `dialogue say --as`: typed in another case, it names the narrator or the one agent it can only mean */
import { describe, expect, it } from "vitest";
import { canonicalAs } from "../../src/manager/say.js";

describe("say --as in any case", () => {
  const agents = [{ id: "traveller" }, { id: "local" }, { id: "Ann" }, { id: "ann" }];
  it("names the narrator however it is typed", () => {
    for (const typed of ["narrator", "NARRATOR", "Narrator"]) expect(canonicalAs(typed, agents)).toBe("narrator");
  });
  it("names the one agent a case-folded id matches", () => {
    expect(canonicalAs("Local", agents)).toBe("local");
    expect(canonicalAs("TRAVELLER", agents)).toBe("traveller");
  });
  it("keeps an exact id, and leaves an ambiguous or unknown one as typed (to be refused with the agents listed)", () => {
    expect(canonicalAs("Ann", agents)).toBe("Ann");
    expect(canonicalAs("ANN", agents)).toBe("ANN");
    expect(canonicalAs("nobody", agents)).toBe("nobody");
    expect(canonicalAs(undefined, agents)).toBeUndefined();
  });
});
