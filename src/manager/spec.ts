/**
 * Turning a configuration into a conversation spec: ids, pools, and each agent's concrete
 * provider, model and options ("auto" resolved, provider defaults filled in).
 */
import { randomBytes, randomInt } from "node:crypto";
import type { z } from "zod";
import path from "node:path";
import { DEFAULT_TIMEOUTS, type Config, type TimeoutsSchema } from "../config/schema.js";
import { DEFAULT_MODELS } from "../llm/index.js";
import type { AgentSpec, ConversationSpec } from "../protocol/record.js";
import type { ModelOptions, ModelSpec, ProviderName, StallTimeouts } from "../protocol/schemas.js";
import { now } from "../redis/clock.js";
import { fillCount } from "../protocol/scene-words.js";

export type ConcreteProvider = Exclude<ProviderName, "auto">;

/** sortable and readable: 20261121-143005-k3f9a, by Redis' clock once this process has measured it */
export function newConversationId(at = new Date(now())): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  const stamp = `${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}-${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}`;
  return `${stamp}-${randomBytes(3).toString("hex").slice(0, 5)}`;
}

/**
 * What "auto" resolved to: a provider, and the model it found when it looked (e.g. one Ollama
 * has); and `served`: the model each server provider uses where none is named, one its server
 * serves (manager/resolve.ts), else the provider's default.
 */
export interface AutoResolved {
  provider: ConcreteProvider;
  model?: string | undefined;
  served?: Partial<Record<ConcreteProvider, string>>;
}

type Timeouts = z.infer<typeof TimeoutsSchema>;

/**
 * the stall timeouts of a model: the agent's own, else its provider's, else the top-level ones,
 * else (when set) the old queues.idle_timeout_ms, else the defaults
 */
export function timeoutsFor(config: Config, p: ConcreteProvider, own?: Timeouts): StallTimeouts {
  const idle = config.queues.idle_timeout_ms;
  const legacy = idle === undefined ? {} : { first_token_ms: idle, between_tokens_ms: idle };
  const byProvider = p === "simulated" ? undefined : config[p].timeouts;
  return { ...DEFAULT_TIMEOUTS, ...legacy, ...config.timeouts, ...byProvider, ...own } as StallTimeouts;
}

/** the agents' and the manager's model settings, as the config has them */
type Named = { provider?: ProviderName | undefined; model?: string | undefined };

/** who uses what: the concrete provider, and the model named for it (undefined: none named) */
export interface ModelUse {
  who: string;
  provider: ConcreteProvider;
  named: string | undefined;
}

function use(config: Config, x: Named, auto: AutoResolved): { provider: ConcreteProvider; named: string | undefined } {
  const chosen = x.provider ?? config.provider;
  const provider: ConcreteProvider = chosen === "auto" ? auto.provider : chosen;
  return { provider, named: x.model ?? (config.model || (chosen === "auto" ? auto.model : undefined) || undefined) };
}

/** every agent and the manager, with the provider each will use and the model it names, if any */
export function modelUses(config: Config, auto: AutoResolved): ModelUse[] {
  return [
    // a person uses no model
    ...config.agents.filter((a) => a.kind !== "human").map((a) => ({ who: `agent ${a.id}`, ...use(config, a, auto) })),
    { who: "manager", ...use(config, config.manager, auto) },
  ];
}

function modelSpec(config: Config, x: Named, options: ModelOptions, auto: AutoResolved, simulatedDefaults: ModelOptions, timeouts?: Timeouts): ModelSpec {
  const { provider: p, named } = use(config, x, auto);
  // a seed set in the options is used as it is; otherwise each generation gets one derived from
  // the run's seed (llm/seed.ts generationSeed), so a run is reproducible and its turns still differ
  const opts = p === "simulated" ? { ...simulatedDefaults, ...options } : options;
  return { provider: p, model: named ?? defaultModel(config, p, auto), options: opts, timeouts: timeoutsFor(config, p, timeouts) };
}

/** the seed a run gets: the configured one (or simulated.seed, as before), else a fresh one */
export function runSeed(config: Config): number {
  return config.seed ?? config.simulated.seed ?? randomInt(0, 2 ** 31 - 1);
}

/** the model a provider uses when none is named: one its server serves, for embedded the --model-file, else the default */
function defaultModel(config: Config, p: ConcreteProvider, auto: AutoResolved): string {
  const served = auto.served?.[p];
  if (served) return served;
  if (p === "embedded" && config.embedded.model_file) return path.resolve(config.embedded.model_file);
  return DEFAULT_MODELS[p];
}

/** the configuration with secrets removed, as kept in the record */
export function redactedConfig(config: Config): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(config)) as Config;
  if (copy.openai.api_key) copy.openai.api_key = "***";
  if (copy.redis.url) copy.redis.url = copy.redis.url.replace(/^(\w+:\/\/[^:@/]*):[^@/]*@/, "$1:***@");
  return copy as unknown as Record<string, unknown>;
}

/** `seed`: the run's seed (runSeed(config) when not given) */
export function buildSpec(config: Config, autoChoice: ConcreteProvider | AutoResolved, id = newConversationId(), seed = runSeed(config)): ConversationSpec {
  const auto: AutoResolved = typeof autoChoice === "string" ? { provider: autoChoice } : autoChoice;
  const sim = config.simulated;
  const agentSim: ModelOptions = { tokens_per_second: sim.tokens_per_second, time_to_first_token_ms: sim.time_to_first_token_ms };
  // the manager writes two short JSON documents; simulate a faster model so the demo starts quickly
  const managerSim: ModelOptions = {
    tokens_per_second: sim.tokens_per_second === 0 ? 0 : Math.max(200, sim.tokens_per_second),
    time_to_first_token_ms: Math.min(sim.time_to_first_token_ms, 100),
  };
  const agents: AgentSpec[] = config.agents.map((a) => ({
    id: a.id,
    role: a.role,
    ...(a.goal ? { goal: a.goal } : {}),
    kind: a.kind,
    pool: a.pool ?? a.id,
    model: modelSpec(config, a, a.options, auto, agentSim, a.timeouts),
    fallback: a.fallback ? modelSpec(config, a.fallback, a.fallback.options, auto, agentSim) : null,
  }));
  return {
    id,
    created_at: now(),
    // the material's files are in `materials` (with their chunks in Redis), not in the scenario
    // (and its {count} for the agents taking part, whatever path built the configuration)
    scenario: { title: fillCount(config.scenario.title, agents.length), premise: fillCount(config.scenario.premise, agents.length), ...(config.scenario.setting ? { setting: fillCount(config.scenario.setting, agents.length) } : {}) },
    agents,
    turn_order: config.conversation.turn_order,
    manager: modelSpec(config, config.manager, config.manager.options, auto, managerSim, config.manager.timeouts),
    limits: config.limits,
    token_stream_maxlen: config.redis.token_stream_maxlen,
    seed,
    context: config.context,
    config: redactedConfig(config),
  };
}

/** true when some agent or the manager would use provider "auto" */
export function needsAuto(config: Config): boolean {
  const ps = [...config.agents.map((a) => a.provider), config.manager.provider].map((p) => p ?? config.provider);
  return ps.includes("auto");
}
