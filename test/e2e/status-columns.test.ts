/**
 * `dialogue status`'s table keeps its columns: a long host name, a long pool name and a worker that
 * has done 123,456 turns (some failed) each widen their column instead of running into the next
 * one, so every cell starts under its header. The worker is a real process; the busy one is its
 * heartbeat as a long-lived worker on another host would write it (same fields, a later count).
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Presence } from "../../src/protocol/presence.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

const HEADERS = ["ROLE", "POOL", "HOST", "PID", "STATUS", "LOAD", "CLOCK", "VERSION"];

describe("dialogue status columns", () => {
  it("widens a column for a long host, pool or load: every cell starts under its header", async () => {
    const prefix = freshPrefix();
    const pool = "translators-of-the-north";
    const worker = startCli(["worker", "--pool", pool, "--prefix", prefix, "--set", "presence.heartbeat_ms=400"], cliEnv(testRedisUrl(), { DIALOGUE_HOSTNAME: "gpu-box-17.lab.example.org" }));
    try {
      const key = `${prefix}:presence`;
      const [field, raw] = await waitFor("the worker's heartbeat", async () => Object.entries(await redis.hgetall(key))[0], 30_000);
      const real = JSON.parse(raw) as Presence;
      // the same worker's heartbeat as it reads on a host where it has run for weeks
      const busy: Presence = { ...real, id: `${real.id}-busy`, host: "rack-2-node-9", pid: 4_194_301, load: { active: 12, concurrency: 16, done: 123_456, failed: 789 } };
      await redis.hset(key, `${field}-busy`, JSON.stringify(busy));

      const r = await runCli(["status", "--prefix", prefix], cliEnv(testRedisUrl()));
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.split("\n");
      const header = lines.find((l) => l.trimStart().startsWith("ROLE")) as string;
      expect(header).toBeDefined();
      const at = HEADERS.map((h) => header.indexOf(h));
      const rows = lines.filter((l) => /^ {2}worker /.test(l));
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        // each cell starts where its header does, one column before it is blank
        for (const [i, col] of at.entries()) {
          expect(row[col - 1] ?? " ", `${HEADERS[i]} in ${JSON.stringify(row)}`).toBe(" ");
          expect(row[col], `${HEADERS[i]} in ${JSON.stringify(row)}`).not.toBe(" ");
        }
        expect(row.slice(at[5], at[6]).trim()).toMatch(/^load \d+\/\d+, [\d]+ done/);
        expect(row.slice(at[6], at[7]).trim()).toMatch(/^clock /);
      }
      const busyRow = rows.find((l) => l.includes("rack-2-node-9")) as string;
      expect(busyRow.slice(at[5], at[6]).trim()).toBe("load 12/16, 123456 done (789 failed)");
      expect(busyRow.slice(at[1], at[2]).trim()).toBe(pool);
      expect(rows.find((l) => l.includes("gpu-box-17"))?.slice(at[2], at[3]).trim()).toBe("gpu-box-17.lab.example.org");
    } finally {
      worker.kill("SIGTERM");
      await exited(worker);
    }
  }, 60_000);
});
