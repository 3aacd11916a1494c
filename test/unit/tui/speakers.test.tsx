/**
 * The TUI with more than two speakers, as text (Ink's renderToString): five agents at 80×24 keep
 * one header row and one stats row each, no row wider than the terminal and the live area shorter
 * than it; eight pack the header before losing the stats; a person's turn shows the input line
 * and the time left, never tokens/s or a first token; a skipped turn says why; a narrator's remark
 * is set apart; and why a speaker was chosen shows when the turn order is not round robin.
 */
import { renderToString } from "ink";
import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import type { FeedEvent } from "../../../src/observer/feed.js";
import { LiveArea } from "../../../src/observer/tui/LiveArea.js";
import type { PersonLine } from "../../../src/observer/tui/PersonTurn.js";
import { initialState, reduce, type ViewState } from "../../../src/observer/tui/state.js";
import { Transcript } from "../../../src/observer/tui/Transcript.js";
import { placeAt } from "../../../src/observer/who.js";
import { placeOf } from "../../../src/protocol/turn-count.js";
import { DialogMessageSchema, type DialogMessage } from "../../../src/protocol/schemas.js";
import { CAST, chosen, makeCastRecord, makeRemark, makeTurn } from "../../helpers/cast.js";
import { chunksFor, T0 } from "../../helpers/conversation.js";

const lines = (s: string): string[] => s.split("\n");
const widest = (s: string): number => Math.max(...lines(s).map((l) => stringWidth(l)));

function state(events: FeedEvent[]): ViewState {
  return reduce(initialState, events);
}

/** five agents, four turns recorded, the fifth streaming */
function fiveStreaming(text: string): ViewState {
  const r = makeCastRecord(5);
  const turns = ["chair", "officer", "shopkeeper", "commuter"].map((id, i) => makeTurn(r, i + 1, id, `Turn ${i + 1} from ${id}: the tram, the works and the buses.`, { tps: 20 + i }));
  const live = makeTurn(r, 5, "resident", text);
  return state([
    { type: "record", record: chosen(r, 4, "resident"), previous: null },
    ...turns.map((message): FeedEvent => ({ type: "message", message })),
    ...chunksFor(live, 12).map((chunk): FeedEvent => ({ type: "tokens", chunk })),
  ]);
}

const LONG = Array.from({ length: 40 }, (_, i) => `Point ${i + 1}: the pavement must stay open for wheelchairs.`).join(" ");

describe("five agents at 80×24", () => {
  const s = fiveStreaming(LONG);
  const out = renderToString(<LiveArea state={s} mode="run" columns={80} rows={24} now={T0 + 17_000} />, { columns: 80 });

  it("one header row and one stats row per agent, by name and id", () => {
    for (const a of CAST.slice(0, 5)) {
      expect(out, a.id).toMatch(new RegExp(`^● ${a.name} \\(${a.id}\\) · `, "m"));
      // (a long name is cut to its column)
      expect(lines(out).filter((l) => new RegExp(`^[ ▸] ${a.name.slice(0, 20)}\\S*\\s+\\d+\\s`).test(l)), a.id).toHaveLength(1);
    }
    expect(out).toMatch(/agent\s+tokens\s+t\/s last\s+t\/s mean\s+trend\s+ttft\s+queue/);
    expect(out).toMatch(/^▸ Ines Carvalho/m); // the one speaking
  });

  it("no row over 80 columns, the live area at most 22 rows, the latest of the streaming turn and the keys", () => {
    expect(widest(out)).toBeLessThanOrEqual(80);
    expect(lines(out).length).toBeLessThanOrEqual(22);
    expect(out).toContain("Point 40:");
    expect(out).toMatch(/▍Ines Carvalho · resident · turn 5 · \d+ tok/);
    expect(out).toContain("q stop");
    expect(out).toContain("turn 5 of 15");
  });

  it("stays within the terminal with the story, the help and a notice open, at every height", () => {
    for (const rows of [14, 18, 24, 30]) {
      const o = renderToString(<LiveArea state={s} mode="run" columns={80} rows={rows} now={T0} showStory showHelp notice="stopping" />, { columns: 80 });
      expect(lines(o).length, `rows=${rows}`).toBeLessThanOrEqual(rows - 2);
      expect(widest(o), `rows=${rows}`).toBeLessThanOrEqual(80);
      expect(o, `rows=${rows}`).toContain("Point 40");
    }
  });
});

describe("eight agents", () => {
  it("at 80×24 the header packs the agents several to a row, and the stats keep a row each", () => {
    const r = makeCastRecord(8);
    const s = state([{ type: "record", record: chosen(r, 0, "chair", { how: "first", by: "manager", reason: "the first agent opens" }), previous: null }]);
    const out = renderToString(<LiveArea state={s} mode="watch" columns={80} rows={24} now={T0} />, { columns: 80 });
    expect(lines(out).length).toBeLessThanOrEqual(22);
    expect(widest(out)).toBeLessThanOrEqual(80);
    const header = out.slice(0, out.indexOf("─"));
    for (const a of CAST) expect(header, a.id).toContain(`(${a.id})`);
    // grouped by model, each group's label once
    expect(header).toMatch(/^simulated-1 \[simulated\]: {2}● Margaret Oyelar… \(chair\) {2}● Aiko Tanaka \(shopkeeper\)\n {2}● Ines Carvalho \(resident\)/m);
    expect(header).toMatch(/^ollama\/llama3\.2:3b: {2}● Tomasz Wiśniews… \(officer\)/m);
    expect(lines(header).length - 3).toBeLessThanOrEqual(4);
    expect(out).toMatch(/agent\s+tokens\s+t\/s last/);
    for (const a of CAST) expect(lines(out).filter((l) => l.slice(2).startsWith(a.name.slice(0, 20))), a.id).toHaveLength(1);
  });

  it("on a tall terminal has one header row each", () => {
    const r = makeCastRecord(8);
    const s = state([{ type: "record", record: chosen(r, 0, "chair"), previous: null }]);
    const out = renderToString(<LiveArea state={s} mode="watch" columns={100} rows={40} now={T0} />, { columns: 100 });
    expect(lines(out).filter((l) => l.startsWith("● "))).toHaveLength(8);
  });
});

describe("a person in the conversation", () => {
  const r = makeCastRecord(5, { people: ["resident"] });
  const before = ["chair", "officer", "shopkeeper", "commuter"].map((id, i) => makeTurn(r, i + 1, id, `Turn ${i + 1} from ${id}.`));
  const waiting = state([{ type: "record", record: chosen(r, 4, "resident", undefined, T0 + 16_000), previous: null }, ...before.map((message): FeedEvent => ({ type: "message", message }))]);
  const live = (line: PersonLine, rows = 24) => renderToString(<LiveArea state={waiting} mode="run" columns={80} rows={rows} now={T0 + 16_000 + 18_400} line={line} />, { columns: 80 });

  it("at their turn: the input line with their name, what is typed and the seconds left; no tokens/s or first token", () => {
    const out = live({ state: "typing", draft: "I cannot walk to the next stop", error: null });
    expect(out).toContain("Your turn, Ines Carvalho — type and press Enter; Esc: back to the keys");
    expect(out).toMatch(/▍Ines Carvalho · resident · turn 5 · a person · 42 s left/);
    expect(out).toContain("› I cannot walk to the next stop");
    expect(out).toMatch(/^▸ Ines Carvalho\s+a person · no turn yet$/m);
    expect(out).toContain("Enter send · Esc keys · Ctrl-C stop");
    const turn = out.slice(out.indexOf("▍Ines"), out.indexOf("agent "));
    expect(turn).not.toMatch(/tok\/s|ttft|tok ·/);
    expect(widest(out)).toBeLessThanOrEqual(80);
    expect(lines(out).length).toBeLessThanOrEqual(22);
  });

  it("a long answer shows its last rows, within the live area's rows", () => {
    const out = live({ state: "typing", draft: LONG, error: null });
    expect(out).toContain("Point 40");
    expect(out).toMatch(/^ {2}… /m);
    expect(lines(out).length).toBeLessThanOrEqual(22);
    expect(widest(out)).toBeLessThanOrEqual(80);
  });

  it("closed (Esc, or a watcher): Enter answers here, or dialogue say from anywhere; sending; no keys here; a replay goes as recorded", () => {
    const id = waiting.record!.spec.id;
    expect(live({ state: "closed", draft: "", error: null })).toContain(`  Enter: answer as Ines Carvalho here; or from another terminal:\n    dialogue say ${id} --turn 5 "…"`);
    // the draft stays in view while the line is closed
    expect(live({ state: "closed", draft: "Half an answer", error: null })).toContain(`    dialogue say ${id} --turn 5 "…"\n  › Half an answer`);
    expect(live({ state: "closed", draft: "", error: null })).toContain("Enter answer · q stop");
    expect(live({ state: "sending", draft: "Yes.", error: null })).toContain("sent; waiting for the manager to record it");
    expect(live({ state: "view", draft: "", error: null })).toContain("a replay: Ines Carvalho's turn goes as it was recorded");
    // no keys can be read here (stdin is not a terminal): the way to answer is said
    expect(live({ state: "elsewhere", draft: "", error: null })).toContain(`  waiting for Ines Carvalho (a person), who answers from a terminal with:\n    dialogue say ${id} --turn 5 "…"`);
    expect(live({ state: "typing", draft: "Yes.", error: "it is not resident's turn" })).toContain("not sent: it is not resident's turn · Enter tries again");
  });

  it("when time is up it says the turn is being skipped", () => {
    const out = renderToString(<LiveArea state={waiting} mode="run" columns={80} rows={24} now={T0 + 16_000 + 61_000} line={{ state: "typing", draft: "", error: null }} />, { columns: 80 });
    expect(out).toContain("time is up: skipping");
  });
});

describe("the transcript", () => {
  const r = makeCastRecord(4, { people: ["commuter"], turnOrder: "moderator" });
  const items = (messages: DialogMessage[]) =>
    messages.map((message) => ({ key: `m${message.metadata.sequence_number}`, kind: "message" as const, message, place: placeAt(message, messages) }));
  const out = renderToString(
    <Transcript
      record={r}
      width={80}
      items={items([
        makeTurn(r, 1, "chair", "Welcome, everyone.", { choice: { how: "first", by: "manager", reason: "the first agent opens" } }),
        makeTurn(r, 2, "commuter", "The 7:10 bus is always late.", { choice: { how: "moderator", by: "manager (simulated-1 [simulated])", reason: "the commuter has not spoken yet" } }),
        makeRemark(3, "The lights go out."),
        makeTurn(r, 4, "commuter", "", { skipped: true, choice: { how: "moderator", by: "manager (simulated-1 [simulated])", reason: "asked to answer the officer" } }),
        makeTurn(r, 5, "officer", "Trams run every six minutes.", { choice: { how: "moderator", by: "manager (simulated-1 [simulated])", reason: "the figures are his" } }),
      ])}
    />,
    { columns: 80 },
  );
  const block = (from: string, to?: string) => out.slice(out.indexOf(from), to ? out.indexOf(to) : undefined);

  it("a person's turn says it was typed by a person, with no tokens, speed or first token", () => {
    const b = block("▍Bongani Dlamini · commuter · turn 2", "✦ Narrator");
    expect(b).toContain("▍Bongani Dlamini · commuter · turn 2 · a person");
    expect(b).toContain("The 7:10 bus is always late.");
    expect(b).toContain("typed by a person · 3.0 s after the turn was offered");
    expect(b).not.toMatch(/tok|ttft|queue/);
  });

  it("a skipped turn says why", () => {
    // the third turn, after a narrator's remark (which is not one)
    const b = block("▍Bongani Dlamini · commuter · turn 3", "▍Tomasz");
    expect(b).toContain("[skipped]");
    expect(b.replace(/\s+/g, " ")).toContain("no answer within 60 s (limits.human_turn_seconds): the turn was skipped");
    expect(b).toContain("a person's turn, unanswered");
  });

  it("a narrator's remark is set apart: no speaker's bar, indented, said to be a remark, with no number: after which turn it came", () => {
    expect(out).toMatch(/^ {4}✦ Narrator · after turn 2 · a narrator's remark \(dialogue say\)\n {4}The lights go out\.$/m);
    expect(out).not.toMatch(/▍Narrator/);
  });

  it("each turn says why its speaker was chosen when the order is not round robin (not for the opening turn)", () => {
    expect(out).toContain("chosen (moderator): the commuter has not spoken yet");
    expect(out).toContain("chosen (moderator): the figures are his");
    expect(block("▍Margaret", "▍Bongani")).not.toContain("chosen");
    expect(widest(out)).toBeLessThanOrEqual(80);
  });
});

describe("the live turn's speaker", () => {
  it("is the one the turn order chose, with why (addressed, moderator, random)", () => {
    const r = makeCastRecord(5, { turnOrder: "addressed" });
    const s = state([
      { type: "record", record: chosen(r, 1, "commuter", { how: "addressed", by: "chair", reason: "Margaret Oyelaran-Whitfield named Bongani Dlamini (commuter) to answer" }), previous: null },
      { type: "message", message: makeTurn(r, 1, "chair", "Bongani, you take the bus every day?") },
    ]);
    const out = renderToString(<LiveArea state={s} mode="watch" columns={100} rows={30} now={T0 + 5000} />, { columns: 100 });
    expect(out).toMatch(/▍Bongani Dlamini · commuter · turn 2 .*waiting for ollama\/llama3\.2:3b on a worker of pool commuter/);
    expect(out).toContain("  chosen (addressed): Margaret Oyelaran-Whitfield named Bongani Dlamini (commuter) to answer");
  });

  it("turn n of max counts turns, not a narrator's remarks", () => {
    const r = makeCastRecord(3);
    const s = state([
      { type: "record", record: chosen(r, 3, "shopkeeper"), previous: null },
      { type: "message", message: makeTurn(r, 1, "chair", "One.") },
      { type: "message", message: makeRemark(2, "Rain drums on the roof.") },
      { type: "message", message: makeTurn(r, 3, "officer", "Two.") },
    ]);
    const out = renderToString(<LiveArea state={s} mode="watch" columns={100} rows={30} now={T0} />, { columns: 100 });
    expect(out).toContain("turn 3 of 15"); // two turns taken, the third under way
    expect(out).toMatch(/▍Aiko Tanaka · shopkeeper · turn 3 /); // the same count: the remark is not a turn
  });
});

describe("a turn that did not simply succeed, in the transcript", () => {
  const r = makeCastRecord(2);
  const attempt = (n: number) => ({ attempt: n, provider: "ollama" as const, model: "llama3.2:3b", cause: "stalled" as const, error: "ollama/llama3.2:3b sent no first token within 100 ms", at: T0, retry_after_ms: null, wait_ms: 500 });
  const failed = DialogMessageSchema.parse({
    ...makeTurn(r, 2, "officer", ""),
    failed: true,
    error: "ollama/llama3.2:3b sent no first token within 100 ms; the retry budget (3 s) is spent",
    metadata: { ...makeTurn(r, 2, "officer", "").metadata, attempt: 3, done_reason: "error", failed_attempts: [attempt(1), attempt(2), attempt(3)] },
  });
  const retried = DialogMessageSchema.parse({ ...makeTurn(r, 1, "chair", "Good evening."), metadata: { ...makeTurn(r, 1, "chair", "Good evening.").metadata, attempt: 2, failed_attempts: [attempt(1)] } });
  const out = renderToString(
    <Transcript record={r} width={80} items={[retried, failed].map((m) => ({ key: `m${m.metadata.sequence_number}`, kind: "message" as const, message: m, place: placeOf(m) }))} />,
    { columns: 80 },
  );

  it("a failed turn is marked failed and says why, wrapped within the width (not an empty message)", () => {
    expect(out).toContain("▍Tomasz Wiśniewski · officer · turn 2 [failed]");
    expect(out.replace(/\s+/g, " ")).toContain("failed: ollama/llama3.2:3b sent no first token within 100 ms; the retry budget (3 s) is spent");
    expect(out).not.toContain("(nothing)");
    expect(widest(out)).toBeLessThanOrEqual(80);
  });

  it("a turn that succeeded after failed attempts says on which attempt", () => {
    expect(out).toContain("▍Margaret Oyelaran-Whitfield · chair · turn 1 [retried: attempt 2]");
  });
});

describe("the help and the story panels at 80×24", () => {
  const s = (n: number) => state([{ type: "record", record: chosen(makeCastRecord(n), 2, CAST[2].id), previous: null }]);

  it.each([5, 8])("with %i agents, the help opens whole: the stats make room for it, the turn keeps its heading", (n) => {
    const out = renderToString(<LiveArea state={s(n)} mode="run" columns={80} rows={24} now={T0} showHelp />, { columns: 80 });
    expect(out).toContain("Keys");
    expect(out).toContain("?            show or hide this help");
    expect(out).toContain("dialogue show");
    expect(out).not.toMatch(/more rows/);
    expect(lines(out).length).toBeLessThanOrEqual(22);
    // and the keys' descriptions start in one column (13), as their wrapped rows do
    const keyLines = lines(out).filter((l) => /^(q or Ctrl-C|Ctrl-C again|s |\?) /.test(l));
    expect(keyLines).toHaveLength(4);
    for (const l of keyLines) expect([l[12], l[13] === " "], l).toEqual([" ", false]);
  });

  it("with the panels closed, every agent has its stats row", () => {
    const out = renderToString(<LiveArea state={s(5)} mode="run" columns={80} rows={24} now={T0} />, { columns: 80 });
    expect(out).toMatch(/agent\s+tokens/);
  });
});

describe("a turn that has gone quiet", () => {
  it("says for how long no token came (a stalled model, a worker that died), and which attempt a retried one is", () => {
    const s = fiveStreaming("The pavement must stay open.");
    const last = s.live!.last_t;
    const at = (ms: number) => renderToString(<LiveArea state={s} mode="run" columns={100} rows={30} now={last + ms} />, { columns: 100 });
    expect(at(2_000)).not.toContain("no tokens");
    expect(at(12_400)).toMatch(/▍Ines Carvalho · resident · turn 5 · \d+ tok · [\d.]+ tok\/s · no tokens for 12 s/);
    const retried = reduce(s, [{ type: "tokens", chunk: { seq: 5, attempt: 2, agent_id: "resident", text: '{"message":"Again', tokens: 1, t: last + 20_000 } }]);
    expect(renderToString(<LiveArea state={retried} mode="run" columns={100} rows={30} now={last + 21_000} />, { columns: 100 })).toMatch(/turn 5 · 1 tok · [\d.–]+ tok\/s · attempt 2/);
  });

  it("a turn not started yet says how long it has waited", () => {
    const r = makeCastRecord(5);
    const waiting = state([{ type: "record", record: chosen(r, 4, "resident"), previous: null }]);
    const at = (ms: number) => renderToString(<LiveArea state={waiting} mode="watch" columns={120} rows={30} now={T0 + 16_000 + ms} />, { columns: 120 });
    expect(at(1_000)).toMatch(/ waiting for simulated-1 \[simulated\] on a worker of pool resident/);
    expect(at(8_300)).toMatch(/ waiting 8 s for simulated-1 \[simulated\] on a worker of pool resident/);
  });
});
