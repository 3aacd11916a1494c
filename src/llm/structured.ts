/**
 * Structured output: the model is given the JSON Schema of a zod schema, and its reply is
 * parsed with the same zod schema. A reply that is truncated (done_reason "length"), not JSON,
 * or not valid gets one repair attempt; a second failure throws with the raw text kept.
 */
import { z } from "zod";
import { DialogueError } from "../errors/index.js";
import type { GenerateRequest, GenerateResult, LlmProvider, StructuredResult } from "./types.js";

export class StructuredOutputError extends DialogueError {
  constructor(
    message: string,
    readonly raw: string,
  ) {
    super(message, 1);
  }
}

/** why `text` is not a valid instance of `schema`, or null if it is */
export function validate<T>(schema: z.ZodType<T>, result: GenerateResult): { value: T } | { problem: string } {
  if (result.done_reason === "length") return { problem: "the reply was cut off at the length limit (truncated JSON)" };
  let data: unknown;
  try {
    data = JSON.parse(result.text);
  } catch (err) {
    return { problem: `the reply is not JSON (${(err as Error).message})` };
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { problem: `the reply does not match the schema: ${first ? `${first.path.join(".") || "(root)"}: ${first.message}` : "invalid"}` };
  }
  return { value: parsed.data };
}

export async function generateStructured<T>(
  provider: Pick<LlmProvider, "generate">,
  schema: z.ZodType<T>,
  req: Omit<GenerateRequest, "jsonSchema">,
): Promise<StructuredResult<T>> {
  const jsonSchema = z.toJSONSchema(schema) as Record<string, unknown>;
  const first = await provider.generate({ ...req, jsonSchema });
  const v1 = validate(schema, first);
  if ("value" in v1) return { value: v1.value, result: first };
  if (req.signal?.aborted) throw new StructuredOutputError(`structured output failed: ${v1.problem}`, first.text);
  const repair = await provider.generate({
    ...req,
    jsonSchema,
    messages: [
      ...req.messages,
      { role: "assistant", content: first.text },
      { role: "user", content: `That reply was not usable: ${v1.problem}. Reply again with only a JSON object that matches the schema.` },
    ],
  });
  const v2 = validate(schema, repair);
  if ("value" in v2) return { value: v2.value, result: sumMetrics(first, repair) };
  throw new StructuredOutputError(`structured output failed twice: ${v2.problem}`, repair.text);
}

function sumMetrics(a: GenerateResult, b: GenerateResult): GenerateResult {
  return {
    ...b,
    tokens_generated: a.tokens_generated + b.tokens_generated,
    generation_time_ms: a.generation_time_ms + b.generation_time_ms,
    load_time_ms: a.load_time_ms + b.load_time_ms,
  };
}
