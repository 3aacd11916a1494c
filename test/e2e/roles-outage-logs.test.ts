/**
 * Hand-started roles (`dialogue manager`, `dialogue worker --pool X`, as README's "Several hosts"
 * shows) while Redis is away: each says so once (where, that it keeps trying), at most a reminder
 * every 10 s, and once when Redis answers again — not a line per connection and reconnect attempt —
 * and they serve a run afterwards. Errors that are not "Redis away" are still logged. A second
 * signal ends a role at once with that signal's exit code: SIGTERM 143, SIGINT 130.
 */
import { readFileSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { RedisOutage, redisWhere } from "../../src/redis/connect-outage.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { startTestRedis } from "../helpers/redis-server.js";
import { startTestCluster } from "../helpers/redis-cluster.js";
import { crashNode, nodeForSlot, restartNode } from "../helpers/cluster-node.js";
import { Keys } from "../../src/protocol/keys.js";

type Proc = ReturnType<typeof startCli>;
const started: Proc[] = [];
afterAll(async () => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  await Promise.all(started.map((p) => exited(p, 10_000).catch(() => undefined)));
});

const HB = ["--set", "presence.heartbeat_ms=300"];
function serve(args: string[], env: NodeJS.ProcessEnv): Proc {
  const p = startCli(args, env);
  started.push(p);
  return p;
}
const ready = (ps: Proc[]) => waitFor("processes ready", async () => ps.every((p) => /ready/.test(p.err())), 30_000);

interface Line {
  level: number;
  msg: string;
  [k: string]: unknown;
}
/** the JSON log lines (pino) in a role's stderr */
function logLines(text: string): Line[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Line);
}

describe("hand-started manager and workers while Redis is away for 6 s", () => {
  it("each says once that Redis is unreachable and once that it is back, and they serve a run afterwards", async () => {
    const server = await startTestRedis({ appendonly: true });
    try {
      const prefix = freshPrefix();
      const env = cliEnv(server.url);
      const roles = [serve(["manager", "--prefix", prefix, ...HB], env), ...["traveller", "local"].map((pool) => serve(["worker", "--pool", pool, "--prefix", prefix, ...HB], env))];
      await ready(roles);
      // the heartbeats of a few rounds, so each process has been through its steady state
      await new Promise((r) => setTimeout(r, 1000));
      const before = roles.map((p) => p.err().length);

      process.kill(server.pid(), "SIGKILL");
      await new Promise((r) => setTimeout(r, 6_000));
      await server.restart();
      // (on a timeout, the assertions below show what each one wrote instead)
      await waitFor("every role saying Redis answers again", async () => roles.every((p) => /answers again/.test(p.err())), 30_000, 100).catch(() => undefined);

      const where = `127.0.0.1:${server.port}`;
      roles.forEach((p, i) => {
        const lines = logLines(p.err().slice(before[i]));
        const context = `${p.spawnargs.slice(2).join(" ")}:\n${p.err().slice(before[i])}`;
        const loud = lines.filter((l) => l.level >= 40);
        // one line when it went away; no reminder within 10 s
        expect(loud.length, context).toBeLessThanOrEqual(2);
        const away = loud.filter((l) => l.msg.includes(`Redis at ${where} is unreachable`) && /retrying/.test(l.msg));
        expect(away, context).toHaveLength(1);
        const back = lines.filter((l) => l.level === 30 && new RegExp(`^Redis at ${where.replace(/\./g, "\\.")} answers again after \\d+ s away$`).test(l.msg));
        expect(back, context).toHaveLength(1);
        // how long it was away: about the 6 s it was down (plus up to 2 s for the reconnect)
        expect(back[0]!.away_s as number, context).toBeGreaterThanOrEqual(5);
        expect(back[0]!.away_s as number, context).toBeLessThanOrEqual(12);
        // every line is one line, and nothing else was lost: the process still runs
        expect(p.exitCode, context).toBeNull();
      });

      const run = await runCli(
        ["run", "--no-spawn", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, "--wait", "20", "--set", "simulated.tokens_per_second=0"],
        env,
        90_000,
      );
      expect(run.code, `stderr:\n${run.stderr}\nroles:\n${roles.map((p) => p.err()).join("\n")}`).toBe(0);

      for (const p of roles) p.kill("SIGTERM");
      const codes = await Promise.all(roles.map((p) => exited(p, 15_000)));
      expect(codes.map((c) => c.code)).toEqual([0, 0, 0]);
    } finally {
      await server.stop();
    }
  }, 150_000);
});

describe("hand-started manager and workers while a Redis Cluster node is away for 6 s", () => {
  it("each says once that a node is unreachable and once that the cluster is back, and they serve a run afterwards", async () => {
    const cluster = await startTestCluster(3);
    try {
      const prefix = freshPrefix();
      const env = cliEnv(cluster.url);
      const roles = [serve(["manager", "--prefix", prefix, ...HB], env), ...["traveller", "local"].map((pool) => serve(["worker", "--pool", pool, "--prefix", prefix, ...HB], env))];
      await ready(roles);
      await new Promise((r) => setTimeout(r, 1000));
      const before = roles.map((p) => p.err().length);

      // the node holding the worker's request queue (the pool's tag): its blocking reads meet it
      const node = await nodeForSlot(cluster, await cluster.keyslot(new Keys(prefix).requestQueue("local")));
      await crashNode(node);
      // longer than the nodes' cluster-node-timeout (3 s): the others mark it failed and answer CLUSTERDOWN
      await new Promise((r) => setTimeout(r, 6_000));
      await restartNode(cluster, node);
      await waitFor("every role saying Redis answers again", async () => roles.every((p) => /answers again/.test(p.err())), 30_000, 100).catch(() => undefined);

      roles.forEach((p, i) => {
        const lines = logLines(p.err().slice(before[i]));
        const context = `${p.spawnargs.slice(2).join(" ")}:\n${p.err().slice(before[i])}`;
        expect(lines.filter((l) => l.level >= 40).length, context).toBeLessThanOrEqual(4);
        expect(lines.filter((l) => / is unreachable \(.*\); retrying until it answers$/.test(l.msg)).length, context).toBeGreaterThanOrEqual(1);
        expect(lines.filter((l) => /answers again after \d+ s away$/.test(l.msg)).length, context).toBeGreaterThanOrEqual(1);
        expect(p.exitCode, context).toBeNull();
      });

      const run = await runCli(
        ["run", "--no-spawn", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, "--wait", "20", "--set", "simulated.tokens_per_second=0"],
        env,
        90_000,
      );
      expect(run.code, `stderr:\n${run.stderr}\nroles:\n${roles.map((p) => p.err()).join("\n")}`).toBe(0);
      for (const p of roles) p.kill("SIGTERM");
      await Promise.all(roles.map((p) => exited(p, 15_000)));
    } finally {
      await cluster.stop();
    }
  }, 180_000);
});

describe("the lines Redis' absence is told in (in-process, a real Redis)", () => {
  it("reminds at most every remindMs with the time away, still logs other errors, and never shows a password", async () => {
    const server = await startTestRedis({ appendonly: false });
    const dir = mkdtempSync(path.join(os.tmpdir(), "dialogue-outage-"));
    const file = path.join(dir, "role.log");
    const outage = new RedisOutage({ remindMs: 1500 });
    const log = createLogger({ level: "info", file, role: "test", divert: outage.divert });
    const client = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 200 });
    client.on("error", () => undefined);
    try {
      await client.ping();
      outage.start({ log, client, url: `redis://:s3cret@127.0.0.1:${server.port}` });
      // another error: written as it comes, every time
      log.error({ err: "ERR unknown command 'FOO'" }, "queue error");
      log.error({ err: "ERR unknown command 'FOO'" }, "queue error");
      process.kill(server.pid(), "SIGKILL");
      // what the role's connections say while it is away: each time, nothing written
      const chatter = setInterval(() => {
        log.error({ queue: "control", err: `connect ECONNREFUSED 127.0.0.1:${server.port}`, conn: "redis" }, "queue error");
        log.warn({ err: "Error: Connection is closed.", conn: "redis" }, "could not write the heartbeat");
      }, 100);
      await new Promise((r) => setTimeout(r, 3_800));
      clearInterval(chatter);
      // a job's failure is a fact about a turn: it stays a line of its own
      log.warn({ job: "j1", err: "Connection is closed.", conn: "redis" }, "turn failed");
      // an LLM server's cut stream or refused connection reads like Redis away, and is not: written as it comes
      log.warn({ conversation: "c1", seq: 3, attempt: 1, cause: "stream_cut", err: "the stream ended after 40 chunks (read ECONNRESET)" }, "attempt failed");
      log.warn({ conversation: "c1", err: "connect ECONNREFUSED 127.0.0.1:11434" }, "the manager's model failed; retrying");
      await server.restart();
      const text = await waitFor("the line saying Redis is back", async () => {
        const t = readFileSync(file, "utf8");
        return /answers again/.test(t) && t;
      }, 20_000, 100);
      const lines = logLines(text);
      const msgs = lines.map((l) => l.msg);
      expect(msgs.filter((m) => m === "queue error"), text).toHaveLength(2);
      expect(lines.filter((l) => l.msg === "queue error").every((l) => /unknown command/.test(String(l.err))), text).toBe(true);
      expect(msgs.filter((m) => m === "could not write the heartbeat"), text).toHaveLength(0);
      expect(msgs.filter((m) => m === "turn failed"), text).toHaveLength(1);
      expect(msgs.filter((m) => m === "attempt failed" || m === "the manager's model failed; retrying"), text).toHaveLength(2);
      expect(msgs.filter((m) => /is unreachable/.test(m)), text).toHaveLength(1);
      const reminders = lines.filter((l) => /still unreachable after \d+ s; retrying$/.test(l.msg));
      expect(reminders.length, text).toBeGreaterThanOrEqual(1);
      // at most one every remindMs after the first line
      const times = lines.filter((l) => /unreachable/.test(l.msg)).map((l) => l.time as number);
      times.slice(1).forEach((t, i) => expect(t - times[i]!, text).toBeGreaterThanOrEqual(1400));
      expect(reminders[0]!.away_s, text).toBeGreaterThanOrEqual(1);
      expect(msgs.filter((m) => /answers again after \d+ s away$/.test(m)), text).toHaveLength(1);
      expect(text).not.toMatch(/s3cret/);
      expect(redisWhere("redis://user:pw@h1:7000,h2:7001")).toBe("h1:7000,h2:7001");
    } finally {
      outage.stop();
      client.disconnect();
      await server.stop();
    }
  }, 60_000);
});

describe("a second signal to a role that is shutting down", () => {
  const busyWorker = async (): Promise<Proc> => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const slow = ["--set", "simulated.tokens_per_second=2", "--set", "simulated.time_to_first_token_ms=0"];
    const manager = serve(["manager", "--prefix", prefix, ...HB], env);
    const workers = ["traveller", "local"].map((pool) => serve(["worker", "--pool", pool, "--prefix", prefix, ...HB, ...slow], env));
    await ready([manager, ...workers]);
    serve(["run", "--no-spawn", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, ...slow], env);
    const redis = new Redis(testRedisUrl());
    try {
      // the worker whose heartbeat says it is generating a turn
      return await waitFor("a worker busy with a turn", async () => {
        const all = await redis.hgetall(`${prefix}:presence`);
        for (const w of workers) {
          const entry = Object.entries(all).find(([k]) => k.includes(`/${w.pid}/worker`));
          if (entry && (JSON.parse(entry[1]) as { load?: { active?: number } }).load?.active) return w;
        }
        return null;
      }, 30_000, 100);
    } finally {
      redis.disconnect();
    }
  };

  it("SIGTERM twice: exits 143 at once (it was finishing its turn)", async () => {
    const worker = await busyWorker();
    worker.kill("SIGTERM");
    await waitFor("shutting down", async () => /shutting down/.test(worker.err()), 5_000, 20);
    worker.kill("SIGTERM");
    const { code } = await exited(worker, 3_000);
    expect(code, worker.err()).toBe(143);
  }, 90_000);

  it("SIGINT twice: exits 130 at once", async () => {
    const worker = await busyWorker();
    worker.kill("SIGINT");
    await waitFor("shutting down", async () => /shutting down/.test(worker.err()), 5_000, 20);
    worker.kill("SIGINT");
    const { code } = await exited(worker, 3_000);
    expect(code, worker.err()).toBe(130);
  }, 90_000);
});
