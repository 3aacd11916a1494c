/**
 * The JSON and JSON-lines exports (`dialogue export --format json|jsonl`): the record, every
 * message as recorded, and the analysis. Parsing an export with these schemas gives back
 * exactly what `dialogue show --json` reads from Redis.
 *
 *   json:   { schema: "dialogue-llm/export", version: 1, record, analysis, messages: [...] }
 *   jsonl:  {"type":"conversation","record":…}  then {"type":"message","message":…} per message,
 *           then {"type":"analysis","analysis":…}
 */
import { z } from "zod";
import { ConversationRecordSchema } from "../protocol/record.js";
import { DialogMessageSchema } from "../protocol/schemas.js";
import { AnalysisSchema } from "./schema.js";

export const EXPORT_VERSION = 1;

export const ExportSchema = z
  .object({
    schema: z.literal("dialogue-llm/export"),
    version: z.literal(EXPORT_VERSION),
    record: ConversationRecordSchema,
    analysis: AnalysisSchema,
    messages: z.array(DialogMessageSchema),
  })
  .strict();
export type Export = z.infer<typeof ExportSchema>;

export const ExportLineSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("conversation"), record: ConversationRecordSchema }).strict(),
  z.object({ type: z.literal("message"), message: DialogMessageSchema }).strict(),
  z.object({ type: z.literal("analysis"), analysis: AnalysisSchema }).strict(),
]);
export type ExportLine = z.infer<typeof ExportLineSchema>;
