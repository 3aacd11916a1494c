/**
 * The Markdown export says why each speaker was chosen, as `dialogue show` and the HTML page do:
 * under a moderator (or a draw, or a name) every turn but the opening one has a line
 * `<sub>chosen (how): reason</sub>` below its figures; in a run of another order a fall back to
 * round robin is said too; a round-robin run says nothing. The reason is a model's text: escaped.
 */
import { describe, expect, it } from "vitest";
import { mdHead, mdMessage } from "../../src/analysis/export-md.js";
import type { ConversationRecord } from "../../src/protocol/record.js";
import type { DialogMessage } from "../../src/protocol/schemas.js";
import { makeCastRecord, makeTurn } from "../helpers/cast.js";

const transcript = (r: ConversationRecord, messages: DialogMessage[]): string => mdHead(r) + messages.map((m) => mdMessage(m, r.spec.turn_order)).join("");
const first = (name: string) => ({ how: "first" as const, by: "manager", reason: `${name} (chair), the first agent, opens the conversation` });
const moderated = (reason: string) => ({ how: "moderator" as const, by: "manager (simulated-1 [simulated])", reason });
/** what a block's figures line ends with, then the line that says the choice */
const chosenLine = (text: string): string => `</sub>\n\n<sub>${text}</sub>\n\n`;

describe("Markdown export: why each speaker was chosen", () => {
  it("a moderator run: each turn after the opening one says the moderator's reason below its figures", () => {
    const r = makeCastRecord(4, { people: ["commuter"], turnOrder: "moderator" });
    const messages = [
      makeTurn(r, 1, "chair", "Welcome, everyone.", { choice: first("Margaret Oyelaran-Whitfield") }),
      makeTurn(r, 2, "officer", "Trams every six minutes.", { choice: moderated("the figures are his") }),
      makeTurn(r, 3, "commuter", "My bus is late every day.", { choice: moderated("the commuter has not spoken yet") }),
    ];
    const doc = transcript(r, messages);
    expect(doc).toMatch(/\*\*\[2\] Tomasz Wiśniewski\*\* \(council transport officer, ollama\/llama3\.2:3b\)\n\n> Trams every six minutes\.\n\n<sub>\d+ tokens · 25\.0 tok\/s · first token 240 ms · 3\.0 s<\/sub>\n\n<sub>chosen \(moderator\): the figures are his<\/sub>\n\n/);
    // a person's turn too, below what they typed and how long they took
    expect(doc).toContain("> My bus is late every day.\n\n<sub>answered in 3.0 s · typed by a person: no tokens or speed" + chosenLine("chosen (moderator): the commuter has not spoken yet"));
    // one line a chosen turn, none for the opening turn
    expect(doc.match(/chosen \(/g)).toHaveLength(2);
    expect(doc).toMatch(/> Welcome, everyone\.\n\n<sub>[^<]+<\/sub>\n\n\*\*\[2\]/);
    expect(doc).not.toContain("opens the conversation");
  });

  it("a moderator's reason is escaped for Markdown and kept on its one line", () => {
    const r = makeCastRecord(3, { turnOrder: "moderator" });
    const m = makeTurn(r, 2, "officer", "Trams.", { choice: moderated("</sub><script>alert(1)</script> *now*\n# [her](x) turn_up `&`") });
    expect(mdMessage(m, "moderator")).toContain(chosenLine("chosen (moderator): \\</sub\\>\\<script\\>alert(1)\\</script\\> \\*now\\* # \\[her\\](x) turn\\_up \\`\\&\\`"));
  });

  it("an addressed run: a name is said, and so is a fall back to round robin when nobody was named", () => {
    const r = makeCastRecord(4, { turnOrder: "addressed" });
    const named = { how: "addressed" as const, by: "chair", reason: "Margaret Oyelaran-Whitfield named Tomasz Wiśniewski (officer) to answer" };
    const fellBack = { how: "round_robin" as const, by: "manager", reason: "Tomasz Wiśniewski named no one to answer (next_speaker); round robin: after Tomasz Wiśniewski, in the agents' order" };
    const messages = [
      makeTurn(r, 1, "chair", "Officer, the timetable?", { choice: first("Margaret Oyelaran-Whitfield") }),
      makeTurn(r, 2, "officer", "Every six minutes.", { choice: named }),
      makeTurn(r, 3, "shopkeeper", "Our takings would halve.", { choice: fellBack }),
    ];
    const doc = transcript(r, messages);
    expect(doc).toContain(chosenLine("chosen (addressed): Margaret Oyelaran-Whitfield named Tomasz Wiśniewski (officer) to answer"));
    // the fall back, its reason escaped as a model's text is (next_speaker's underscore)
    expect(doc).toMatch(/\*\*\[3\] Aiko Tanaka\*\* [^\n]+\n\n> Our takings would halve\.\n\n<sub>[^<]+<\/sub>\n\n<sub>chosen \(round_robin\): [^<]+<\/sub>\n\n$/);
    expect(doc).toContain(chosenLine(`chosen (round_robin): ${fellBack.reason.replace("_", "\\_")}`));
    expect(doc.match(/chosen \(/g)).toHaveLength(2);
    // without the run's turn order a fall back cannot be told from a round-robin turn: only the name is said
    const unknown = messages.map((m) => mdMessage(m)).join("");
    expect(unknown).toContain("chosen (addressed): ");
    expect(unknown).not.toContain("chosen (round_robin)");
  });

  it("a round-robin run says nothing about the choice", () => {
    const r = makeCastRecord(3);
    const messages = [
      makeTurn(r, 1, "chair", "Welcome.", { choice: first("Margaret Oyelaran-Whitfield") }),
      makeTurn(r, 2, "officer", "Trams.", { choice: { how: "round_robin", by: "manager", reason: "after Margaret Oyelaran-Whitfield, in the agents' order" } }),
      makeTurn(r, 3, "shopkeeper", "Takings.", { choice: { how: "round_robin", by: "manager", reason: "after Tomasz Wiśniewski, in the agents' order" } }),
    ];
    const doc = transcript(r, messages);
    expect(r.spec.turn_order).toBe("round_robin");
    expect(doc).not.toContain("chosen");
    expect(doc).not.toContain("agents' order");
  });
});
