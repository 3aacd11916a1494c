/**
 * What a test module needs to drive the real manager (Controller) and the workers' turn code by
 * hand, against the test Redis: a configuration (up to 20 turns), the providers, a silent logger,
 * the zero-latency simulated model, and a connection opened before the tests and closed after
 * them with whatever the tests left to close (`closers`). Registers its own beforeAll/afterAll.
 */
import type { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll } from "vitest";
import { load } from "../../src/config/load.js";
import { ProviderRegistry } from "../../src/llm/index.js";
import { withRedis } from "./redis.js";

/** the simulated model with no latency: a turn's tokens come at once */
export const FAST_MODEL = { provider: "simulated" as const, model: "simulated-1", options: { tokens_per_second: 0, time_to_first_token_ms: 0 } };

export function turnRig() {
  const config = load({ env: {}, overrides: { "limits.max_turns": 20 } }).config!;
  const providers = new ProviderRegistry(config);
  const closers: Array<() => unknown> = [];
  const rig = { config, providers, silent: pino({ level: "silent" }), closers, redis: undefined as unknown as Redis };
  beforeAll(async () => {
    rig.redis = await withRedis();
  });
  afterAll(async () => {
    for (const c of closers) await c();
    await providers.close();
    await rig.redis.quit();
  });
  return rig;
}
