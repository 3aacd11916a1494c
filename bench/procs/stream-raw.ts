/**
 * The raw Redis stream baseline of token streaming. `--mode write`: XADD `--chunks` chunks of
 * `--bytes` characters every `--every-ms` (the worker's flush interval), each stamped with
 * Date.now() as a worker's chunk is. `--mode read`: XREAD BLOCK on the stream as follow() does and
 * note each chunk's latency; prints one JSON line with the latencies and its CPU time at the end.
 */
import { Redis } from "ioredis";
import { args, payload, required } from "../raw/options.js";

/** the wall clock to a fraction of a ms, as the observer reads it */
const wallNow = (): number => performance.timeOrigin + performance.now();
const a = args(process.argv.slice(2));
const redis = new Redis(required(a, "redis-url"), { maxRetriesPerRequest: null });
const key = required(a, "key");
const chunks = Number(required(a, "chunks"));

if (required(a, "mode") === "write") {
  const text = payload(Number(required(a, "bytes")));
  const every = Number(required(a, "every-ms"));
  const start = performance.now();
  for (let i = 0; i < chunks; i++) {
    const due = start + i * every;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const chunk = { seq: 1, attempt: 1, agent_id: "a", text, tokens: 1, t: Date.now() };
    await redis.xadd(key, "MAXLEN", "~", 5000, "*", "c", JSON.stringify(chunk));
  }
} else {
  const reader = redis.duplicate();
  process.stdout.write("ready\n");
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let last = "0-0";
  while (latencies.length < chunks) {
    const res = (await reader.xread("COUNT", 500, "BLOCK", 200, "STREAMS", key, last)) as Array<[string, Array<[string, string[]]>]> | null;
    for (const [, entries] of res ?? []) {
      for (const [entryId, fields] of entries) {
        last = entryId;
        const chunk = JSON.parse(fields[fields.indexOf("c") + 1] ?? "{}") as { t: number };
        latencies.push(wallNow() - chunk.t);
      }
    }
  }
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`${JSON.stringify({ latencies, cpu_ms: (cpu.user + cpu.system) / 1000, wall_ms: performance.now() - t0 })}\n`);
  reader.disconnect();
}
redis.disconnect();
