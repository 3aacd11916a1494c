/**
 * The moderator turn order with the simulated moderator: whom turn-order.ts lets it choose from
 * (not the last speaker, nor on both sides of a skipped turn) and how it chooses (a name in the
 * latest message but the speaker's own, else whoever has spoken least), as the manager asks it
 * (next-turn.ts: the latest turns as history entries, a skipped or failed turn marked missed).
 */
import { describe, expect, it } from "vitest";
import { simulateModerator } from "../../src/llm/simulated-text.js";
import type { GenerationTask } from "../../src/llm/types.js";
import { moderatorTask } from "../../src/manager/prompts.js";
import { moderatorEntry } from "../../src/manager/next-turn.js";
import { chooseNext, type Moderate } from "../../src/manager/turn-order.js";
import type { ConversationRecord } from "../../src/protocol/record.js";
import type { DialogMessage, HistoryEntry } from "../../src/protocol/schemas.js";
import { makeCastRecord, makeRemark, makeTurn } from "../helpers/cast.js";

const SEED = 7;
type ModeratorTask = Extract<GenerationTask, { kind: "moderator" }>;

/** the simulated moderator as the manager asks it, recording the candidates it was given */
function simulated(r: ConversationRecord, seq: number, recent: readonly DialogMessage[], asked: string[][] = []): Moderate {
  return async (candidates) => {
    asked.push(candidates.map((c) => c.agent_id));
    const transcript = recent.map(moderatorEntry).filter((h) => h !== null);
    const { task } = moderatorTask(r.story!, candidates, transcript, seq);
    return { ...simulateModerator(task as ModeratorTask, SEED), by: "manager (simulated/simulated-1)" };
  };
}

async function next(r: ConversationRecord, recent: DialogMessage[], asked: string[][] = []) {
  const seq = recent.length + 1;
  return chooseNext({ spec: { ...r.spec, seed: SEED }, personas: r.personas ?? [], seq, recent }, simulated(r, seq, recent, asked));
}

describe("the moderator after a skipped turn", () => {
  // chair (Margaret Oyelaran-Whitfield) speaks, naming herself; officer, a person, does not answer
  const r = makeCastRecord(4, { turnOrder: "moderator", people: ["officer"] });
  const spoke = makeTurn(r, 1, "chair", "Good evening, I'm Margaret Oyelaran-Whitfield. Margaret is fine. Shall we begin with the route?");
  const skipped = makeTurn(r, 2, "officer", "", { skipped: true });

  it("chooses neither the one who spoke before the skipped turn nor the one skipped, and does not say she addressed herself", async () => {
    const asked: string[][] = [];
    const c = await next(r, [spoke, skipped], asked);
    expect(asked).toEqual([["shopkeeper", "commuter"]]);
    expect(["shopkeeper", "commuter"]).toContain(c.agent_id);
    expect(c.how).toBe("moderator");
    expect(c.reason).not.toMatch(/Margaret Oyelaran-Whitfield addressed Margaret Oyelaran-Whitfield/);
    expect(c.reason).toMatch(/^\[simulated moderator\] .+ has not spoken yet$/);
  });

  it("passes over a narrator's remark after the skipped turn too", async () => {
    const asked: string[][] = [];
    const c = await next(r, [spoke, skipped, makeRemark(3, "The lights flicker.")], asked);
    expect(asked).toEqual([["shopkeeper", "commuter"]]);
    expect(c.agent_id).not.toBe("chair");
  });

  it("with one left to choose, gives the turn without asking, saying who spoke last and whose turn was skipped", async () => {
    const three = makeCastRecord(3, { turnOrder: "moderator", people: ["officer"] });
    const asked: string[][] = [];
    const c = await next(three, [makeTurn(three, 1, "chair", "I'm Margaret."), makeTurn(three, 2, "officer", "", { skipped: true })], asked);
    expect(asked).toEqual([]);
    expect(c).toMatchObject({ agent_id: "shopkeeper", how: "moderator", by: "manager" });
    expect(c.reason).toBe("Aiko Tanaka is the only one who neither spoke last (Margaret Oyelaran-Whitfield) nor had a turn skipped since (Tomasz Wiśniewski)");
  });

  it("with two agents, the one who spoke before the skipped turn speaks again (nobody else may)", async () => {
    const two = makeCastRecord(2, { turnOrder: "moderator", people: ["officer"] });
    const c = await next(two, [makeTurn(two, 1, "chair", "I'm Margaret."), makeTurn(two, 2, "officer", "", { skipped: true })]);
    expect(c).toMatchObject({ agent_id: "chair", how: "moderator" });
    expect(c.reason).toBe("Margaret Oyelaran-Whitfield is the only one who did not have the last turn, which was skipped (Tomasz Wiśniewski)");
  });

  it("later, does not ask the person who missed their last turn again while someone else may speak, and says why", async () => {
    // chair, officer (skipped), commuter, shopkeeper: officer has spoken least, but did not answer
    const recent = [spoke, skipped, makeTurn(r, 3, "commuter", "The tram would save me twenty minutes."), makeTurn(r, 4, "shopkeeper", "Deliveries worry me.")];
    const asked: string[][] = [];
    const c = await next(r, recent, asked);
    expect(asked).toEqual([["chair", "officer", "commuter"]]);
    expect(["chair", "commuter"]).toContain(c.agent_id);
    expect(c.reason).toMatch(/; Tomasz Wiśniewski missed their last turn$/);
  });

  it("shows the moderator's model who did not answer, and whose model failed", () => {
    const failed = { ...makeTurn(r, 3, "commuter", ""), failed: true };
    const transcript = [spoke, skipped, failed].map(moderatorEntry).filter((h) => h !== null);
    expect(transcript.map((h) => h.missed)).toEqual([undefined, "skipped", "failed"]);
    const { messages } = moderatorTask(r.story!, [], transcript, 4);
    const prompt = messages.map((m) => m.content).join("\n");
    expect(prompt).toContain("Tomasz Wiśniewski (officer): [did not answer in time; turn skipped]");
    expect(prompt).toMatch(/\(commuter\): \[no reply: the model failed\]/);
  });

  it("without a skipped turn, everyone but the last speaker may be chosen, as before", async () => {
    const asked: string[][] = [];
    await next(r, [spoke, makeTurn(r, 2, "officer", "The tram would run every six minutes.")], asked);
    expect(asked).toEqual([["chair", "shopkeeper", "commuter"]]);
  });
});

describe("simulateModerator", () => {
  const candidates = [
    { agent_id: "a", name: "Nadia Castillo", role: "head teacher" },
    { agent_id: "b", name: "Marcus Ueda", role: "host" },
    { agent_id: "c", name: "Ingrid Abbott", role: "psychologist" },
    { agent_id: "d", name: "Maya Nakamura", role: "parent" },
  ];
  const entry = (agent_id: string, text: string): HistoryEntry => ({ agent_id, speaker: candidates.find((c) => c.agent_id === agent_id)!.name, text });
  const task = (transcript: HistoryEntry[], among = candidates, seq = 9): ModeratorTask => ({
    kind: "moderator",
    story: { title: "Panel", setting: "A studio.", characters: candidates.map((c) => ({ name: c.name, role: c.role })), initial_situation: "A panel." },
    candidates: among,
    transcript,
    sequence_number: seq,
  });

  it("asks one who missed their last turn only when every candidate did", () => {
    const missed = (agent_id: string): HistoryEntry => ({ ...entry(agent_id, ""), missed: "skipped" });
    const some = simulateModerator(task([entry("a", "One."), missed("d"), entry("b", "Two.")], candidates.filter((c) => c.agent_id !== "b")), SEED);
    expect(some.next_speaker).toBe("c");
    expect(some.reason).toBe("[simulated moderator] Ingrid Abbott (psychologist) has not spoken yet; Maya Nakamura missed their last turn");
    const all = simulateModerator(task([entry("a", "One."), missed("c"), missed("d")], candidates.filter((c) => ["c", "d"].includes(c.agent_id))), SEED);
    expect(["c", "d"]).toContain(all.next_speaker);
    expect(all.reason).not.toMatch(/missed/);
  });

  it("does not count the speaker's own name as someone addressed", () => {
    const m = simulateModerator(task([entry("a", "Hello, I'm Nadia Castillo. What matters most to you all?")]), SEED);
    expect(m.reason).not.toMatch(/addressed/);
    expect(m.next_speaker).not.toBe("a");
  });

  it("follows a name the last speaker addressed", () => {
    const m = simulateModerator(task([entry("b", "Hello everyone."), entry("a", "I'm Nadia. What do you make of it, Ingrid?")], candidates.slice(1)), SEED);
    expect(m).toEqual({ next_speaker: "c", reason: "[simulated moderator] Nadia Castillo addressed Ingrid Abbott (psychologist) by name" });
  });

  it("does not follow a name when that one has spoken two turns more than the quietest", () => {
    const transcript = [entry("a", "One."), entry("c", "Two."), entry("a", "Three."), entry("b", "Four."), entry("a", "Five."), entry("c", "Nadia, and you?")];
    const m = simulateModerator(task(transcript, candidates.filter((c) => c.agent_id !== "c")), SEED);
    expect(m).toEqual({ next_speaker: "d", reason: "[simulated moderator] Maya Nakamura (parent) has not spoken yet" });
  });

  it("when nobody is named, prefers whoever has spoken least, then waited longest; the same seed, the same choice", () => {
    const transcript = [entry("d", "One."), entry("b", "Two."), entry("c", "Three."), entry("b", "Four."), entry("a", "Five."), entry("c", "Six.")];
    const t = task(transcript, candidates.filter((c) => c.agent_id !== "c"));
    const m = simulateModerator(t, SEED);
    expect(m).toEqual({ next_speaker: "d", reason: "[simulated moderator] Maya Nakamura (parent) has spoken least (1 of the latest 6 turns) and waited longest since" });
    expect(simulateModerator(t, SEED)).toEqual(m);
  });
});
