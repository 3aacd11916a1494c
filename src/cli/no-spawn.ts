/**
 * `dialogue run --no-spawn`: a run served by managers and workers already running, on any host.
 * Before anything is recorded, the launcher
 *   1. looks for a live manager and a live worker for every pool the run needs (their heartbeats,
 *      redis/presence.ts); when one is missing it says so at once, and waits — saying what it
 *      still waits for — up to presence.wait_seconds (--wait), then gives up: the run is recorded
 *      as failed with stop reason "unserved" and the reason, and `run` exits 1;
 *   2. asks those processes to check the run's providers and models on their own hosts
 *      (spec/checks.ts) — Ollama, an OpenAI-compatible server, a GGUF path are the serving host's,
 *      not the launcher's — and builds the run from their answers: what "auto" chose there, the
 *      model their server serves where none was named, "default" for an embedded model nobody
 *      named (each worker runs its own file). A model no serving process can use fails here, in
 *      one line naming the host, before any run is recorded.
 */
import path from "node:path";
import type { Config } from "../config/schema.js";
import { DialogueError, ProviderError, UsageError } from "../errors/index.js";
import { redactUrl } from "../logger.js";
import { buildSpec, modelUses } from "../manager/spec.js";
import type { ConversationSpec } from "../protocol/record.js";
import type { CheckReply } from "../protocol/presence.js";
import { Keys } from "../protocol/keys.js";
import type { RedisClient } from "../redis/cluster.js";
import type { ResolvedRedis } from "../redis/connect.js";
import { liveByPool, readPresence, unservedBy, type Seen, type Unserved } from "../redis/presence.js";
import { askServers, modelChoice, replyFailure } from "../spec/checks.js";
import { managerCommand, workerCommand } from "../observer/unserved.js";
import { reachFlags } from "./reach.js";

const POLL_MS = 250;
/** how often the wait says it is still waiting; @defaultValue 15000 */
const REMIND_MS = 15_000;

/** nobody came to serve the run in time: it is recorded as failed, stop reason "unserved" */
export class UnservedError extends DialogueError {
  constructor(
    readonly reason: string,
    readonly redis: RedisClient,
    readonly resolved: ResolvedRedis,
    readonly config: Config,
    /** what was still missing when the wait ran out (the hint names only that) */
    readonly lacking: Unserved,
  ) {
    super(reason, 1);
  }
}

/** the user stopped the launcher while it waited (SIGINT, SIGTERM) */
export class StoppedWaiting extends DialogueError {
  constructor(
    readonly signal: NodeJS.Signals,
    readonly redis: RedisClient,
    readonly config: Config,
  ) {
    super(`stopped (${signal}) while waiting for the processes to serve the run`, signal === "SIGINT" ? 130 : 143);
  }
}

/** the pools a run needs served: its model agents' (a person's turns are typed, not generated) */
export const poolsOf = (config: Config): string[] => [...new Set(config.agents.filter((a) => a.kind !== "human").map((a) => a.pool ?? a.id))];

/** the live manager(s) and, for each pool, the live worker(s); waits up to `waitMs` for what is missing, saying so */
export async function waitForServers(opts: {
  redis: RedisClient;
  resolved: ResolvedRedis;
  config: Config;
  say: (line: string) => void;
}): Promise<{ managers: Seen[]; workers: Map<string, Seen[]> }> {
  const { redis, resolved, config, say } = opts;
  const keys = new Keys(config.redis.prefix);
  const pools = poolsOf(config);
  const waitMs = Math.round(config.presence.wait_seconds * 1000);
  const t0 = Date.now();
  let said: string | null = null;
  let reminded = t0;
  let signal: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals): void => {
    signal = s;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    for (;;) {
      const { processes } = await readPresence(redis, keys);
      const { managers, workers } = liveByPool(processes);
      const unserved = unservedBy(processes, pools).pools;
      const missing = [...(managers.length === 0 ? ["no live manager"] : []), ...(unserved.length > 0 ? [`no live worker for pool${unserved.length > 1 ? "s" : ""} ${unserved.join(", ")}`] : [])];
      if (missing.length === 0) {
        if (said !== null) say(`--no-spawn: found them after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return { managers, workers: new Map(pools.map((p) => [p, workers.get(p) ?? []])) };
      }
      const what = missing.join(" and ");
      const left = Math.max(0, Math.ceil((t0 + waitMs - Date.now()) / 1000));
      if (said === null) {
        const reach = reachFlags(config);
        const starts = [...(managers.length === 0 ? [managerCommand(reach)] : []), ...unserved.map((p) => workerCommand(p, reach))];
        say(
          `--no-spawn: ${what} under prefix "${config.redis.prefix}" at ${redactUrl(resolved.url)} (dialogue status${reach} lists every process); ` +
            `waiting up to ${Math.round(waitMs / 1000)} s (--wait) for them to start: ${starts.join("; ")}`,
        );
        said = what;
        reminded = Date.now();
      } else if (what !== said || Date.now() - reminded >= REMIND_MS) {
        say(`--no-spawn: still ${what} (${left} s left)`);
        said = what;
        reminded = Date.now();
      }
      if (signal) throw new StoppedWaiting(signal, redis, config);
      if (Date.now() - t0 >= waitMs) {
        throw new UnservedError(`${what} came under prefix "${config.redis.prefix}" within ${Math.round(waitMs / 1000)} s (run --no-spawn)`, redis, resolved, config, { no_manager: managers.length === 0, pools: unserved });
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (signal) throw new StoppedWaiting(signal, redis, config);
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

const whereOf = (r: CheckReply): string => `${r.role}${r.pool ? ` ${r.pool}` : ""} on ${r.host} (pid ${r.pid})`;

/**
 * The run's configuration as the serving processes resolved it (every agent's and the manager's
 * provider and model named), and what to say; throws when a pool, or the manager, has no process
 * that answered and can serve.
 */
export function decide(config: Config, replies: readonly CheckReply[], waitedMs: number): { config: Config; lines: string[] } {
  const lines: string[] = [];
  const pick = (who: string, mine: CheckReply[]): CheckReply => {
    if (mine.length === 0) {
      throw new DialogueError(`no ${who} answered the model check within ${Math.round(waitedMs / 1000)} s`, 1, `see dialogue status${reachFlags(config)}: is it busy, or cut off from Redis? presence.check_timeout_ms gives it longer`);
    }
    const good = mine.find((r) => replyFailure(r) === null);
    for (const r of mine) {
      const f = replyFailure(r);
      if (f && good) lines.push(`warning: ${whereOf(r)} cannot serve this run: ${f.what}; the turns it takes will fail${f.hint ? ` (${f.hint})` : ""}`);
    }
    if (!good) {
      const first = mine[0] as CheckReply;
      const f = replyFailure(first) as { what: string; hint: string | null };
      throw new ProviderError(`checked on the serving host: ${whereOf(first)}: ${f.what}`, { hint: f.hint ?? "fix it on that host, or start a process there that can serve it" });
    }
    if (good.auto) lines.push(`Provider (${whereOf(good)}): auto → ${good.auto.provider}${good.auto.model ? ` (${good.auto.model})` : ""} (${good.auto.reason})`);
    for (const n of good.notes) lines.push(`${n.replace(/^Model: /, "Model: ")} — on ${good.host}`);
    for (const c of good.checks) if (c.level === "warn") lines.push(`warning: ${whereOf(good)}: ${c.what}${c.hint ? `\n  ${c.hint}` : ""}`);
    lines.push(`Checked on ${good.host} (${good.role}${good.pool ? ` ${good.pool}` : ""}, pid ${good.pid}): ${good.checks.map((c) => `${c.who}: ${c.what}`).join("; ")}`);
    return good;
  };
  const agents = [...config.agents];
  for (const pool of poolsOf(config)) {
    const chosen = pick(`worker of pool ${pool}`, replies.filter((r) => r.role === "worker" && r.pool === pool));
    for (const [i, a] of agents.entries()) {
      if ((a.pool ?? a.id) !== pool) continue;
      const main = chosen.uses.find((u) => u.agent_id === a.id && !u.fallback);
      const fb = chosen.uses.find((u) => u.agent_id === a.id && u.fallback);
      agents[i] = {
        ...a,
        ...(main ? { provider: main.provider as NonNullable<typeof a.provider>, model: main.model } : {}),
        ...(a.fallback && fb ? { fallback: { ...a.fallback, provider: fb.provider as typeof a.fallback.provider, model: fb.model } } : {}),
      };
    }
  }
  const mgr = pick("manager", replies.filter((r) => r.role === "manager"));
  const m = mgr.uses.find((u) => u.who === "manager");
  const manager = m ? { ...config.manager, provider: m.provider as NonNullable<Config["manager"]["provider"]>, model: m.model } : config.manager;
  return { config: { ...config, agents, manager }, lines };
}

/** asks the live processes to check the run on their hosts; the configuration they resolved, said as it goes */
export async function checkOnServers(opts: {
  redis: RedisClient;
  config: Config;
  found: { managers: Seen[]; workers: Map<string, Seen[]> };
  say: (line: string) => void;
}): Promise<Config> {
  const { redis, config, found, say } = opts;
  const file = config.embedded.model_file;
  if (file !== null && !path.isAbsolute(file)) {
    throw new UsageError(`--model-file ${JSON.stringify(file)} is a relative path, and with --no-spawn it names a file on the serving hosts`, "give its absolute path on those hosts (or leave it out: each worker then runs its own embedded.model_file / DIALOGUE_MODEL_FILE, or its default model)");
  }
  if (config.ollama.pull) say("--no-spawn: --pull is not done from here: pull the model where it runs (ollama pull <model> on the serving hosts); the check says which host lacks it");
  const expected = [...found.managers, ...[...found.workers.values()].flat()].map((p) => p.id);
  const timeoutMs = config.presence.check_timeout_ms;
  const replies = await askServers({ redis, keys: new Keys(config.redis.prefix), choice: modelChoice(config, file), pools: poolsOf(config), expected, timeoutMs });
  const decided = decide(config, replies, timeoutMs);
  for (const line of decided.lines) say(line);
  return decided.config;
}

/**
 * The spec a run that was never served is recorded with: the models as the configuration names
 * them, "(not chosen: nothing served the run)" where a serving host would have chosen (auto, or a
 * server's model nobody named), so the record says no more than what happened.
 */
export function unservedSpec(config: Config, seed: number): ConversationSpec {
  const spec = buildSpec(config, { provider: "simulated" }, undefined, seed);
  const uses = modelUses(config, { provider: "simulated" });
  const NOT_CHOSEN = "(not chosen: nothing served the run)";
  const configured = (x: { provider?: string | undefined }): string => x.provider ?? config.provider;
  const fix = <T extends { provider: string; model: string }>(m: T, x: { provider?: string | undefined }, who: string): T => {
    const provider = configured(x);
    const named = uses.find((u) => u.who === who)?.named;
    if (provider === "auto") return { ...m, provider: "auto", model: named ?? NOT_CHOSEN };
    if (provider !== "simulated" && named === undefined) return { ...m, model: NOT_CHOSEN };
    return m;
  };
  return {
    ...spec,
    agents: spec.agents.map((a, i) => ({ ...a, model: fix(a.model, config.agents[i] ?? {}, `agent ${a.id}`) })),
    manager: fix(spec.manager, config.manager, "manager"),
  };
}

/** what the user reads when the wait ran out: the commands that start what was still missing (`lacking`), and only those */
export function unservedHint(config: Config, lacking: Unserved): string {
  const reach = reachFlags(config);
  const starts = [...(lacking.no_manager ? [managerCommand(reach)] : []), ...lacking.pools.map((p) => workerCommand(p, reach))];
  return `start ${starts.map((c) => `\`${c}\``).join(" and ")} against this Redis (see them with dialogue status${reach}), then run again; --wait <seconds> waits longer`;
}
