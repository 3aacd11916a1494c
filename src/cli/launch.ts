/**
 * What `dialogue run` does before a conversation starts, for one conversation or a batch
 * (`--count N`): the configuration from the flags, "auto" resolved (and said), every model
 * checked, Redis opened, and the child processes (one manager, one worker per pool) that serve
 * the run started with that configuration. With --no-spawn the checks are made by the running
 * processes that will serve, on their hosts (cli/no-spawn.ts), not here.
 */
import type { RedisClient } from "../redis/cluster.js";
import type { Config } from "../config/schema.js";
import { applyCastFlags, applyModelsFlag } from "../config/cast-flags.js";
import { applyProviderFlag } from "../config/provider-flag.js";
import { ConfigSchema } from "../config/schema.js";
import { ConfigError, DialogueError, UsageError } from "../errors/index.js";
import { preflight } from "../llm/preflight.js";
import { ServedModels } from "../llm/served.js";
import { newConversationId, runSeed } from "../manager/spec.js";
import { resolveModels, specOf, type Resolution } from "../manager/resolve.js";
import type { ConversationSpec } from "../protocol/record.js";
import type { ProviderName } from "../protocol/schemas.js";
import { Queues } from "../queues/index.js";
import type { ResolvedRedis } from "../redis/connect.js";
import { Store } from "../redis/store.js";
import { loadMaterials, type Chunk } from "../material/load.js";

/** the run's material, read and chunked on the launcher */
type LoadedMaterial = ReturnType<typeof loadMaterials>;
import { loadConfigOwned, openRedis, stderr, type CommonOptions } from "./common.js";
import { checkOnServers, StoppedWaiting, UnservedError, waitForServers } from "./no-spawn.js";
import { reachFlags } from "./reach.js";
import type { Supervisor } from "./children.js";

export interface RunOptions extends CommonOptions {
  scenario?: string;
  provider?: string;
  model?: string;
  modelFile?: string;
  pull?: boolean;
  threads?: number;
  duration?: number;
  maxTurns?: number;
  maxTokens?: number;
  seed?: number;
  agents?: number;
  models?: string;
  topic?: string;
  turnOrder?: string;
  person?: string[];
  plain?: boolean;
  json?: boolean;
  tokens?: boolean;
  spawn: boolean;
  count?: number;
  /** --no-spawn: seconds to wait for the processes (presence.wait_seconds) */
  wait?: number;
  continue?: string;
  material?: string[];
}

export interface Launch {
  config: Config;
  redis: RedisClient;
  resolved: ResolvedRedis;
  prefix: string;
  store: Store;
  queues: Queues;
  /**
   * A new conversation of this configuration (a fresh id each time). With a seed set, `nth` > 0
   * (the nth of a batch) offsets it by n, so a batch's conversations differ while each stays
   * reproducible (`--seed <seed + n>`); without one, each gets a fresh seed.
   */
  newSpec(nth?: number): ConversationSpec;
  /** the pools the conversations' agents use */
  pools: string[];
  /** the material's chunks (scenario.materials, --material), for startRun */
  chunks: Chunk[];
}

/** the options that choose what a run uses (run's and doctor's) */
export type ModelChoiceOptions = Pick<RunOptions, keyof CommonOptions | "scenario" | "provider" | "model" | "modelFile" | "pull" | "threads">;

/** the configuration a run of these options uses: files, env, --set, then the flags; --provider and --model for every agent */
export function runConfig(opts: ModelChoiceOptions & Partial<RunOptions>, adjust?: (c: Config) => Config): Config {
  const overrides: Record<string, unknown> = {};
  if (opts.provider) overrides.provider = opts.provider;
  if (opts.model) overrides.model = opts.model;
  if (opts.modelFile) overrides["embedded.model_file"] = opts.modelFile;
  if (opts.pull) overrides["ollama.pull"] = true;
  if (opts.threads) overrides["embedded.threads"] = opts.threads;
  if (opts.duration) overrides["limits.duration_seconds"] = opts.duration;
  if (opts.maxTurns) overrides["limits.max_turns"] = opts.maxTurns;
  if (opts.maxTokens) overrides["limits.max_total_tokens"] = opts.maxTokens;
  if (opts.seed !== undefined) overrides.seed = opts.seed;
  if (opts.wait !== undefined) overrides["presence.wait_seconds"] = opts.wait;
  if (opts.models !== undefined && opts.model !== undefined) throw new UsageError("give --models (one per agent) or --model (the same for all), not both", "e.g. --models llama3.2,qwen2.5:0.5b");
  const loaded = loadConfigOwned(opts, { overrides, scenario: opts.scenario });
  const cast = applyCastFlags(loaded.config, {
    agents: opts.agents,
    person: opts.person,
    topic: opts.topic,
    // goals the user wrote (a file of theirs, --set) are theirs to keep; the default scene's and a built-in scenario's are not
    ownGoals: loaded.ownGoals,
    turnOrder: opts.turnOrder,
  });
  const shaped = adjust ? adjust(cast) : cast;
  const withModels = applyModelsFlag(applyProviderFlag(shaped, opts.provider as ProviderName | undefined, opts.model), opts.models);
  // the flags built a new configuration: it is checked as a config file is
  const checked = ConfigSchema.safeParse(withModels);
  if (!checked.success) throw new ConfigError(checked.error.issues.map((i) => ({ path: i.path.join("."), message: i.message, source: "from the command line" })));
  return checked.data;
}

/** the "Provider: auto → …" line */
export function autoLine(r: Resolution): string | null {
  const a = r.auto;
  return a ? `Provider: auto → ${a.provider}${a.model ? ` (${a.model})` : ""} (${a.reason})` : null;
}

/** `adjust`: reshapes the configuration before the flags that choose models apply (run --continue: the source's speakers as the agents) */
export async function prepareLaunch(opts: RunOptions, adjust?: (c: Config) => Config): Promise<Launch> {
  const config = runConfig(opts, adjust);
  // the material is read and checked first: a bad file stops everything before anything starts
  const files = [...(config.scenario.materials ?? []), ...(opts.material ?? [])];
  const material = files.length ? loadMaterials(files, config.materials) : null;
  if (!opts.spawn) return prepareNoSpawn(config, material);
  // what each agent and the manager use, said; then every model usable before anything starts:
  // the servers answer and have it (or --pull), the GGUF is there
  const served = new ServedModels(config);
  const resolution = await resolveModels(config, served, { modelFileNamed: Boolean(opts.modelFile) });
  const line = autoLine(resolution);
  if (line) stderr(line);
  const problem = resolution.problems[0];
  if (problem) throw problem.error;
  for (const note of resolution.notes) stderr(note);
  const first = specOf(config, resolution, undefined, seeds(config)(0));
  await preflight(config, [first.manager, ...first.agents.filter((a) => a.kind !== "human").map((a) => a.model)], { say: stderr, served });

  const { redis, resolved } = await openRedis(config, stderr);
  return launchOf(config, resolution, first, redis, resolved, material);
}

/** the run's seed, and the nth of a batch's: seed + n when one is set, else a fresh one each */
export function seeds(config: Config): (nth: number) => number {
  const fixed = config.seed !== null || config.simulated.seed !== undefined;
  return (nth) => (fixed ? runSeed(config) + nth : runSeed(config));
}

/**
 * --no-spawn: Redis first; then a live manager and a live worker for every pool (waited for, up
 * to --wait); then the run's models, checked by those processes on their hosts and resolved as
 * they answer. Nothing is checked on this host, nothing is downloaded here.
 */
async function prepareNoSpawn(config: Config, material: LoadedMaterial | null): Promise<Launch> {
  const { redis, resolved } = await openRedis(config, stderr);
  try {
    const found = await waitForServers({ redis, resolved, config, say: stderr });
    const served = await checkOnServers({ redis, config, found, say: stderr });
    // every agent and the manager now name their provider and model: nothing is asked of a server here
    const resolution = await resolveModels(served, new ServedModels(served));
    const first = specOf(served, resolution, undefined, seeds(served)(0));
    return launchOf(served, resolution, first, redis, resolved, material);
  } catch (err) {
    if (!(err instanceof UnservedError || err instanceof StoppedWaiting)) redis.disconnect();
    throw err;
  }
}

function launchOf(config: Config, resolution: Resolution, first: ConversationSpec, redis: RedisClient, resolved: ResolvedRedis, material: LoadedMaterial | null): Launch {
  const seedOf = seeds(config);
  const withMaterial = (spec: ConversationSpec): ConversationSpec => (material ? { ...spec, materials: { files: material.files, budget_tokens: config.materials.budget_tokens } } : spec);
  const prefix = config.redis.prefix;
  // the first spec was built before Redis' clock was measured: its id is stamped again by it, so a
  // launcher whose own clock is off does not name the run by that clock
  let next: ConversationSpec | null = withMaterial({ ...first, id: newConversationId() });
  return {
    config,
    redis,
    resolved,
    prefix,
    store: new Store(redis, prefix, { leaseMs: config.queues.lock_duration_ms }),
    queues: new Queues(redis, prefix, config.queues),
    newSpec: (nth = 0) => {
      const spec = nth === 0 && next ? next : withMaterial(specOf(config, resolution, undefined, seedOf(nth)));
      next = null;
      return spec;
    },
    // a worker for each model agent's pool: a person's turns are typed, not generated
    pools: [...new Set(first.agents.filter((a) => a.kind !== "human").map((a) => a.pool))],
    chunks: material?.chunks ?? [],
  };
}

/**
 * What the children start with: this process's environment, and the configuration (this Redis,
 * logs to `logFile`) that the Supervisor hands each of them over IPC — never in an environment
 * variable or an argument, which have size limits and are visible to `ps`.
 */
export function childSetup(launch: Launch, logFile: string): { env: NodeJS.ProcessEnv; config: Record<string, unknown> } {
  const { config } = launch;
  return {
    env: { ...process.env },
    config: { ...config, redis: { ...config.redis, url: launch.resolved.url }, log: { ...config.log, file: logFile } },
  };
}

/**
 * The manager and one worker per pool, or (--no-spawn) a word on who serves the run. When a
 * child cannot be started, the others are killed, the conversations `ids` end with stop reason
 * "error" and the cause (none is left pending), and a DialogueError (exit 1) says what happened.
 */
export async function startChildren(supervisor: Supervisor, launch: Launch, spawn: boolean, ids: readonly string[]): Promise<void> {
  const pools = launch.pools;
  if (!spawn) {
    stderr(`--no-spawn: served by the managers and workers already running for pool${pools.length > 1 ? "s" : ""} ${pools.join(", ")} (dialogue status${reachFlags(launch.config)} lists them)`);
    return;
  }
  const specs = [{ name: "manager", args: ["manager"] }, ...pools.map((pool) => ({ name: `worker ${pool}`, args: ["worker", "--pool", pool] }))];
  const results = await Promise.allSettled(specs.map((spec) => supervisor.start(spec)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (!failed) return;
  supervisor.killNow();
  const cause = failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
  for (const id of ids) await launch.store.finalize(id, "error", cause);
  const which = ids.length === 1 ? `conversation ${ids[0]} ended` : `the ${ids.length} conversations ended`;
  throw new DialogueError(cause, 1, `${which} with stop reason "error"; is Node still at ${process.execPath}, and may this user start more processes?`);
}
