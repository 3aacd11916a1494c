/**
 * The optional LLM judge: the manager's model reads the personas and the transcript (a long run:
 * its first and last JUDGE_SAMPLE / 2 messages) and returns, as structured output validated with
 * JudgeVerdictSchema, a summary and 1-10 scores with one-line reasons for persona adherence,
 * coherence and engagement. The simulated provider answers with a labelled, simulated verdict.
 *
 * A conversation has 2 to 8 speakers: the prompt names each with its persona, says which are
 * played by a person (whose persona adherence is not the models' to answer for) and how the
 * speakers were chosen; the transcript is attributed by name, with a narrator's remarks and
 * skipped turns marked as such.
 */
import { once, type Retrying } from "../llm/retry.js";
import { generateStructured } from "../llm/structured.js";
import type { ChatMessage, GenerationTask, LlmProvider } from "../llm/types.js";
import { personaOf, type ConversationRecord } from "../protocol/record.js";
import type { DialogMessage, HistoryEntry, Persona } from "../protocol/schemas.js";
import { plural } from "./format.js";
import { JudgeVerdictSchema, type Analysis, type Judge } from "./schema.js";

/** messages the judge sees at most: the first and the last half of this */
export const JUDGE_SAMPLE = 40;
/** characters of one message the judge sees at most */
export const JUDGE_MESSAGE_CHARS = 800;

const clip = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** a message as the judge reads it: by its speaker's name; a remark or a skipped turn says what it is */
function line(m: DialogMessage): string {
  if (m.metadata.source === "narrator") return `[Narrator's remark] ${clip(m.content.message, JUDGE_MESSAGE_CHARS)}`;
  if (m.skipped) return `[${m.speaker}'s turn was skipped: no answer]`;
  return `${m.speaker}${m.metadata.source === "human" ? " (a person)" : ""}: ${clip(m.content.message, JUDGE_MESSAGE_CHARS)}`;
}

const ORDER: Record<string, string> = {
  round_robin: "they speak in turn, in a fixed order",
  random: "the next speaker is drawn at random",
  addressed: "each speaker may name who answers next",
  moderator: "a moderator chooses who speaks next",
};

export function judgeTask(rec: ConversationRecord, messages: readonly DialogMessage[], analysis: Analysis): { task: GenerationTask; messages: ChatMessage[] } {
  const spec = rec.spec;
  const transcript: HistoryEntry[] = messages
    .filter((m) => !m.skipped)
    .map((m) => ({
      agent_id: m.metadata.agent_id,
      speaker: m.speaker,
      text: clip(m.content.message, JUDGE_MESSAGE_CHARS),
      seq: m.metadata.sequence_number,
      ...(m.metadata.source === "narrator" ? { narrator: true } : {}),
    }));
  const flags = [...new Set(analysis.flags.map((f) => f.type))];
  const cast = spec.agents.flatMap((a) => {
    const p = personaOf(spec, rec.personas ?? [], a.id);
    return p ? [{ persona: p, person: a.kind === "human" }] : [];
  });
  const personas: Persona[] = cast.map((c) => c.persona);
  const people = cast.filter((c) => c.person).map((c) => c.persona.name);
  // where the sample leaves messages out (a long run: between its start and its end)
  const lines = messages.map((m, i) => {
    const next = messages[i + 1];
    const gap = next ? next.metadata.sequence_number - m.metadata.sequence_number - 1 : 0;
    return `${line(m)}${gap > 0 ? `\n[… ${plural(gap, "message")} left out …]` : ""}`;
  });
  const abridged = lines.some((l) => l.includes("left out …]"));
  const speakers = personas.length;
  const task: GenerationTask = {
    kind: "judge",
    story: rec.story,
    personas,
    people,
    turn_order: spec.turn_order,
    transcript,
    turns: analysis.run.turns,
    figures: {
      repetition_mean: analysis.content.repetition_mean,
      echo_mean: analysis.content.echo_mean,
      turn_balance: analysis.content.turn_balance,
      flags,
      stop_reason: analysis.run.stop_reason,
    },
  };
  const chat: ChatMessage[] = [
    {
      role: "system",
      content:
        `You judge a conversation between ${speakers} speakers, each playing a persona. Reply with a JSON object: ` +
        '{"summary": "3-5 sentences", "persona_adherence": {"score": 1-10, "reason": "one line"}, ' +
        '"coherence": {"score", "reason"}, "engagement": {"score", "reason"}}. Be specific and fair.',
    },
    {
      role: "user",
      content: [
        rec.story ? `Story: ${rec.story.title}\nSetting: ${rec.story.setting}\nSituation: ${rec.story.initial_situation}` : `Scenario: ${spec.scenario.title}`,
        ...cast.map(
          ({ persona: p, person }) =>
            `Persona: ${p.name}, ${p.role}${person ? " (played by a person, not a model)" : ""}; traits: ${p.traits.join(", ")}; goals: ${p.goals.join("; ")}; style: ${p.speaking_style}`,
        ),
        `Turn order: ${ORDER[spec.turn_order] ?? spec.turn_order}.`,
        `Transcript (${plural(analysis.run.turns, "turn")}${analysis.run.remarks ? ` and ${plural(analysis.run.remarks, "narrator's remark", "narrator's remarks")}` : ""}${abridged ? ", abridged" : ""}):`,
        ...lines,
        `persona_adherence: do the speakers act like their personas${people.length ? " (judge the models; a person's lines are theirs)" : ""}? ` +
          `coherence: does the conversation make sense and progress? engagement: do they respond to each other, and does everyone take part?`,
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

/** the verdict of the manager's model; `retry`: how the model is called (@defaultValue once) */
export async function runJudge(
  provider: Pick<LlmProvider, "generate">,
  rec: ConversationRecord,
  messages: readonly DialogMessage[],
  analysis: Analysis,
  opts: { now?: number; retry?: Retrying } = {},
): Promise<Judge> {
  const now = opts.now ?? Date.now();
  const { task, messages: chat } = judgeTask(rec, messages, analysis);
  const m = rec.spec.manager;
  const { value } = await (opts.retry ?? once)("the verdict", () => generateStructured(provider, JudgeVerdictSchema, { model: m.model, options: m.options, task, messages: chat }));
  // the turns it saw (a narrator's remark is a message, not a turn)
  const turnsSeen = messages.filter((x) => x.metadata.source !== "narrator").length;
  return { ...value, provider: m.provider, model: m.model, simulated: m.provider === "simulated", judged_at: now, turns_seen: turnsSeen };
}
