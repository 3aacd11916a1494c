/**
 * 8. Import: `dialogue import` of a generated JSON-lines file of 100,000 messages (1,000
 * sessions of 100, interleaved as a contact centre records them, 30 s apart) in its own process:
 * wall time and peak RSS, the RSS against the 300 MB target (memory must not grow with the file).
 * Beside it, a process that only reads the file line by line and parses each line's JSON.
 */
import { createWriteStream, statSync } from "node:fs";
import path from "node:path";
import { once } from "node:events";
import { Redis } from "ioredis";
import { Store } from "../../src/redis/store.js";
import type { Ctx } from "../lib/ctx.js";
import { measureScript, PROCS, runMeasured } from "../lib/proc.js";
import { freshPrefix, productEnv } from "../lib/product.js";
import { figure, type Figure } from "../lib/report.js";

const SECTION = "8. Import";
const WORDS = ["rate", "payment", "offer", "fee", "account", "transfer", "card", "branch", "loan", "balance", "statement", "charge", "refund", "limit", "savings"];

/** `sessions` sessions of `per` messages, round by round (every session's 1st message, then every 2nd, …) */
async function generate(file: string, sessions: number, per: number): Promise<void> {
  const out = createWriteStream(file);
  const t0 = Date.parse("2024-01-01T08:00:00Z");
  for (let i = 0; i < per; i++) {
    let chunk = "";
    for (let s = 0; s < sessions; s++) {
      const w = (k: number): string => WORDS[(s * 7 + i * 3 + k) % WORDS.length] as string;
      const text = `Message ${i + 1} of session ${s + 1}: about the ${w(0)} and the ${w(1)}, and what the ${w(2)} means for the ${w(3)} this month?`;
      chunk += `${JSON.stringify({ session_id: `S-${s + 1}`, timestamp: new Date(t0 + s * 3_600_000 + i * 30_000).toISOString(), speaker: i % 2 ? "customer" : "rm", text })}\n`;
    }
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

export async function importBench(ctx: Ctx): Promise<{ figures: Figure[]; data: Record<string, unknown> }> {
  const [sessions, per] = ctx.smoke ? [20, 50] : [1_000, 100];
  const n = sessions * per;
  const file = path.join(ctx.tmp, `import-${n}.jsonl`);
  ctx.say(`import: writing ${n.toLocaleString("en-US")} messages (${sessions} sessions), then dialogue import`);
  await generate(file, sessions, per);
  const prefix = freshPrefix("import");
  const run = await runMeasured(["import", file, "--prefix", prefix], productEnv(ctx));
  if (run.code !== 0) throw new Error(`dialogue import exited ${run.code}: ${run.stderr.slice(-1000)}`);
  if (!run.stdout.includes(`Imported ${sessions.toLocaleString("en-US")} sessions`)) throw new Error(`dialogue import did not import ${sessions} sessions: ${run.stdout.slice(0, 500)}`);
  const base = await measureScript(path.join(PROCS, "file-reader.js"), [file], { ...process.env });
  if (base.code !== 0) throw new Error(`the file reader failed: ${base.stderr}`);
  const k = n >= 1000 ? `${n / 1000}k` : String(n);
  const figures = [
    figure(SECTION, `import.${k}.time`, `import ${k} messages: time`, run.wall_ms / 1000, "s", { name: "read + parse the file", value: base.wall_ms / 1000 }),
    figure(SECTION, `import.${k}.rss`, `import ${k} messages: peak RSS`, run.max_rss_mb, "MB", { name: "read + parse the file", value: base.max_rss_mb }, { on: "value", op: "<=", limit: 300 }),
  ];
  // the imported runs are about 50 MB of Redis: gone before the next measurement
  const redis = new Redis(ctx.redisUrl);
  try {
    const store = new Store(redis, prefix);
    for (const id of await store.listIds(sessions + 10)) await redis.unlink(...store.keys.conversationKeys(id));
    await redis.unlink(store.keys.index());
  } finally {
    redis.disconnect();
  }
  return { figures, data: { messages: n, sessions, file_bytes: statSync(file).size, import: { wall_ms: run.wall_ms, cpu_ms: run.cpu_ms, max_rss_mb: run.max_rss_mb }, read_file: { wall_ms: base.wall_ms, cpu_ms: base.cpu_ms, max_rss_mb: base.max_rss_mb } } };
}
