/**
 * Turning a configuration into a conversation spec: ids, pools, and each agent's concrete
 * provider, model and options ("auto" resolved, provider defaults filled in).
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import type { Config } from "../config/schema.js";
import { DEFAULT_MODELS } from "../llm/index.js";
import type { AgentSpec, ConversationSpec } from "../protocol/record.js";
import type { ModelOptions, ModelSpec, ProviderName } from "../protocol/schemas.js";

export type ConcreteProvider = Exclude<ProviderName, "auto">;

/** sortable and readable: 20261121-143005-k3f9a */
export function newConversationId(now = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
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
    ...config.agents.map((a) => ({ who: `agent ${a.id}`, ...use(config, a, auto) })),
    { who: "manager", ...use(config, config.manager, auto) },
  ];
}

function modelSpec(config: Config, x: Named, options: ModelOptions, auto: AutoResolved, simulatedDefaults: ModelOptions): ModelSpec {
  const { provider: p, named } = use(config, x, auto);
  const opts = p === "simulated" ? { ...simulatedDefaults, ...options } : options;
  return { provider: p, model: named ?? defaultModel(config, p, auto), options: opts };
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

export function buildSpec(config: Config, autoChoice: ConcreteProvider | AutoResolved, id = newConversationId()): ConversationSpec {
  const auto: AutoResolved = typeof autoChoice === "string" ? { provider: autoChoice } : autoChoice;
  const sim = config.simulated;
  const agentSim: ModelOptions = {
    seed: sim.seed,
    tokens_per_second: sim.tokens_per_second,
    time_to_first_token_ms: sim.time_to_first_token_ms,
  };
  // the manager writes two short JSON documents; simulate a faster model so the demo starts quickly
  const managerSim: ModelOptions = {
    seed: sim.seed,
    tokens_per_second: sim.tokens_per_second === 0 ? 0 : Math.max(200, sim.tokens_per_second),
    time_to_first_token_ms: Math.min(sim.time_to_first_token_ms, 100),
  };
  const agents: AgentSpec[] = config.agents.map((a) => ({
    id: a.id,
    role: a.role,
    ...(a.goal ? { goal: a.goal } : {}),
    pool: a.pool ?? a.id,
    model: modelSpec(config, a, a.options, auto, agentSim),
    fallback: a.fallback ? modelSpec(config, a.fallback, a.fallback.options, auto, agentSim) : null,
  }));
  return {
    id,
    created_at: Date.now(),
    scenario: config.scenario,
    agents,
    manager: modelSpec(config, config.manager, config.manager.options, auto, managerSim),
    limits: config.limits,
    token_stream_maxlen: config.redis.token_stream_maxlen,
    context: config.context,
    config: redactedConfig(config),
  };
}

/** true when some agent or the manager would use provider "auto" */
export function needsAuto(config: Config): boolean {
  const ps = [...config.agents.map((a) => a.provider), config.manager.provider].map((p) => p ?? config.provider);
  return ps.includes("auto");
}
