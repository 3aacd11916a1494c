/**
 * 6. Storage: Redis bytes per retained message — MEMORY USAGE (exact, SAMPLES 0) of a
 * conversation's own keys (record, log, token stream, stored analysis) ÷ its messages — beside the
 * mean size of a message's JSON. Separately, the BullMQ jobs kept for it (each turn's request and
 * response, the control jobs), per message. Measured on the 500-turn zero-latency run (one token
 * chunk per turn) and on the slowest streaming run (a chunk every 33 ms while generating).
 */
import { Redis } from "ioredis";
import { Store } from "../../src/redis/store.js";
import type { Ctx } from "../lib/ctx.js";
import { jobFieldSizes, memoryUsage, present, turnJobKeys, type Recorded } from "../lib/product.js";
import { figure, type Figure } from "../lib/report.js";
import { mean } from "../lib/stats.js";

const SECTION = "6. Storage";
/** the 500-turn zero-latency run of section 1 */
export const LONG_RUN = "zero-latency";

export interface StorageRun {
  label: string;
  prefix: string;
  run: Recorded;
}

export async function storage(ctx: Ctx, runs: StorageRun[]): Promise<{ figures: Figure[]; data: Record<string, unknown> }> {
  const redis = new Redis(ctx.redisUrl);
  const figures: Figure[] = [];
  const data: Record<string, unknown>[] = [];
  try {
    for (const { label, prefix, run } of runs) {
      const store = new Store(redis, prefix);
      const id = run.record.spec.id;
      const n = run.messages.length;
      const json = mean(run.messages.map((m) => Buffer.byteLength(JSON.stringify(m)))) ?? 0;
      const keys = store.keys.conversationKeys(id);
      const perKey: Record<string, number> = {};
      for (const k of keys) perKey[k.split(":").at(-1) ?? k] = await memoryUsage(redis, [k]);
      const own = Object.values(perKey).reduce((a, b) => a + b, 0);
      const jobKeys = turnJobKeys(store, run.record, run.messages);
      const requests = await memoryUsage(redis, present(jobKeys.requests));
      const responses = await memoryUsage(redis, present(jobKeys.responses));
      const control = await memoryUsage(redis, jobKeys.control);
      const chunks = await redis.xlen(store.keys.tokens(id));
      // what the jobs carry, beside what Redis keeps for them (BullMQ's own fields, the hash's overhead)
      const carried = async (keys: string[], field: "data" | "opts" | "returnvalue") => mean(await jobFieldSizes(redis, keys, field));
      figures.push(
        figure(SECTION, `storage.${label}.own`, `conversation keys per message, ${label}`, own / n, "B", { name: "message JSON", value: json }, { on: "ratio", op: "<=", limit: 3 }),
        // the target is for the long run: a retained request no longer grows with the conversation
        figure(SECTION, `storage.${label}.jobs`, `retained BullMQ jobs per message, ${label}`, (requests + responses + control) / n, "B", { name: "message JSON", value: json }, label === LONG_RUN ? { on: "ratio", op: "<=", limit: 2 } : undefined),
      );
      const req = present(jobKeys.requests);
      const res = present(jobKeys.responses);
      data.push({
        label,
        messages: n,
        message_json_bytes: json,
        conversation_bytes: perKey,
        token_chunks: chunks,
        job_bytes: { requests, responses, control },
        /** the mean size of a job's data, options and return value (the rest of `job_bytes` is BullMQ's own fields and Redis' overhead) */
        job_fields_bytes: {
          request: { data: await carried(req, "data"), opts: await carried(req, "opts"), returnvalue: await carried(req, "returnvalue") },
          response: { data: await carried(res, "data"), opts: await carried(res, "opts"), returnvalue: await carried(res, "returnvalue") },
        },
      });
    }
  } finally {
    redis.disconnect();
  }
  return { figures, data: { runs: data } };
}
