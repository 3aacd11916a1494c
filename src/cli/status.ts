/**
 * `dialogue status`: every manager and worker under this prefix, on whatever host, from their
 * heartbeats (redis/presence.ts): role, pool, host, pid, live / gone / stopped (by Redis' clock:
 * gone when not seen for 3 of its heartbeats), load, how far its clock is off, version, and what
 * its host can serve (the models its servers list, its GGUF file). Then each pool that matters now
 * and how many live workers serve it: a pool no live worker serves is named with the runs going on
 * that need it, its turns waiting in its queue, and the command that starts a worker; one that
 * nothing needs (no live worker, none of its workers GONE, no run going on uses it: only turns of
 * ended runs may be left in its queue, which a worker would drop) is idle: counted, and named
 * with --all.
 *
 * Reads only: presence, the pools runs used and the active set (redis/store.ts) with those runs'
 * records, and the job counts of the request queues of the pools no live worker serves.
 */
import { Command } from "commander";
import { plural, table, utcSeconds } from "../analysis/format.js";
import type { Serves } from "../protocol/presence.js";
import { describeRedis } from "../redis/connect.js";
import { isFinal, poolsOfSpec } from "../protocol/record.js";
import { Queues } from "../queues/index.js";
import { liveByPool, readPresence, unservedBy, type Seen } from "../redis/presence.js";
import { Store } from "../redis/store.js";
import { addCommonOptions, loadConfig, openRedis, stderr, type CommonOptions } from "./common.js";
import { out } from "./conversation.js";
import { reachFlags } from "./reach.js";
import { managerCommand, workerCommand } from "../observer/unserved.js";

const seconds = (ms: number): string => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

/** how far a process's clock is off Redis': "clock ok", "clock 200.0 s ahead" */
export function clockText(offsetMs: number | null): string {
  if (offsetMs === null) return "clock not measured";
  if (Math.abs(offsetMs) < 1000) return `clock ok (${offsetMs >= 0 ? "+" : ""}${offsetMs} ms)`;
  // the offset is what was added to the host's clock: a host ahead has a negative one
  return `clock ${seconds(Math.abs(offsetMs))} ${offsetMs < 0 ? "ahead" : "behind"} (corrected)`;
}

function listShort(models: readonly string[], max = 6): string {
  if (models.length === 0) return "no models";
  return models.length > max ? `${models.slice(0, max).join(", ")} (+${models.length - max})` : models.join(", ");
}

/** one line: what the host of a process can serve */
export function servesText(s: Serves | null): string {
  if (!s) return "serves: not looked at yet";
  const ollama = s.ollama.ok ? `ollama at ${s.ollama.where}: ${listShort(s.ollama.models)}` : `ollama at ${s.ollama.where}: ${s.ollama.error ?? "not answering"}`;
  const openai = !s.openai ? "openai: not configured" : s.openai.ok ? `openai at ${s.openai.where}: ${listShort(s.openai.models)}` : `openai at ${s.openai.where}: ${s.openai.error ?? "not answering"}`;
  const file = s.embedded.model_file ? `${s.embedded.model_file}${s.embedded.model_file_present ? "" : " (missing)"}` : null;
  const embedded = `embedded: ${file ?? (s.embedded.default_present ? `default model ${s.embedded.default_model}` : "no model file, default model not downloaded")}`;
  return `serves: ${ollama} · ${openai} · ${embedded} · simulated`;
}

function cells(p: Seen): string[] {
  const status = p.status === "live" ? `live, seen ${seconds(p.age_ms)} ago` : p.status === "gone" ? `GONE, last seen ${seconds(p.age_ms)} ago` : `stopped ${seconds(p.age_ms)} ago`;
  const load = `load ${p.load.active}/${p.load.concurrency}, ${p.load.done} done${p.load.failed ? ` (${p.load.failed} failed)` : ""}`;
  return [p.role, p.pool ?? "-", p.host, String(p.pid), status, load, clockText(p.clock_offset_ms), `v${p.version}`];
}

const HEADER = ["ROLE", "POOL", "HOST", "PID", "STATUS", "LOAD", "CLOCK", "VERSION"];

/** for each pool no live worker serves: how many runs going on use it, and how many of its turns wait in its queue */
async function needs(store: Store, queues: Queues, pools: readonly string[]): Promise<Map<string, { runs: number; turns: number }>> {
  const need = new Map(pools.map((p) => [p, { runs: 0, turns: 0 }]));
  if (pools.length === 0) return need;
  for (const id of await store.activeIds()) {
    const rec = await store.get(id).catch(() => null);
    if (!rec || isFinal(rec.status)) continue;
    for (const p of poolsOfSpec(rec.spec)) {
      const n = need.get(p);
      if (n) n.runs++;
    }
  }
  await Promise.all(
    pools.map(async (p) => {
      const c = await queues.requests(p).getJobCounts("wait", "active", "delayed", "prioritized");
      (need.get(p) as { turns: number }).turns = Object.values(c).reduce((a, b) => a + b, 0);
    }),
  );
  return need;
}

export function statusCommand(): Command {
  const cmd = new Command("status")
    .description("list every manager and worker of this prefix, on any host, from their heartbeats: live, gone (killed or cut off) or stopped; their pools, load, clock and what they serve")
    .option("--live", "only the live ones")
    .option("--all", "also the ones that exited cleanly (stopped) in the last hour, and the idle pools")
    .option("--json", "one JSON object per process");
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Every manager and worker writes a heartbeat into Redis every presence.heartbeat_ms (2 s): its host
(DIALOGUE_HOSTNAME overrides the name), pid, pool, version, load, its clock's offset to Redis', and
what its host can serve (the models of its Ollama and OpenAI-compatible servers, its GGUF file). One
not heard from for 3 heartbeats is shown GONE; one that exited cleanly is stopped, shown with --all
(dialogue run's own children stop at the end of every run). Entries go after an hour.

Pools: each pool with a live worker, and each pool without one that something needs — a run going
on that uses it (its turns wait: the line names the command that starts a worker and counts the
turns in its queue), or a worker of it GONE. A pool nothing needs any more (only ended runs used it,
its workers stopped cleanly) is idle: counted, and named with --all.

Examples:
  dialogue status
  dialogue status --json | jq -r 'select(.status == "live") | .host'`,
  );
  return cmd.action(async (opts: CommonOptions & { live?: boolean; all?: boolean; json?: boolean }) => {
    const config = loadConfig(opts);
    const { redis, resolved } = await openRedis(config, stderr);
    // what the commands printed need to reach these processes' Redis and prefix (reach.ts)
    const reach = reachFlags(config);
    const queues = new Queues(redis, config.redis.prefix, config.queues);
    try {
      const store = new Store(redis, config.redis.prefix);
      const [{ at, processes, malformed }, pools] = await Promise.all([readPresence(redis, store.keys), store.pools()]);
      const shown = processes.filter((p) => (opts.live ? p.status === "live" : opts.all || p.status !== "stopped"));
      const stopped = processes.filter((p) => p.status === "stopped").length;
      if (opts.json) {
        for (const p of shown) out(JSON.stringify(p));
        return;
      }
      out(`Processes under prefix "${config.redis.prefix}" on ${describeRedis(resolved)} · Redis time ${utcSeconds(at)} UTC`);
      if (shown.length === 0) out(`  none has reported (start them with: ${managerCommand(reach)}; ${workerCommand("<pool>", reach)})`);
      else {
        // columns as wide as their widest cell: a pool name, a host or a load of 12,345 turns done never runs into the next
        const [header, ...rows] = table([HEADER, ...shown.map(cells)]).split("\n");
        out(header as string);
        shown.forEach((p, i) => {
          out(rows[i] as string);
          if (p.status === "live") out(`      ${servesText(p.serves)}`);
        });
      }
      if (malformed > 0) out(`  (${plural(malformed, "unreadable heartbeat")} skipped)`);
      if (!opts.all && !opts.live && stopped > 0) out(`  (${plural(stopped, "process", "processes")} that exited cleanly in the last hour not shown: --all)`);
      const { managers, workers } = liveByPool(processes);
      out(`Managers: ${managers.length === 0 ? `none live (no run under this prefix moves: ${managerCommand(reach)})` : `${managers.length} live`}`);
      // the pools runs used, and those of every worker that reported (live or not)
      const allPools = [...new Set([...pools, ...processes.flatMap((p) => (p.role === "worker" && p.pool ? [p.pool] : []))])].sort();
      const need = await needs(store, queues, unservedBy(processes, allPools).pools);
      const parts: string[] = [];
      const idle: string[] = [];
      for (const pool of allPools) {
        const n = workers.get(pool)?.length ?? 0;
        const { runs, turns } = need.get(pool) ?? { runs: 0, turns: 0 };
        // a worker of it GONE (killed, crashed, cut off: listed above) was meant to serve it
        const lost = processes.some((p) => p.role === "worker" && p.pool === pool && p.status === "gone");
        if (n > 0) parts.push(`${pool}: ${plural(n, "live worker")}`);
        else if (runs === 0 && !lost) idle.push(turns > 0 ? `${pool} (${plural(turns, "turn")} of no run going on left in its queue)` : pool);
        else {
          const why = [...(runs > 0 ? [`needed by ${plural(runs, "run")} going on`] : []), ...(turns > 0 ? [`${plural(turns, "turn")} in its queue`] : [])];
          parts.push(`${pool}: no live worker${why.map((w) => `, ${w}`).join("")} (${workerCommand(pool, reach)})`);
        }
      }
      if (parts.length > 0) out(`Pools: ${parts.join(" · ")}`);
      if (idle.length > 0) {
        const what = "no live worker, and no run going on needs one";
        out(opts.all ? `Idle pools (${what}): ${idle.join(", ")}` : `  (${plural(idle.length, "idle pool")} not shown: ${what}; --all names them)`);
      }
    } finally {
      await queues.close();
      redis.disconnect();
    }
  });
}
