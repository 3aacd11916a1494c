/**
 * The context budget: the prompt of a turn must fit the model's context window, less the room
 * kept for the reply. Tokens are counted with the provider's own tokenizer and chat template
 * where it has one (embedded), and estimated otherwise (about 3 characters a token, on the safe
 * side for English). When the history does not fit, the oldest turns go: dropped, or replaced by
 * a short summary of what was said (`context.strategy`). The most recent turns are always kept
 * whole, as many as fit; a prompt that cannot fit even without history is sent anyway, with no
 * history, so a run never stops at the context limit.
 */
import type { ChatMessage, LlmProvider } from "../llm/types.js";
import type { ContextSettings, ContextUsage, HistoryEntry, ModelProvider, ModelSpec } from "../protocol/schemas.js";
import { buildTurnMessages, type PromptInput } from "./prompt.js";

/** context windows assumed when neither the agent (num_ctx), the provider nor the config says */
export const DEFAULT_WINDOWS: Record<ModelProvider, number> = {
  ollama: 4096, // Ollama's own default num_ctx
  openai: 8192,
  embedded: 4096,
  simulated: 8192,
  auto: 4096,
  imported: 4096,
};

/** a summary takes at most this share of the budget */
const SUMMARY_SHARE = 0.25;
const CHARS_PER_TOKEN = 3;

export function estimateTokens(messages: ChatMessage[]): number {
  return messages.reduce((n, m) => n + Math.ceil(m.content.length / CHARS_PER_TOKEN) + 4, 0);
}

const firstSentence = (text: string, max: number): string => {
  const flat = text.replace(/\s+/g, " ").trim();
  const m = /^(.+?[.!?])(\s|$)/.exec(flat);
  const s = m?.[1] ?? flat;
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
};

/** one line per dropped turn (its first sentence), the most recent ones that fit in `maxChars` */
export function summarizeTurns(dropped: HistoryEntry[], maxChars: number): string {
  const lines: string[] = [];
  let used = 0;
  for (let i = dropped.length - 1; i >= 0; i--) {
    const h = dropped[i] as HistoryEntry;
    const line = `- ${h.speaker}: ${firstSentence(h.text, 160)}`;
    if (used + line.length + 1 > maxChars) break;
    lines.unshift(line);
    used += line.length + 1;
  }
  const skipped = dropped.length - lines.length;
  if (skipped > 0) lines.unshift(`- (${skipped} earlier turn${skipped === 1 ? "" : "s"} left out)`);
  return lines.join("\n");
}

export interface FittedPrompt {
  messages: ChatMessage[];
  usage: ContextUsage;
  /** the earlier messages the prompt holds whole: first and last sequence number, and how many */
  turns: { first: number | null; last: number | null; count: number };
}

export async function fitContext(input: PromptInput & { context: ContextSettings }, spec: ModelSpec, provider: LlmProvider): Promise<FittedPrompt> {
  const { model, options, provider: name } = spec;
  const req = input;
  const window =
    (await provider.contextWindow?.(model, options)) ?? options.num_ctx ?? req.context.window_tokens ?? DEFAULT_WINDOWS[name];
  const reserve = Math.min(options.num_predict ?? req.context.reserve_tokens, Math.floor(window / 2));
  const budget = window - reserve;
  const counted = provider.countTokens ? "tokenizer" : "estimate";
  const count = (messages: ChatMessage[]): Promise<number> =>
    provider.countTokens ? provider.countTokens(model, messages) : Promise.resolve(estimateTokens(messages));
  const summarize = req.context.strategy === "summarize";
  const summaryChars = Math.floor(budget * SUMMARY_SHARE * CHARS_PER_TOKEN);

  const history = req.history;
  const build = (keep: number): ChatMessage[] => {
    const dropped = history.slice(0, history.length - keep);
    const summary = summarize && dropped.length > 0 ? summarizeTurns(dropped, summaryChars) : undefined;
    return buildTurnMessages({ ...req, history: history.slice(history.length - keep) }, summary);
  };
  const usage = (keep: number, prompt: number): ContextUsage => ({
    window_tokens: window,
    budget_tokens: budget,
    prompt_tokens: prompt,
    counted,
    history_sent: keep,
    history_dropped: history.length - keep,
    summarized: summarize && keep < history.length,
  });

  const turns = (keep: number): FittedPrompt["turns"] => {
    const kept = history.slice(history.length - keep);
    return { first: kept[0]?.seq ?? null, last: kept.at(-1)?.seq ?? null, count: keep };
  };
  const all = build(history.length);
  const full = await count(all);
  if (full <= budget) return { messages: all, usage: usage(history.length, full), turns: turns(history.length) };

  // the largest number of recent turns that fits (fewer turns never make the prompt longer)
  let lo = 0;
  let hi = history.length - 1;
  let best = -1;
  let bestCount = 0;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const n = await count(build(mid));
    if (n <= budget) {
      best = mid;
      bestCount = n;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best < 0) {
    const bare = build(0);
    return { messages: bare, usage: usage(0, await count(bare)), turns: turns(0) };
  }
  return { messages: build(best), usage: usage(best, bestCount), turns: turns(best) };
}
