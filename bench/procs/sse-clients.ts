/**
 * Browser-like clients for the streaming benchmark: waits for the first conversation `dialogue
 * serve` lists, then opens --clients Server-Sent Events connections to it (as the live page does)
 * and notes, for every token chunk each one receives, how long after the worker wrote it (the
 * chunk's `t`) it arrived. Stops at each stream's `end` event and prints one JSON line: the
 * latencies (every client's), the token events per client, and this process's CPU time.
 */
import { args, required } from "../raw/options.js";

const wallNow = (): number => performance.timeOrigin + performance.now();
const a = args(process.argv.slice(2));
const base = required(a, "url");
const n = Number(required(a, "clients"));
process.stdout.write("ready\n");

let id: string | undefined;
while (!id) {
  const r = (await (await fetch(`${base}/api/conversations?limit=1`)).json()) as { conversations: Array<{ id: string }> };
  id = r.conversations[0]?.id;
  if (!id) await new Promise((r) => setTimeout(r, 10));
}

const latencies: number[] = [];
const attached = Date.now();
let early = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();

async function follow(): Promise<number> {
  const r = await fetch(`${base}/api/conversations/${id}/events`, { headers: { accept: "text/event-stream" } });
  const reader = (r.body as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let buf = "";
  let tokens = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return tokens;
    buf += dec.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (block.startsWith("event: end") || block.includes("\nevent: end")) {
        void reader.cancel();
        return tokens;
      }
      if (!block.startsWith("event: tokens") && !block.includes("\nevent: tokens")) continue;
      const now = wallNow();
      const data = block.slice(block.indexOf("data: ") + 6);
      const chunk = JSON.parse(data) as { t: number };
      tokens++;
      // a chunk written before this client attached says nothing about the latency
      if (chunk.t < attached) early++;
      else latencies.push(now - chunk.t);
    }
  }
}

const perClient = await Promise.all(Array.from({ length: n }, () => follow()));
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ id, latencies, per_client: perClient, early, cpu_ms: (cpu.user + cpu.system) / 1000, wall_ms: performance.now() - t0 })}\n`);
