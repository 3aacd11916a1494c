/**
 * One number for a turn everywhere: a narrator's remark and a continued run's copied history are
 * messages, not turns. Every transcript marks a turn by its turn number and a remark by "[·]"
 * (after which turn it came), a copied message by "[#n]"; JSON message events carry the turn,
 * in a replay too.
 */
import { describe, expect, it } from "vitest";
import { mdMessage } from "../../src/analysis/export-md.js";
import { htmlPlaced } from "../../src/analysis/export-html.js";
import { jsonRenderer } from "../../src/observer/jsonl.js";
import { messageText, plainRenderer } from "../../src/observer/plain.js";
import { placeAt, turnAt } from "../../src/observer/who.js";
import { turnCounter } from "../../src/protocol/turn-count.js";
import { DialogMessageSchema, type DialogMessage } from "../../src/protocol/schemas.js";
import { makeRemark, makeTurn } from "../helpers/cast.js";

import { log, r, replayed } from "../helpers/remark-run.js";

describe("a replay's transcript and JSON number turns as the live run did", () => {
  it("plain: [3] for the person's turn, [·] for the remark after it, [4] for the next turn", () => {
    const out: string[] = [];
    replayed(plainRenderer((s) => out.push(s), { live: false, reach: "" }));
    const text = out.join("");
    expect(text).toContain("[3] Bongani Dlamini (");
    expect(text).toContain("[·] Narrator (a remark after turn 3):\n    The lights go out.");
    expect(text).toContain("[4] Aiko Tanaka (");
    expect(text).not.toMatch(/^\[5\]/m);
  });

  it("JSON: each message event says its turn (null for the remark); seq stays the message's number", () => {
    const lines: Array<Record<string, unknown>> = [];
    replayed(jsonRenderer((s) => lines.push(JSON.parse(s) as Record<string, unknown>), { live: false, reach: "" }));
    expect(lines.filter((l) => l.type === "message").map((l) => [l.turn, (l.message as DialogMessage).metadata.sequence_number])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [null, 4],
      [4, 5],
    ]);
  });
});

describe("every transcript marks a turn by its number and a remark as a remark", () => {
  const marks = (render: (m: DialogMessage, place: ReturnType<ReturnType<typeof turnCounter>>) => string) => {
    const placeIn = turnCounter();
    return log.map((m) => render(m, placeIn(m)));
  };

  it("plain (show): [1] [2] [3] [·] [4]", () => {
    expect(marks((m, p) => messageText(m, false, undefined, p).split("\n")[0]!.split(" ")[0]!)).toEqual(["[1]", "[2]", "[3]", "[·]", "[4]"]);
  });

  it("Markdown: the same marks, the remark after turn 3", () => {
    const md = marks((m, p) => mdMessage(m, undefined, p)).join("");
    expect(md).toContain("**[3] Bongani Dlamini**");
    expect(md).toContain("**[·] Narrator** (a narrator's remark after turn 3, not a turn)");
    expect(md).toContain("**[4] Aiko Tanaka**");
    expect(md).not.toContain("**[5]");
  });

  it("HTML (export and the web page): #turn-<n> is turn n; the remark is #msg-<seq>", () => {
    const html = marks((m, p) => htmlPlaced(m, p, new Map(), new Map())).join("");
    expect(html).toMatch(/id="turn-4" data-seq="5" data-turn="4"[^>]*><div><span class="who">\[4\] Aiko Tanaka/);
    expect(html).toMatch(/id="msg-4" data-seq="4" data-source="narrator"><div><span class="who">\[·\] Narrator<\/span> <span class="meta">\(a narrator's remark after turn 3, not a turn\)/);
    expect(html).not.toContain('id="turn-5"');
  });

  it("a continued run: the copied history is [#n] (a copied remark counted once), its first turn is [1], turn 1 as the TUI says", () => {
    const copy = (m: DialogMessage): DialogMessage => DialogMessageSchema.parse({ ...m, metadata: { ...m.metadata, copied_from: { conversation_id: "earlier", sequence_number: m.metadata.sequence_number } } });
    const continued = [copy(makeTurn(r, 1, "chair", "Welcome.")), copy(makeRemark(2, "Rain.")), makeTurn(r, 3, "officer", "Where were we?"), makeTurn(r, 4, "chair", "The route.")];
    const placeIn = turnCounter();
    expect(continued.map((m) => messageText(m, false, undefined, placeIn(m)).split("\n")[0])).toEqual([
      "[#1] Margaret Oyelaran-Whitfield (deputy mayor chairing the meeting, simulated-1 [simulated]):",
      "[#2] Narrator (a remark before this run):",
      "[1] Tomasz Wiśniewski (council transport officer, ollama/llama3.2:3b):",
      "[2] Margaret Oyelaran-Whitfield (deputy mayor chairing the meeting, simulated-1 [simulated]):",
    ]);
    expect(turnAt(3, continued)).toBe(1);
    expect(placeAt(continued[3]!, continued)).toEqual({ kind: "turn", turn: 2 });
  });
});

