/**
 * The real engine's baseline: the embedded provider (node-llama-cpp) in this one process, with
 * the settings the run's workers had (--model-file, threads, context size), generating the very
 * requests the orchestrated run's workers got (read back from its retained BullMQ jobs and, as the
 * workers read it, the conversation's spec, personas and log), back to
 * back: the same prompt fitting and structured reply (with its one repair) as a worker, and no
 * queue, record, token stream or other process. The first request of each agent loads the model
 * and is not counted, as in the orchestrated figure. Prints one JSON line.
 */
import { Redis } from "ioredis";
import { ConfigSchema } from "../../src/config/schema.js";
import { EmbeddedProvider } from "../../src/llm/embedded.js";
import { TurnRequestSchema } from "../../src/protocol/schemas.js";
import { Store } from "../../src/redis/store.js";
import { fitContext } from "../../src/worker/context.js";
import { TurnContextReader } from "../../src/worker/turn-context.js";
import { generateReply } from "../../src/worker/reply.js";
import { args, required } from "../raw/options.js";

const a = args(process.argv.slice(2));
const redis = new Redis(required(a, "redis-url"));
const keys = required(a, "job-keys").split(",");
const settings = ConfigSchema.parse({ embedded: { model_file: required(a, "model-file"), threads: Number(required(a, "threads")) } }).embedded;
const provider = new EmbeddedProvider(settings);

let tokens = 0;
let ms = 0;
/** the worker's prompt fitting (counted with the model's tokenizer), not in `ms` */
let fitMs = 0;
const rates: number[] = [];
const reader = new TurnContextReader(new Store(redis, required(a, "prefix")));
for (const [i, key] of keys.entries()) {
  const req = TurnRequestSchema.parse(JSON.parse((await redis.hget(key, "data")) ?? "null"));
  // what the worker read for this turn: the spec, story, personas and the log up to the request's position
  const ctx = await reader.read(req, { ended: true });
  if ("status" in ctx) throw new Error(`no conversation for ${key}`);
  const spec = ctx.agent.model;
  const f0 = performance.now();
  const fitted = await fitContext({ ...ctx, turn_order: ctx.spec.turn_order, context: ctx.spec.context }, spec, provider);
  if (i >= 2) fitMs += performance.now() - f0;
  const task = { kind: "turn" as const, conversation_id: req.conversation_id, sequence_number: req.sequence_number, story: ctx.story, agent_id: ctx.agent.id, persona: ctx.persona, others: ctx.others, history: ctx.history, turn: ctx.turn, turn_order: ctx.spec.turn_order };
  const t0 = performance.now();
  const reply = await generateReply(provider, { model: spec.model, options: spec.options, task, onToken: () => undefined }, fitted.messages);
  const took = performance.now() - t0;
  if (i < 2) continue; // each agent's first turn: the model loads
  tokens += reply.result.tokens_generated;
  ms += took;
  rates.push(reply.result.tokens_per_second);
}
await provider.close();
redis.disconnect();
process.stdout.write(`${JSON.stringify({ generations: Math.max(0, keys.length - 2), tokens, ms, fit_ms: fitMs, rates })}\n`);
