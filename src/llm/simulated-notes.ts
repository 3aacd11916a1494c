/**
 * What the simulated provider writes for the tasks that read a recorded transcript: a note on one
 * window (analyze --notes) and the story and personas of a conversation to continue (run
 * --continue). Derived from the transcript's own sentences, deterministic, and labelled
 * "[simulated …]" in the text a reader sees.
 */
import type { Persona, StoryContent } from "../protocol/schemas.js";
import type { GenerationTask } from "./types.js";

type NoteTask = Extract<GenerationTask, { kind: "window_note" }>;
type CastTask = Extract<GenerationTask, { kind: "from_transcript" }>;

const clip = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1).trimEnd()}…`);
const sentencesOf = (text: string): string[] => text.replace(/\s+/g, " ").trim().match(/[^.!?]+[.!?]*/g)?.map((s) => s.trim()).filter(Boolean) ?? [];
const firstSentence = (text: string): string => sentencesOf(text)[0] ?? text.trim();

export function simulateNote(task: NoteTask): { summary: string; open_questions: string[]; sentiment: number } {
  const said = task.transcript.filter((h) => !h.narrator && h.text.trim() !== "");
  const first = said[0];
  const last = said.at(-1);
  const speakers = [...new Set(said.map((h) => h.speaker))];
  const summary =
    said.length === 0
      ? `[simulated note] ${task.window}: nothing was said.`
      : `[simulated note] ${task.window}: ${said.length} message${said.length === 1 ? "" : "s"} from ${speakers.join(", ")}. ${first!.speaker} opens with "${clip(firstSentence(first!.text), 160)}"` +
        (last !== first ? `; ${last!.speaker} ends with "${clip(firstSentence(last!.text), 160)}".` : ".");
  const questions = [...new Set(said.flatMap((h) => sentencesOf(h.text).filter((s) => s.endsWith("?")).map((s) => clip(`${h.speaker}: ${s}`, 300))))].slice(-3);
  const sentiment = Math.max(-1, Math.min(1, Math.round((task.sentiment ?? 0) * 100) / 100));
  return { summary: clip(summary, 800), open_questions: questions, sentiment };
}

export function simulateCast(task: CastTask): { story: StoryContent; personas: Array<Persona & { agent_id: string }> } {
  const said = task.transcript.filter((h) => !h.narrator && h.text.trim() !== "");
  const last = said.at(-1);
  const names = task.roles.map((r) => r.name);
  const story: StoryContent = {
    title: clip(task.title, 160),
    setting: clip(`[simulated] A recorded conversation between ${names.join(", ")}, carried on from where the recording ends.`, 1200),
    characters: task.roles.slice(0, 8).map((r) => ({ name: clip(r.name, 80), role: clip(r.role, 120) })),
    initial_situation: clip(
      last ? `[simulated] The recording ends with ${last.speaker}: "${clip(firstSentence(last.text), 300)}" The conversation carries on from there.` : "[simulated] The conversation carries on.",
      1200,
    ),
  };
  const personas = task.roles.map((r) => {
    const mine = said.filter((h) => h.agent_id === r.id);
    const words = mine.reduce((n, h) => n + h.text.split(/\s+/).filter(Boolean).length, 0);
    const perTurn = mine.length ? Math.round(words / mine.length) : 0;
    const asks = mine.filter((h) => h.text.includes("?")).length;
    const traits = [perTurn > 18 ? "talks at length" : "keeps it brief", asks > mine.length / 3 ? "asks a lot" : "answers more than asks", "[simulated] read from the recording"];
    const lastOwn = mine.at(-1);
    return {
      agent_id: r.id,
      name: clip(r.name, 80),
      role: clip(r.role, 120),
      traits,
      goals: [lastOwn ? "carry on from where the recording ends" : "take part in the conversation"],
      speaking_style: clip(`[simulated] as in the recording: about ${perTurn} words a turn, ${mine.length} turn${mine.length === 1 ? "" : "s"} so far`, 240),
    };
  });
  return { story, personas };
}
