/**
 * Model checks on the hosts that will serve a run (`run --no-spawn`): the launcher asks, and the
 * live workers of the run's pools and the live managers answer, each resolving the run's model
 * choice against its own host — its OLLAMA_HOST, OPENAI_BASE_URL, GGUF files — with the very code
 * `dialogue run` uses before it starts children (manager/resolve.ts, llm/preflight.ts), so the
 * launcher no longer decides for hosts it is not on.
 *
 * Publishes: a CheckRequest on P:checks (pub/sub reaches every node of a cluster).
 * Writes (answering): P:check:{CHECK} field <process id> = its CheckReply, kept for a minute.
 * Reads (asking): that hash, until every process asked has answered or the time is up.
 */
import { randomBytes } from "node:crypto";
import type { Config } from "../config/schema.js";
import type { Logger } from "../logger.js";
import { checkModels } from "../llm/preflight.js";
import { ServedModels } from "../llm/served.js";
import { resolveModels, specOf } from "../manager/resolve.js";
import type { Keys } from "../protocol/keys.js";
import { CheckReplySchema, CheckRequestSchema, type CheckReply, type CheckRequest, type ModelChoice, type Role } from "../protocol/presence.js";
import type { ModelSpec } from "../protocol/schemas.js";
import { duplicateClient, type RedisClient } from "../redis/cluster.js";

/** how long a reply is kept; @defaultValue 60000 */
const REPLY_TTL_MS = 60_000;
const POLL_MS = 100;

/** the part of a launcher's configuration that chooses models, as it travels */
export function modelChoice(config: Config, modelFile: string | null): ModelChoice {
  return { provider: config.provider, model: config.model, agents: config.agents, manager: config.manager, model_file: modelFile };
}

/** a serving host's configuration with the run's model choice in it: its own servers and files, the run's models */
export function mergeChoice(own: Config, choice: ModelChoice): Config {
  return {
    ...own,
    provider: choice.provider,
    model: choice.model,
    agents: choice.agents,
    manager: choice.manager,
    embedded: { ...own.embedded, model_file: choice.model_file ?? own.embedded.model_file },
  };
}

const oneLine = (s: string): string => (s.split("\n")[0] ?? s).slice(0, 2000);

/** what this process would use for its part of the run (its pool's agents, or the manager), and whether it can */
export async function checkHere(own: Config, req: CheckRequest, me: { process: string; role: Role; host: string; pool: string | null }): Promise<CheckReply> {
  const config = mergeChoice(own, req.choice);
  const served = new ServedModels(config);
  const r = await resolveModels(config, served);
  const base = { ...me, pid: process.pid, auto: r.auto ? { provider: r.auto.provider, model: r.auto.model ?? null, reason: oneLine(r.auto.reason) } : null, notes: r.notes.map(oneLine) };
  if (r.problems.length > 0) {
    return { ...base, uses: [], checks: [], problems: r.problems.map((p) => ({ what: oneLine(p.error.message), hint: p.error.hint ? oneLine(p.error.hint) : null })) };
  }
  const spec = specOf(config, r, "check");
  const named = new Map(r.uses.map((u) => [u.who, u.named]));
  const mine: Array<{ who: string; agent_id: string | null; fallback: boolean; spec: ModelSpec }> = [];
  if (me.role === "manager") mine.push({ who: "manager", agent_id: null, fallback: false, spec: spec.manager });
  else {
    for (const a of spec.agents.filter((x) => x.pool === me.pool)) {
      mine.push({ who: `agent ${a.id}`, agent_id: a.id, fallback: false, spec: a.model });
      if (a.fallback) mine.push({ who: `agent ${a.id} (fallback)`, agent_id: a.id, fallback: true, spec: a.fallback });
    }
  }
  const checks = await checkModels(config, mine.map((m) => m.spec), served);
  const checkOf = (s: ModelSpec) => checks.find((c) => c.spec.provider === s.provider && c.spec.model === s.model);
  return {
    ...base,
    // an embedded model nobody named stays "default": each serving host runs its own file (or its default model)
    uses: mine.map((m) => ({
      who: m.who,
      agent_id: m.agent_id,
      fallback: m.fallback,
      provider: m.spec.provider,
      model: m.spec.provider === "embedded" && !m.fallback && named.get(m.who) === undefined && req.choice.model_file === null ? "default" : m.spec.model,
    })),
    checks: mine.map((m) => {
      const c = checkOf(m.spec);
      return { who: m.who, provider: m.spec.provider, model: m.spec.model, level: c?.level ?? "ok", what: oneLine(c?.what ?? ""), hint: c?.hint ? oneLine(c.hint) : null };
    }),
    problems: [],
  };
}

export interface CheckResponder {
  close(): Promise<void>;
}

/** answers the checks that concern this process (its pool, or managers) for as long as it runs */
export async function answerChecks(opts: {
  redis: RedisClient;
  keys: Keys;
  config: Config;
  me: { process: string; role: Role; host: string; pool: string | null };
  log: Logger;
}): Promise<CheckResponder> {
  const { redis, keys, config, me, log } = opts;
  const sub = duplicateClient(redis);
  sub.on("error", (err: Error) => log.warn({ err: err.message, conn: "redis" }, "checks channel connection error"));
  await sub.subscribe(keys.checksChannel());
  sub.on("message", (channel: string, raw: string) => {
    if (channel !== keys.checksChannel()) return;
    let req: CheckRequest;
    try {
      req = CheckRequestSchema.parse(JSON.parse(raw));
    } catch {
      log.warn({ raw: raw.slice(0, 200) }, "ignored a malformed check request");
      return;
    }
    if (me.role === "manager" ? !req.manager : !me.pool || !req.pools.includes(me.pool)) return;
    void (async () => {
      const reply = CheckReplySchema.parse(await checkHere(config, req, me));
      const key = keys.checkReplies(req.check_id);
      await redis.hset(key, me.process, JSON.stringify(reply));
      await redis.pexpire(key, REPLY_TTL_MS);
      log.info({ check: req.check_id, ok: reply.problems.length === 0 && reply.checks.every((c) => c.level !== "fail") }, "answered a model check");
    })().catch((err: unknown) => log.warn({ err: String(err) }, "could not answer a model check"));
  });
  return {
    async close() {
      sub.disconnect();
    },
  };
}

/**
 * Asks the processes `expected` (their presence ids) to check the run's models on their hosts;
 * resolves with the replies of those that answered within `timeoutMs` (all of them, when they do).
 */
export async function askServers(opts: { redis: RedisClient; keys: Keys; choice: ModelChoice; pools: string[]; expected: readonly string[]; timeoutMs: number }): Promise<CheckReply[]> {
  const { redis, keys } = opts;
  const req: CheckRequest = { check_id: `check-${randomBytes(6).toString("hex")}`, pools: opts.pools, manager: true, choice: opts.choice };
  await redis.publish(keys.checksChannel(), JSON.stringify(CheckRequestSchema.parse(req)));
  const key = keys.checkReplies(req.check_id);
  const end = Date.now() + opts.timeoutMs;
  let replies: CheckReply[] = [];
  for (;;) {
    const raw = await redis.hgetall(key);
    replies = Object.values(raw).flatMap((v) => {
      try {
        const r = CheckReplySchema.safeParse(JSON.parse(v));
        return r.success ? [r.data] : [];
      } catch {
        return [];
      }
    });
    if (opts.expected.every((id) => replies.some((r) => r.process === id)) || Date.now() >= end) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  await redis.del(key);
  return replies;
}

/** a reply's failure, if it has one: a problem choosing, or a model it cannot serve */
export function replyFailure(r: CheckReply): { what: string; hint: string | null } | null {
  const p = r.problems[0];
  if (p) return p;
  const c = r.checks.find((x) => x.level === "fail");
  return c ? { what: `${c.who}: ${c.what}`, hint: c.hint } : null;
}
