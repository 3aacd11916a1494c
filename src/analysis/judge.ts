/**
 * The optional LLM judge: the manager's model reads the personas and the transcript (a long run:
 * its first and last JUDGE_SAMPLE / 2 messages) and returns, as structured output validated with
 * JudgeVerdictSchema, a summary and 1-10 scores with one-line reasons for persona adherence,
 * coherence and engagement. The simulated provider answers with a labelled, simulated verdict.
 */
import { generateStructured } from "../llm/structured.js";
import type { ChatMessage, GenerationTask, LlmProvider } from "../llm/types.js";
import type { ConversationRecord } from "../protocol/record.js";
import type { DialogMessage, HistoryEntry } from "../protocol/schemas.js";
import { plural } from "./format.js";
import { JudgeVerdictSchema, type Analysis, type Judge } from "./schema.js";

/** messages the judge sees at most: the first and the last half of this */
export const JUDGE_SAMPLE = 40;
/** characters of one message the judge sees at most */
export const JUDGE_MESSAGE_CHARS = 800;

const clip = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

export function judgeTask(rec: ConversationRecord, messages: readonly DialogMessage[], analysis: Analysis): { task: GenerationTask; messages: ChatMessage[] } {
  const transcript: HistoryEntry[] = messages.map((m) => ({ agent_id: m.metadata.agent_id, speaker: m.speaker, text: clip(m.content.message, JUDGE_MESSAGE_CHARS) }));
  const flags = [...new Set(analysis.flags.map((f) => f.type))];
  const personas = rec.personas ?? [];
  const gap = analysis.run.turns > messages.length ? `\n[… ${plural(analysis.run.turns - messages.length, "message")} left out …]` : "";
  const half = Math.ceil(transcript.length / 2);
  const lines = transcript.map((h, i) => `${h.speaker}: ${h.text}${i === half - 1 ? gap : ""}`);
  const task: GenerationTask = {
    kind: "judge",
    story: rec.story,
    personas,
    transcript,
    turns: analysis.run.turns,
    figures: {
      repetition_mean: analysis.content.repetition_mean,
      echo_mean: analysis.content.echo_mean,
      flags,
      stop_reason: analysis.run.stop_reason,
    },
  };
  const chat: ChatMessage[] = [
    {
      role: "system",
      content:
        "You judge a conversation between two role-played personas. Reply with a JSON object: " +
        '{"summary": "3-5 sentences", "persona_adherence": {"score": 1-10, "reason": "one line"}, ' +
        '"coherence": {"score", "reason"}, "engagement": {"score", "reason"}}. Be specific and fair.',
    },
    {
      role: "user",
      content: [
        rec.story ? `Story: ${rec.story.title}\nSetting: ${rec.story.setting}\nSituation: ${rec.story.initial_situation}` : `Scenario: ${rec.spec.scenario.title}`,
        ...personas.map((p) => `Persona: ${p.name}, ${p.role}; traits: ${p.traits.join(", ")}; goals: ${p.goals.join("; ")}; style: ${p.speaking_style}`),
        `Transcript (${plural(analysis.run.turns, "message")}${gap ? ", abridged" : ""}):`,
        ...lines,
        "persona_adherence: do the speakers act like their personas? coherence: does the conversation make sense and progress? engagement: do they respond to each other?",
      ].join("\n"),
    },
  ];
  return { task, messages: chat };
}

/** which messages the judge sees: all of them, or the first and last halves of JUDGE_SAMPLE */
export function judgeSample(first: readonly DialogMessage[], last: readonly DialogMessage[]): DialogMessage[] {
  const seen = new Set<number>();
  const out: DialogMessage[] = [];
  for (const m of [...first, ...last]) {
    if (seen.has(m.metadata.sequence_number)) continue;
    seen.add(m.metadata.sequence_number);
    out.push(m);
  }
  return out.sort((a, b) => a.metadata.sequence_number - b.metadata.sequence_number);
}

export async function runJudge(
  provider: LlmProvider,
  rec: ConversationRecord,
  messages: readonly DialogMessage[],
  analysis: Analysis,
  now = Date.now(),
): Promise<Judge> {
  const { task, messages: chat } = judgeTask(rec, messages, analysis);
  const m = rec.spec.manager;
  const { value } = await generateStructured(provider, JudgeVerdictSchema, { model: m.model, options: m.options, task, messages: chat });
  return { ...value, provider: m.provider, model: m.model, simulated: m.provider === "simulated", judged_at: now, turns_seen: messages.length };
}
