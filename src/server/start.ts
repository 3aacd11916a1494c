/**
 * Starting a run over HTTP: the request's configuration layered over the server's own, validated
 * as the CLI validates a config file (every problem with its path), then created as the CLI
 * creates one (spec/start.ts). The server talks to Redis only, so it cannot resolve the "auto"
 * provider (that probes Ollama and the model files): a request must name its providers.
 */
import { fitCount } from "../config/cast-flags.js";
import { load, type Problem } from "../config/load.js";
import { buildSpec, needsAuto, startRun } from "../spec/start.js";
import type { ConversationSpec } from "../protocol/record.js";
import type { ServerContext } from "./context.js";

export type StartResult = { ok: true; spec: ConversationSpec } | { ok: false; problems: Problem[] };

/** the request's value at a dotted path (undefined when it gives none) */
const at = (o: unknown, ...path: string[]): unknown => {
  let v = o;
  for (const p of path) {
    if (!v || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
};
const has = (o: unknown, ...path: string[]): boolean => at(o, ...path) !== undefined;
/** the request sets a value there (null, the default, sets none) */
const set = (o: unknown, ...path: string[]): boolean => at(o, ...path) != null;

export async function startFromRequest(ctx: ServerContext, body: Record<string, unknown>): Promise<StartResult> {
  const problems: Problem[] = [];
  // where runs are kept is the server's to say
  if (has(body, "redis", "url")) problems.push({ path: "redis.url", message: "set by the server (it starts runs in its own Redis); leave it out" });
  if (has(body, "redis", "prefix")) problems.push({ path: "redis.prefix", message: `set by the server (its runs are kept under prefix "${ctx.config.redis.prefix}"); leave it out` });
  const { config, problems: found } = load({ ...ctx.loadOptions, request: body });
  problems.push(...found);
  if (config?.scenario.materials?.length) {
    problems.push({ path: "scenario.materials", message: "material files are read by dialogue run (--material) on the machine that has them; the server reads no files: leave it out" });
  }
  // files on the server's machine it would not read or write for the run: said, never silently dropped
  if (set(body, "log", "file")) {
    problems.push({ path: "log.file", message: "the server writes no files on its machine for a run (its manager and workers log where their own log.file or DIALOGUE_LOG_FILE says, on their hosts): leave it out" });
  }
  if (set(body, "embedded", "model_file")) {
    problems.push({ path: "embedded.model_file", message: "the server reads no files on its machine; the embedded model's GGUF file is the worker's, on its host: leave it out and set it there (embedded.model_file in the worker's config, or DIALOGUE_MODEL_FILE)" });
  }
  if (config && needsAuto(config)) {
    const auto = [
      ...(config.provider === "auto" ? ["provider"] : []),
      ...config.agents.flatMap((a, i) => (a.provider === "auto" ? [`agents.${i}.provider`] : [])),
      ...(config.manager.provider === "auto" ? ["manager.provider"] : []),
    ];
    for (const path of auto) {
      problems.push({ path, message: '"auto" cannot be resolved by the server (it talks to Redis only): name a provider, one of simulated, ollama, openai, embedded' });
    }
  }
  if (problems.length > 0 || !config) return { ok: false, problems };
  // the scenario's {count} for the agents the request runs
  const spec = buildSpec({ ...fitCount(config), redis: { ...config.redis, url: ctx.config.redis.url, prefix: ctx.config.redis.prefix } }, "simulated");
  await startRun(ctx.store, ctx.queues, spec);
  return { ok: true, spec };
}
