/**
 * Plain text, JSON lines and the replay timeline with N speakers and people: who wrote each
 * message (a model, a person, the narrator) is said honestly; a skipped turn says why; the turn
 * choice shows when the order is not round robin; a person's turn is announced (live: how to
 * answer; in a replay: not); the header names who is a person and the turn order; and a replay
 * plays a narrator's remark at its place in the log, with each speaker chosen before their turn.
 */
import { describe, expect, it } from "vitest";
import type { FeedEvent } from "../../src/observer/feed.js";
import { jsonRenderer } from "../../src/observer/jsonl.js";
import { headerText, messageText, plainRenderer, simulatedBadge } from "../../src/observer/plain.js";
import { timeline } from "../../src/observer/replay.js";
import { waitingFor } from "../../src/observer/waiting.js";
import { chosen, makeCastRecord, makeRemark, makeTurn } from "../helpers/cast.js";
import { T0 } from "../helpers/conversation.js";

const r = makeCastRecord(4, { people: ["commuter"], turnOrder: "moderator" });
const moderated = (reason: string) => ({ how: "moderator" as const, by: "manager (simulated-1 [simulated])", reason });

describe("plain text", () => {
  it("a model's turn has its model and figures, and why its speaker was chosen", () => {
    const t = messageText(makeTurn(r, 2, "officer", "Trams every six minutes.", { choice: moderated("the figures are his"), tps: 31.5 }));
    expect(t).toMatch(/^\[2\] Tomasz Wiśniewski \(council transport officer, ollama\/llama3\.2:3b\):\n {4}Trams every six minutes\.\n {4}chosen \(moderator\): the figures are his\n {4}\d+ tokens · 31\.5 tok\/s · ttft 240 ms/);
  });

  it("in an addressed run, a fall-back to round robin is shown with why; in a round-robin run it is not", () => {
    const fellBack = { how: "round_robin" as const, by: "manager", reason: "Kenji Iyer named no one to answer (next_speaker); round robin: after Kenji Iyer, in the agents' order" };
    const m = makeTurn(r, 3, "shopkeeper", "Our takings would halve.", { choice: fellBack });
    expect(messageText(m, true, "addressed")).toContain(`    chosen (round_robin): ${fellBack.reason}`);
    expect(messageText(m, true, "round_robin")).not.toContain("chosen");
    // and the live plain view knows the run's order from its record
    const out: string[] = [];
    const v = plainRenderer((s) => out.push(s), { reach: "" });
    v.onEvent({ type: "record", record: { ...r, spec: { ...r.spec, turn_order: "addressed" } }, previous: null });
    v.onEvent({ type: "message", message: m });
    expect(out.join("")).toContain("chosen (round_robin): Kenji Iyer named no one to answer");
  });

  it("round robin and the opening turn say nothing about the choice", () => {
    for (const how of ["first", "round_robin"] as const) {
      expect(messageText(makeTurn(r, 1, "chair", "Welcome.", { choice: { how, by: "manager", reason: "in order" } }))).not.toContain("chosen");
    }
  });

  it("a person's turn: a person, typed, how long it took; no tokens, speed or first token", () => {
    const t = messageText(makeTurn(r, 3, "commuter", "The 7:10 is always late.", { choice: moderated("has not spoken yet") }));
    expect(t).toContain("[3] Bongani Dlamini (nurse who commutes by bus, a person):");
    expect(t).toContain("    typed by a person · answered after 3.0 s");
    expect(t).not.toMatch(/tok\/s|ttft|tokens/);
  });

  it("a skipped turn says why", () => {
    const t = messageText(makeTurn(r, 3, "commuter", "", { skipped: true }));
    expect(t).toContain("[3] Bongani Dlamini (nurse who commutes by bus, a person) [skipped]:");
    expect(t).toContain("(no answer within 60 s (limits.human_turn_seconds): the turn was skipped)");
    expect(t).toContain("a person's turn, unanswered after 3.0 s");
    expect(t).not.toContain("typed by a person · unanswered");
  });

  it("a narrator's remark is a remark, not a speaker's turn: no turn number, but after which turn it came", () => {
    const t = messageText(makeRemark(4, "The lights go out."));
    expect(t).toBe("[·] Narrator (a remark after turn 3):\n    The lights go out.\n    a narrator's remark (dialogue say)");
    expect(messageText(makeRemark(4, "The lights go out."), false)).toBe("[·] Narrator (a remark after turn 3):\n    The lights go out.");
    expect(messageText(makeRemark(1, "Dawn."), false)).toBe("[·] Narrator (a remark before turn 1):\n    Dawn.");
  });

  it("the header names each agent, the person as a person, and a turn order that is not round robin", () => {
    const h = headerText(r);
    expect(h).toContain("commuter: nurse who commutes by bus (a person)");
    expect(h).toContain("officer: council transport officer via ollama/llama3.2:3b");
    expect(h).toContain("60 s for a person's turn · turn order: moderator");
    expect(headerText(makeCastRecord(3))).not.toContain("turn order");
  });

  it("the SIMULATED badge counts models only: a person's words are not scripted", () => {
    const allSimulated = makeCastRecord(3, { people: ["officer"] }); // chair, shopkeeper simulated; officer (ollama in the fixture) a person
    expect(simulatedBadge(allSimulated.spec)).toEqual({ short: "SIMULATED", long: "SIMULATED (no model: scripted text; officer typed by a person)" });
    const person = makeCastRecord(2, { people: ["chair"] }); // chair (simulated in the fixture) a person, officer on ollama
    expect(simulatedBadge(person.spec)?.short).toBe("story SIMULATED");
  });

  it("live, a person's turn is announced once, with how to answer; a replay only says it waits", () => {
    const out: string[] = [];
    const render = plainRenderer((s) => out.push(s), { reach: "" });
    const before = chosen(r, 2, "officer");
    const waiting = chosen(r, 2, "commuter", moderated("has not spoken yet"), T0 + 8000);
    render.onEvent({ type: "record", record: before, previous: null });
    render.onEvent({ type: "record", record: waiting, previous: before });
    render.onEvent({ type: "record", record: { ...waiting, tokens_total: 5 }, previous: waiting });
    const said = out.filter((l) => l.startsWith("… turn"));
    expect(said).toEqual([`… turn 3 is Bongani Dlamini's (commuter, a person): answer with dialogue say ${r.spec.id} --turn 3 "…" (skipped after 60 s)\n`]);
    // runs kept under another prefix (or in a Redis named on the command line): the command says so
    const elsewhere: string[] = [];
    plainRenderer((s) => elsewhere.push(s), { reach: " --prefix nu3" }).onEvent({ type: "record", record: waiting, previous: before });
    expect(elsewhere.join("")).toContain(`answer with dialogue say ${r.spec.id} --turn 3 --prefix nu3 "…" (skipped after 60 s)`);
    const replayed: string[] = [];
    plainRenderer((s) => replayed.push(s), { live: false, reach: " --prefix nu3" }).onEvent({ type: "record", record: waiting, previous: before });
    expect(replayed.join("")).toContain("… turn 3 is Bongani Dlamini's (commuter, a person): waiting for their answer (skipped after 60 s)");
    expect(replayed.join("")).not.toContain("dialogue say");
  });
});

describe("JSON lines", () => {
  it("a person's turn is an event: who, since when, until when, and how to answer", () => {
    const lines: Array<Record<string, unknown>> = [];
    const render = jsonRenderer((s) => lines.push(JSON.parse(s) as Record<string, unknown>), { reach: "" });
    const before = chosen(r, 2, "officer");
    const waiting = chosen(r, 2, "commuter", moderated("has not spoken yet"), T0 + 8000);
    render.onEvent({ type: "record", record: before, previous: null });
    render.onEvent({ type: "record", record: waiting, previous: before });
    render.onEvent({ type: "record", record: waiting, previous: waiting });
    expect(lines.filter((l) => l.type === "waiting_for_person")).toEqual([
      { type: "waiting_for_person", seq: 3, turn: 3, agent_id: "commuter", name: "Bongani Dlamini", since: T0 + 8000, skip_at: T0 + 68_000, say: `dialogue say ${r.spec.id} --as commuter --turn 3 "…"` },
    ]);
    // the choice alone changes no status
    expect(lines.filter((l) => l.type === "status")).toHaveLength(0);
    // the run's time runs out before the turn's limit: it is skipped then, and skip_at says so
    const ending = { ...waiting, deadline_at: T0 + 20_000 };
    expect(waitingFor(ending)?.skip_at).toBe(T0 + 20_000);
    expect(waitingFor({ ...waiting, deadline_at: T0 + 90_000 })?.skip_at).toBe(T0 + 68_000);
    // runs kept under another prefix: the say command names it
    const elsewhere: Array<Record<string, unknown>> = [];
    jsonRenderer((s) => elsewhere.push(JSON.parse(s) as Record<string, unknown>), { reach: " --prefix nu3" }).onEvent({ type: "record", record: waiting, previous: before });
    expect(elsewhere.find((l) => l.type === "waiting_for_person")?.say).toBe(`dialogue say ${r.spec.id} --as commuter --turn 3 --prefix nu3 "…"`);
  });

  it("after a narrator's remark, the person's turn is numbered as a turn (the remark is not one), as the web page's box says it", () => {
    const afterRemark = { ...chosen(r, 3, "commuter", moderated("has not spoken yet"), T0 + 12_000), remarks: 1 };
    expect(waitingFor(afterRemark)).toMatchObject({ seq: 4, turn: 3, agent_id: "commuter" });
  });
});

describe("replay", () => {
  const turns = [
    makeTurn(r, 1, "chair", "Welcome.", { choice: { how: "first", by: "manager", reason: "opens" } }),
    makeTurn(r, 2, "officer", "The route.", { choice: moderated("the figures are his") }),
    // said while turn 2 was being generated, recorded after it
    makeRemark(3, "The lights go out.", T0 + 5000),
    makeTurn(r, 4, "commuter", "Who turned off the lights?", { choice: moderated("has not spoken yet") }),
  ];
  const final = { ...r, status: "completed" as const, stop_reason: "max_turns" as const, ended_at: T0 + 20_000, turns: 4, remarks: 1 };
  const events = timeline(final, turns, []);

  it("plays the remark where the log has it (after turn 2), never going back in time", () => {
    const order = events.filter((e) => e.event.type === "message").map((e) => (e.event as Extract<FeedEvent, { type: "message" }>).message.metadata.sequence_number);
    expect(order).toEqual([1, 2, 3, 4]);
    const times = events.map((e) => e.at);
    expect(times).toEqual(times.toSorted((a, b) => a - b));
  });

  it("shows each speaker chosen when their turn was requested, with the reason; the person's turn as waited for", () => {
    const choices = events.flatMap((e) => (e.event.type === "record" && e.event.record.next_choice && e.event.record.pending_seq === e.event.record.next_choice.seq && e.event.record.turns < e.event.record.next_choice.seq ? [e.event.record.next_choice] : []));
    expect(choices.map((c) => [c.seq, c.agent_id, c.how])).toEqual([
      [1, "chair", "first"],
      [2, "officer", "moderator"],
      [4, "commuter", "moderator"],
    ]);
    const out: string[] = [];
    const render = plainRenderer((s) => out.push(s), { live: false, reach: "" });
    for (const e of events) if (e.event.type === "record" || e.event.type === "message") render.onEvent(e.event);
    const text = out.join("");
    expect(text).toContain("… turn 3 is Bongani Dlamini's (commuter, a person): waiting for their answer");
    expect(text.indexOf("[2] Tomasz")).toBeLessThan(text.indexOf("[·] Narrator (a remark after turn 2):"));
    expect(text.indexOf("[·] Narrator")).toBeLessThan(text.indexOf("… turn 3 is Bongani"));
    // the turn after the remark is turn 3 in the transcript too, as the line that offered it said
    expect(text).toContain("[3] Bongani Dlamini (nurse who commutes by bus, a person):");
  });
});
