/**
 * A run's id is stamped by Redis' clock, as every other time of the run is: `dialogue run` on a host
 * whose clock is three days behind (libfaketime on the launcher and the processes it starts) names
 * the run by today's date, so `list` sorts it among the others and its name tells when it ran.
 */
import { spawn } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { BIN, cliEnv, exited, ROOT } from "../helpers/cli.js";
import { fakeEnv, faketimeWorks } from "../helpers/faketime.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

/** 20261130-112557 → epoch ms (UTC) */
function stampOf(id: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-/.exec(id);
  if (!m) throw new Error(`not a run id: ${id}`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
}

describe.skipIf(!faketimeWorks())("a launcher whose clock is three days behind", () => {
  it("names its run by Redis' clock", async () => {
    const prefix = freshPrefix();
    const [t0] = await redis.time();
    const p = spawn(process.execPath, [BIN, "run", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=0"], {
      cwd: ROOT,
      env: fakeEnv(cliEnv(testRedisUrl()), "-259200s"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    let out = "";
    p.stderr?.setEncoding("utf8").on("data", (d: string) => (err += d));
    p.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
    const { code } = await exited(p, 90_000);
    expect(code, err).toBe(0);
    const [id] = await new Store(redis, prefix).listIds();
    // its stamp is Redis' time when it started, within the run's own few seconds, not three days back
    const stamp = stampOf(id!);
    expect(Math.abs(stamp - Number(t0) * 1000), `${id} against Redis' ${new Date(Number(t0) * 1000).toISOString()}`).toBeLessThan(60_000);
    expect(out).toContain(`Conversation ${id}`);
  }, 120_000);
});
