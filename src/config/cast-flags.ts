/**
 * The command line's say over who takes part: `--agents N` (the scenario's agents, then its
 * `cast` in order, cut to N), `--person <id>` (that agent is a person), `--models a,b,…` (one model
 * per agent, in order; "provider:model" names the provider too), `--topic "…"` (what the
 * conversation is about: the premise the story is written around, and each agent's goal) and
 * `--turn-order`. Then the scenario's `{count}` placeholders are filled for the agents taking part
 * (fillCount). Pure: a configuration in, a configuration out, or a UsageError in one line.
 */
import { UsageError } from "../errors/index.js";
import { MAX_AGENTS, MIN_AGENTS, ProviderNameSchema, type ProviderName } from "../protocol/schemas.js";
import { fillCount, isTopic, topicPhrase } from "../protocol/scene-words.js";
import type { Config } from "./schema.js";

export interface CastFlags {
  agents?: number | undefined;
  person?: string[] | undefined;
  topic?: string | undefined;
  /**
   * the ids of the agents whose goal the user wrote (their own file, --set: config/load.ts
   * LoadResult.ownGoals): --topic keeps those goals, and gives one about the topic to every other
   * agent (the default scene's, a built-in scenario's, one without a goal). Without it, every goal
   * is about the topic.
   */
  ownGoals?: ReadonlySet<string> | undefined;
  turnOrder?: string | undefined;
}

/** an agent's goal when the conversation is about `topic`: "weigh up whether … as a local resident" */
export function topicGoal(topic: string, role: string): string {
  const what = isTopic(topic) ? topicPhrase(topic) : "what is at stake";
  const r = role.trim().replace(/^(a|an|the)\s+/i, "").replace(/^\p{Lu}(?=\p{Ll})/u, (c) => c.toLowerCase());
  return `weigh up ${what} as ${/^[aeiou]/i.test(r) ? "an" : "a"} ${r}`;
}

export function applyCastFlags(config: Config, f: CastFlags): Config {
  let agents = config.agents;
  if (f.agents !== undefined) {
    if (f.agents < MIN_AGENTS || f.agents > MAX_AGENTS) throw new UsageError(`--agents ${f.agents}: a conversation has ${MIN_AGENTS} to ${MAX_AGENTS} agents`, `e.g. --agents 4`);
    const all = [...config.agents, ...config.cast.filter((c) => !config.agents.some((a) => a.id === c.id))];
    if (f.agents > all.length) {
      throw new UsageError(
        `--agents ${f.agents}: this scenario has ${all.length} agents in all (${all.map((a) => a.id).join(", ")})`,
        `use at most --agents ${all.length}, or list more agents (or a "cast" to draw on) in a config file`,
      );
    }
    agents = all.slice(0, f.agents);
  }
  for (const id of f.person ?? []) {
    if (!agents.some((a) => a.id === id)) throw new UsageError(`--person ${id}: no agent has that id`, `the agents are ${agents.map((a) => a.id).join(", ")}`);
  }
  if (f.person?.length) agents = agents.map((a) => (f.person?.includes(a.id) ? { ...a, kind: "human" as const } : a));
  let out: Config = { ...config, agents };
  if (f.topic !== undefined) {
    const topic = f.topic.trim();
    if (topic === "") throw new UsageError("--topic is empty", 'give the premise the story is written around, e.g. --topic "whether the town should build a tram line"');
    // the topic is the premise; the scenario's own setting may not fit it, so the manager writes one;
    // the scenario's goals were about its own premise: each agent weighs up the topic instead
    const goals = out.agents.map((a) => (a.goal?.trim() && f.ownGoals?.has(a.id) ? a : { ...a, goal: topicGoal(topic, a.role) }));
    out = { ...out, agents: goals, scenario: { title: topic.length > 80 ? `${topic.slice(0, 79)}…` : topic, premise: topic } };
  }
  if (f.turnOrder !== undefined) out = { ...out, conversation: { ...out.conversation, turn_order: f.turnOrder as Config["conversation"]["turn_order"] } };
  return fitCount(out);
}

/** the scenario's title, premise and setting with `{count}` / `{Count}` filled for the agents taking part */
export function fitCount(config: Config): Config {
  const n = config.agents.length;
  const { title, premise, setting } = config.scenario;
  return {
    ...config,
    scenario: { ...config.scenario, title: fillCount(title, n), premise: fillCount(premise, n), ...(setting === undefined ? {} : { setting: fillCount(setting, n) }) },
  };
}

/** "a,b,c" for the agents in order: "model" or "provider:model" (an Ollama tag such as qwen2.5:0.5b stays whole) */
export function applyModelsFlag(config: Config, models: string | undefined): Config {
  if (models === undefined) return config;
  const items = models.split(",").map((m) => m.trim());
  if (items.some((m) => m === "")) throw new UsageError(`--models "${models}" has an empty entry`, "one model per agent, comma-separated: --models llama3.2,qwen2.5:0.5b");
  const modelAgents = config.agents;
  if (items.length !== modelAgents.length) {
    throw new UsageError(
      `--models names ${items.length} model${items.length === 1 ? "" : "s"} for ${modelAgents.length} agents (${modelAgents.map((a) => a.id).join(", ")})`,
      "give one model per agent, in their order (a person's entry is ignored), comma-separated",
    );
  }
  const agents = config.agents.map((a, i) => {
    const item = items[i] as string;
    const at = item.indexOf(":");
    const head = at > 0 ? item.slice(0, at) : "";
    if (at === 0) throw new UsageError(`--models: "${item}" names no provider before ":"`, `give provider:model (e.g. ollama:llama3.2) or the model alone`);
    // "Ollama:llama3.2": a provider mistyped, not a model of that name
    const lower = ProviderNameSchema.safeParse(head.toLowerCase());
    if (lower.success && head !== lower.data) throw new UsageError(`--models: "${item}": providers are written in lower case`, `e.g. ${lower.data}:${item.slice(at + 1) || "llama3.2"}`);
    const provider = ProviderNameSchema.safeParse(head);
    // "olama:llama3.2": a provider mistyped, which would otherwise be taken for an Ollama model
    // named that way (name:tag), and end up on whatever provider the run has
    // one edit away, same first letter: "olama", "opnai", "simulted", "embeded" — not a model's own name such as
    // llama3:8b, llava:13b or llama:7b (one or two edits from "ollama", but the tag of a real model)
    const typed = head.toLowerCase();
    const near = provider.success || head === "" ? undefined : ProviderNameSchema.options.find((p) => typed[0] === p[0] && editDistance(typed, p) <= 1);
    if (near) throw new UsageError(`--models: "${item}": unknown provider "${head}" (did you mean ${near}?)`, `the providers are ${ProviderNameSchema.options.join(", ")}: e.g. ${near}:${item.slice(at + 1) || "llama3.2"}`);
    if (provider.success) {
      const model = item.slice(at + 1);
      if (model === "") throw new UsageError(`--models: "${item}" names no model after "${head}:"`, head === "simulated" ? "e.g. simulated:simulated-1" : `e.g. ${head}:llama3.2`);
      const { model: _m, ...rest } = a;
      return { ...rest, provider: provider.data as ProviderName, model };
    }
    return { ...a, model: item };
  });
  return { ...config, agents };
}

/** how many single-character edits (insert, delete, replace, swap of two neighbours) turn `a` into `b` */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}
