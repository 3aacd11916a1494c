/** Per-test access to the run's shared Redis (started by ./global-setup.ts). */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { inject } from "vitest";

export function testRedisUrl(): string {
  const url = inject("redisUrl") ?? process.env["DIALOGUE_TEST_REDIS_URL"];
  if (!url) throw new Error("no test Redis: run the tests through vitest (globalSetup test/helpers/global-setup.ts)");
  return url;
}

/** A key prefix no other test uses, e.g. "tm1x2k3a4f9c2b1". */
export function freshPrefix(): string {
  return `t${Date.now().toString(36)}${randomBytes(4).toString("hex")}`;
}

/** A connected ioredis client on the test Redis; the caller quits it. */
export async function withRedis(): Promise<Redis> {
  const client = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  return client;
}
