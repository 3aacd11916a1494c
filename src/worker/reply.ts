/**
 * One agent reply as structured output: generate with the reply's JSON schema, validate with
 * the same zod schema; a reply that is truncated (done_reason "length"), not JSON, or not valid
 * gets one repair attempt (the model sees its reply and what was wrong); a second failure is a
 * failed turn that keeps the raw text. A reply cut by the deadline or a stop is kept as far as
 * it got. Token counts and times of both attempts add up; nothing here throws for bad output.
 */
import { z } from "zod";
import { validate } from "../llm/structured.js";
import type { ChatMessage, GenerateRequest, GenerateResult, LlmProvider } from "../llm/types.js";
import { ConversationContentSchema, type ConversationContent } from "../protocol/schemas.js";
import { partialMessage } from "./partial-json.js";

export interface Reply {
  content: ConversationContent;
  result: GenerateResult;
  /** set when both attempts were unusable */
  failure?: { error: string; raw: string };
}

/** what the model is given: the reply's fields; next_speaker (one of `others`) only under the turn order "addressed" */
const BASE_REPLY = ConversationContentSchema.omit({ next_speaker: true });
const REPLY_SCHEMA = z.toJSONSchema(BASE_REPLY) as Record<string, unknown>;

/** the reply's JSON Schema for a turn: engines that make every field required (OpenAI strict, grammars) only see next_speaker when it is asked for */
export function replySchemaFor(turnOrder: string, others: readonly string[]): Record<string, unknown> {
  if (turnOrder !== "addressed" || others.length === 0) return REPLY_SCHEMA;
  return z.toJSONSchema(BASE_REPLY.extend({ next_speaker: z.enum(others as [string, ...string[]]) })) as Record<string, unknown>;
}

const partial = (text: string): ConversationContent => ({ message: partialMessage(text), references: [], end_conversation: false });

export function addMetrics(a: GenerateResult, b: GenerateResult): GenerateResult {
  const tokens = a.tokens_generated + b.tokens_generated;
  const time = a.generation_time_ms + b.generation_time_ms;
  return {
    ...b,
    tokens_generated: tokens,
    prompt_tokens: a.prompt_tokens === null || b.prompt_tokens === null ? (b.prompt_tokens ?? a.prompt_tokens) : a.prompt_tokens + b.prompt_tokens,
    generation_time_ms: time,
    time_to_first_token_ms: a.time_to_first_token_ms ?? (b.time_to_first_token_ms === null ? null : a.generation_time_ms + b.time_to_first_token_ms),
    // the rate over both generations, each weighted by its tokens
    tokens_per_second: tokens > 0 ? (a.tokens_per_second * a.tokens_generated + b.tokens_per_second * b.tokens_generated) / tokens : 0,
    load_time_ms: a.load_time_ms + b.load_time_ms,
  };
}

export async function generateReply(
  provider: Pick<LlmProvider, "generate">,
  base: Omit<GenerateRequest, "jsonSchema" | "messages">,
  messages: ChatMessage[],
  jsonSchema: Record<string, unknown> = REPLY_SCHEMA,
): Promise<Reply> {
  const first = await provider.generate({ ...base, messages, jsonSchema });
  if (first.done_reason === "cut") return { content: partial(first.text), result: first };
  const v1 = validate(ConversationContentSchema, first);
  if ("value" in v1) return { content: v1.value, result: first };

  const repair = await provider.generate({
    ...base,
    // a seeded model would write the same unusable reply again
    options: base.options.seed === undefined ? base.options : { ...base.options, seed: (base.options.seed + 1) % 2_147_483_647 },
    jsonSchema,
    messages: [
      ...messages,
      { role: "assistant", content: first.text },
      { role: "user", content: `That reply was not usable: ${v1.problem}. Reply again with only a JSON object that matches the schema.` },
    ],
  });
  const result = addMetrics(first, repair);
  if (repair.done_reason === "cut") return { content: partial(repair.text), result };
  const v2 = validate(ConversationContentSchema, repair);
  if ("value" in v2) return { content: v2.value, result };
  return {
    content: partial(repair.text),
    result,
    failure: { error: `unusable reply, twice: ${v1.problem}; then ${v2.problem}`, raw: repair.text },
  };
}
