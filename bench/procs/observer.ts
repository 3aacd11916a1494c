/**
 * An observer for the streaming benchmark: waits for the first conversation under --prefix, then
 * follows it with the product's own follow() (src/observer/follow.ts) and notes, for every token
 * chunk, how long after the worker wrote it (chunk.t) it arrived here. At the end it prints one
 * JSON line: the latencies, the chunks' text sizes, and this process's CPU time while following.
 */
import { Redis } from "ioredis";
import { follow } from "../../src/observer/follow.js";
import { Store } from "../../src/redis/store.js";
import { args, required } from "../raw/options.js";

/** the wall clock to a fraction of a ms (a chunk's `t` is Date.now(), whole ms, so a latency reads up to 1 ms long) */
const wallNow = (): number => performance.timeOrigin + performance.now();
const a = args(process.argv.slice(2));
const redis = new Redis(required(a, "redis-url"), { maxRetriesPerRequest: null });
const store = new Store(redis, required(a, "prefix"));
process.stdout.write("ready\n");
let id: string | undefined;
while (!(id = (await store.listIds(1))[0])) await new Promise((r) => setTimeout(r, 10));

const latencies: number[] = [];
const sizes: number[] = [];
let early = 0;
const attached = Date.now();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await follow(store, id, (e) => {
  if (e.type !== "tokens") return;
  const now = wallNow();
  // a chunk written before this observer attached says nothing about the latency
  if (e.chunk.t < attached) return void early++;
  latencies.push(now - e.chunk.t);
  sizes.push(e.chunk.text.length);
}, { tokens: true });
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ id, latencies, sizes, early, cpu_ms: (cpu.user + cpu.system) / 1000, wall_ms: performance.now() - t0 })}\n`);
redis.disconnect();
