/**
 * `--provider` and `--model` on the command line apply to both agents and the manager, whatever
 * the configuration file says for each. An agent's own model is kept only when it was meant for
 * the provider chosen; otherwise that provider's default (or `--model`) is used.
 */
import type { Config } from "./schema.js";
import type { ProviderName } from "../protocol/schemas.js";

export function applyProviderFlag(config: Config, provider: ProviderName | undefined, model: string | undefined): Config {
  if (!provider && !model) return config;
  const pick = <T extends { provider?: ProviderName | undefined; model?: string | undefined }>(x: T): T => {
    const own = x.provider ?? config.provider;
    const p = provider ?? own;
    const keepModel = !provider || own === provider;
    const m = model ?? (keepModel ? x.model : undefined);
    const { model: _drop, ...rest } = x;
    return { ...rest, provider: p, ...(m === undefined ? {} : { model: m }) } as T;
  };
  return {
    ...config,
    ...(provider ? { provider } : {}),
    ...(model ? { model } : {}),
    agents: config.agents.map(pick),
    manager: pick(config.manager),
  };
}
