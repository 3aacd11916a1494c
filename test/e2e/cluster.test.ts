/**
 * Against a real local Redis Cluster (three masters on free ports, test/helpers/redis-cluster.ts):
 * the real CLI and its processes run, record, list, show, analyze, export, compare, watch and
 * purge conversations with no MOVED or CROSSSLOT error; a worker SIGKILLed mid-turn is recorded
 * once; CLUSTER KEYSLOT says one conversation's keys share a slot and each pool's queues sit on a
 * slot of their own.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import type { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keys } from "../../src/protocol/keys.js";
import { chunkFromEntry } from "../../src/protocol/token-entry.js";
import { Store } from "../../src/redis/store.js";
import { childrenOf, cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { startTestCluster, type TestCluster } from "../helpers/redis-cluster.js";
import { freshPrefix } from "../helpers/redis.js";

let cluster: TestCluster;
let client: Cluster;
let logs: string;
beforeAll(async () => {
  cluster = await startTestCluster(3);
  client = cluster.client();
  logs = mkdtempSync(path.join(tmpdir(), "dialogue-cluster-logs-"));
}, 60_000);
afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
  rmSync(logs, { recursive: true, force: true });
});

const FAST = ["--provider", "simulated", "--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"];
/** what must never appear when every command stays within one slot */
const SLOT_ERRORS = /MOVED|CROSSSLOT|EXECABORT|ASK /;

describe("on a 3-master Redis Cluster", () => {
  const prefix = freshPrefix();
  let id = "";
  let second = "";

  it("a run against one node (found to be a cluster) completes, every turn recorded once", async () => {
    const logFile = path.join(logs, "run.log");
    const r = await runCli(["run", ...FAST, "--max-turns", "4", "--plain", "--prefix", prefix, "--set", `log.file=${logFile}`], cliEnv(cluster.seedUrl));
    expect(r.code, r.stderr).toBe(0);
    const store = new Store(client, prefix);
    id = (await store.listIds())[0]!;
    const rec = (await store.get(id))!;
    expect(rec.status).toBe("completed");
    expect(rec.stop_reason).toBe("max_turns");
    expect((await store.readLog(id)).map((m) => m.metadata.sequence_number)).toEqual([1, 2, 3, 4]);
    expect(r.stderr).not.toMatch(SLOT_ERRORS);
    expect(readFileSync(logFile, "utf8")).not.toMatch(SLOT_ERRORS);
    expect(r.stdout + r.stderr).toContain(`Kept in Redis at ${cluster.seedUrl}`);
  }, 60_000);

  it("run --count 20 with every node in REDIS_URL: 20 conversations, each complete and recorded once", async () => {
    const countPrefix = freshPrefix();
    const logFile = path.join(logs, "count.log");
    const r = await runCli(
      ["run", "--count", "20", ...FAST, "--max-turns", "4", "--plain", "--prefix", countPrefix, "--set", "queues.worker_concurrency=20", "--set", `log.file=${logFile}`],
      cliEnv(cluster.url),
      120_000,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^20 conversations: 20 completed · 80 turns/m);
    const store = new Store(client, countPrefix);
    const ids = await store.listIds();
    expect(new Set(ids).size).toBe(20);
    for (const cid of ids) {
      expect((await store.get(cid))?.status).toBe("completed");
      expect((await store.readLog(cid)).map((m) => m.metadata.sequence_number)).toEqual([1, 2, 3, 4]);
    }
    expect(readFileSync(logFile, "utf8")).not.toMatch(SLOT_ERRORS);
  }, 150_000);

  it("list, show (with --failed), analyze, export and compare read it; watch follows a live run", async () => {
    const env = cliEnv(cluster.url);
    const list = await runCli(["list", "--prefix", prefix], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s.*completed \\(max_turns\\)`));
    const show = await runCli(["show", id, "--prefix", prefix], env);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain("[4] ");
    const failed = await runCli(["show", id, "--failed", "--prefix", prefix], env);
    expect(failed.stdout).toContain(`no failed jobs or failed turns for ${id}`);
    const analyze = await runCli(["analyze", id, "--json", "--prefix", prefix], env);
    expect(analyze.code, analyze.stderr).toBe(0);
    expect((JSON.parse(analyze.stdout) as { run: { turns: number } }).run.turns).toBe(4);
    const exported = await runCli(["export", id, "--format", "jsonl", "--prefix", prefix], env);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout.trim().split("\n").length).toBeGreaterThanOrEqual(4);

    // a second run, live, followed by `dialogue watch` from another process
    const store = new Store(client, prefix);
    const run = startCli(["run", "--provider", "simulated", "--max-turns", "3", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=40"], env);
    second = await waitFor("the second conversation", async () => (await store.listIds()).find((x) => x !== id), 20_000);
    const watch = startCli(["watch", second, "--prefix", prefix], env);
    await waitFor("the first message in the watcher", async () => watch.out().includes("[1] "), 30_000, 20);
    expect((await exited(watch, 30_000)).code).toBe(0);
    expect((await exited(run, 30_000)).code).toBe(0);
    expect(watch.out()).toContain("Ended: completed (max_turns) · 3 turns");

    const compare = await runCli(["compare", id, second, "--json", "--prefix", prefix], env);
    expect(compare.code, compare.stderr).toBe(0);
    expect(compare.stdout).toContain(second);
    for (const r of [list, show, failed, analyze, exported, compare]) expect(r.stderr).not.toMatch(SLOT_ERRORS);
  }, 90_000);

  it("replay plays it back; doctor checks every master; stop ends a live run", async () => {
    const env = cliEnv(cluster.url);
    const replay = await runCli(["replay", id, "--speed", "0", "--prefix", prefix], env);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain("[4] ");
    const doctor = await runCli(["doctor", "--provider", "simulated", "--prefix", prefix], env);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(doctor.stdout).toMatch(/reachable at redis:\/\/127\.0\.0\.1:\d+,.* \(Redis Cluster, 3 masters\)/);
    expect(doctor.stdout).toContain("ok    Redis Cluster: 3 masters, cluster_state ok");
    for (const port of cluster.ports) expect(doctor.stdout).toContain(`ok    127.0.0.1:${port}: persistence: append-only file on`);

    const stopPrefix = freshPrefix();
    const store = new Store(client, stopPrefix);
    const run = startCli(["run", "--provider", "simulated", "--max-turns", "50", "--plain", "--prefix", stopPrefix, "--set", "simulated.tokens_per_second=20"], env);
    const sid = await waitFor("the conversation running", async () => {
      const first = (await store.listIds())[0];
      return first && (await store.get(first))?.status === "running" ? first : null;
    }, 20_000);
    const stop = await runCli(["stop", sid, "--prefix", stopPrefix], env);
    expect(stop.code, stop.stderr).toBe(0);
    expect((await exited(run, 30_000)).code).toBe(0);
    expect((await store.get(sid))?.status).toBe("stopped");
  }, 90_000);

  it("standalone managers and workers on the cluster: status lists them, run --no-spawn is served by them", async () => {
    const env = cliEnv(cluster.url);
    const soloPrefix = freshPrefix();
    const common = ["--prefix", soloPrefix, "--set", "presence.heartbeat_ms=300"];
    const procs = [startCli(["manager", ...common], cliEnv(cluster.url, { DIALOGUE_HOSTNAME: "node-a" })), ...["traveller", "local"].map((pool) => startCli(["worker", "--pool", pool, ...common], cliEnv(cluster.url, { DIALOGUE_HOSTNAME: `node-${pool}` })))];
    await waitFor("processes ready", async () => procs.every((p) => /ready/.test(p.err())), 30_000);
    expect(procs[0]!.err().split("\n")[0]).toMatch(/^manager: Redis redis:\/\/127\.0\.0\.1:\d+,.* \(Redis Cluster, 3 masters\) · prefix/);
    const status = await runCli(["status", "--prefix", soloPrefix], env);
    expect(status.code, status.stderr).toBe(0);
    for (const host of ["node-a", "node-traveller", "node-local"]) expect(status.stdout).toMatch(new RegExp(`^  \\w+ +\\S+ +${host} +\\d+ +live`, "m"));
    const r = await runCli(["run", "--no-spawn", ...FAST, "--max-turns", "4", "--plain", ...common], env, 60_000);
    expect(r.code, r.stderr).toBe(0);
    const store = new Store(client, soloPrefix);
    const rec = (await store.get((await store.listIds())[0]!))!;
    expect(rec.status).toBe("completed");
    expect((await store.readLog(rec.spec.id)).map((m) => m.metadata.worker.host)).toEqual(["node-traveller", "node-local", "node-traveller", "node-local"]);
    for (const p of procs) {
      expect(p.err()).not.toMatch(SLOT_ERRORS);
      p.kill("SIGTERM");
    }
    await Promise.all(procs.map((p) => exited(p, 15_000)));
  }, 90_000);

  it("CLUSTER KEYSLOT: one conversation's keys share a slot; each pool's queues have a slot of their own", async () => {
    const k = new Keys(prefix);
    const convSlots = await Promise.all(k.conversationKeys(id).map((key) => cluster.keyslot(key)));
    expect(new Set(convSlots).size).toBe(1);
    // the queue keys BullMQ wrote for this run, as they are in the cluster
    // (a turn's request job is kept; its response job goes once recorded, so the response queue's event stream stands for it)
    const jobKey = (pool: string, queue: string, seq: number) => `${k.poolPrefix(pool)}:${queue}:${k.turnJobId(id, seq)}`;
    const events = (pool: string) => `${k.poolPrefix(pool)}:${k.responseQueue(pool)}:events`;
    const keysOf = {
      traveller: [jobKey("traveller", k.requestQueue("traveller"), 1), events("traveller")],
      local: [jobKey("local", k.requestQueue("local"), 2), events("local")],
      control: [`${k.controlPrefix()}:${k.controlQueue()}:${k.startJobId(id)}`],
    };
    for (const key of Object.values(keysOf).flat()) expect(await client.exists(key), key).toBe(1);
    const slots = Object.fromEntries(await Promise.all(Object.entries(keysOf).map(async ([name, keys]) => [name, new Set(await Promise.all(keys.map((x) => cluster.keyslot(x))))] as const)));
    for (const s of Object.values(slots)) expect(s.size).toBe(1); // a pool's request and response queues: one slot
    const [traveller] = slots.traveller!;
    const [local] = slots.local!;
    const [control] = slots.control!;
    expect(new Set([traveller, local, control]).size).toBe(3);
  });

  it("purge removes both runs: records, logs and their queue jobs", async () => {
    const r = await runCli(["purge", id, second, "--yes", "--prefix", prefix], cliEnv(cluster.url));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/purged 2 conversations .*\(and \d+ queue jobs\)/);
    const k = new Keys(prefix);
    for (const cid of [id, second]) for (const key of k.conversationKeys(cid)) expect(await client.exists(key)).toBe(0);
    expect(await client.exists(`${k.poolPrefix("traveller")}:${k.requestQueue("traveller")}:${k.turnJobId(id, 1)}`)).toBe(0);
    expect(await new Store(client, prefix).listIds()).toEqual([]);
  }, 60_000);

  it("a worker SIGKILLed mid-turn: the turn is retried and recorded once", async () => {
    const killPrefix = freshPrefix();
    const store = new Store(client, killPrefix);
    const run = startCli(
      ["run", "--provider", "simulated", "--max-turns", "4", "--plain", "--prefix", killPrefix, "--set", "simulated.tokens_per_second=30", "--set", "simulated.time_to_first_token_ms=50", "--set", "queues.lock_duration_ms=1500", "--set", "queues.stalled_interval_ms=500"],
      cliEnv(cluster.url),
    );
    const cid = await waitFor("the conversation", async () => (await store.listIds())[0], 20_000);
    const generating = async () => {
      const entries = await client.xrange(store.keys.tokens(cid), "-", "+");
      return entries.some(([, f]) => chunkFromEntry(f)?.seq === 2);
    };
    await waitFor("turn 2 generating", generating, 30_000, 20);
    const queue = new Queue(store.keys.requestQueue("local"), { connection: client, prefix: store.keys.poolPrefix("local") });
    const job = await queue.getJob(store.keys.turnJobId(cid, 2));
    const victim = Number(job?.processedBy?.split("/").pop());
    expect((await childrenOf(run.pid!)).map((c) => c.pid)).toContain(victim);
    process.kill(victim, "SIGKILL");
    const { code } = await exited(run, 60_000);
    expect(code, run.err()).toBe(0);
    const msgs = await store.readLog(cid);
    expect(msgs.map((m) => m.metadata.sequence_number)).toEqual([1, 2, 3, 4]);
    expect(msgs[1]!.metadata.attempt).toBeGreaterThanOrEqual(2);
    expect(msgs[1]!.metadata.worker.pid).not.toBe(victim);
    await queue.close();
  }, 90_000);
});
