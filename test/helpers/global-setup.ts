/**
 * Vitest globalSetup: one real Redis for the whole run. Tests reach it with
 * `inject("redisUrl")` (see ./redis.ts) or `process.env.DIALOGUE_TEST_REDIS_URL`, and keep
 * apart from each other with a fresh key prefix per test.
 */
import type { TestProject } from "vitest/node";
import { startTestRedis } from "./redis-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const redis = await startTestRedis({ appendonly: true });
  provide("redisUrl", redis.url);
  process.env["DIALOGUE_TEST_REDIS_URL"] = redis.url;
  return async () => {
    await redis.stop();
  };
}
