/**
 * One node of a 3-master Redis Cluster (append-only file on) dies mid-run (kill -9) and starts
 * again a few seconds later with its data: `dialogue run` survives it as it survives a restart of
 * one Redis (the commands wait, the processes go on), and the run completes with every turn
 * recorded once. A node that stays away longer than redis.unavailable_timeout_ms stops the run
 * with the one line naming the URL and a hint.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keys } from "../../src/protocol/keys.js";
import { Store } from "../../src/redis/store.js";
import { alive, childrenOf, cliEnv, exited, startCli, waitFor } from "../helpers/cli.js";
import { crashNode, nodeForSlot, restartNode } from "../helpers/cluster-node.js";
import { startTestCluster, type TestCluster } from "../helpers/redis-cluster.js";
import { freshPrefix } from "../helpers/redis.js";

let cluster: TestCluster;
let logs: string;
beforeAll(async () => {
  cluster = await startTestCluster(3);
  logs = mkdtempSync(path.join(tmpdir(), "dialogue-cluster-outage-"));
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(logs, { recursive: true, force: true });
});

/** a read that may meet the node while it is down: null until it answers */
async function quietly<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch {
    return null;
  }
}

describe("a Redis Cluster node down for a few seconds mid-run", () => {
  for (const which of ["conversation", "presence"] as const) {
    it(`kill -9 of the node holding the ${which === "conversation" ? "conversation's keys" : "presence hash"}, back 6 s later: the run completes, every turn recorded once`, async () => {
      const prefix = freshPrefix();
      const TURNS = 10;
      const logFile = path.join(logs, `${which}.log`);
      const run = startCli(
        ["run", "--provider", "simulated", "--plain", "--max-turns", String(TURNS), "--prefix", prefix, "--set", "simulated.tokens_per_second=20", "--set", `log.file=${logFile}`],
        cliEnv(cluster.url),
      );
      const client: Cluster = cluster.client();
      client.on("error", () => undefined);
      const store = new Store(client, prefix);
      try {
        const id = await waitFor("the conversation", async () => (await quietly(() => store.listIds()))?.[0], 30_000);
        await waitFor("two turns recorded", async () => ((await quietly(() => store.get(id)))?.turns ?? 0) >= 2, 60_000);
        const keys = new Keys(prefix);
        const node = await nodeForSlot(cluster, await cluster.keyslot(which === "conversation" ? keys.record(id) : keys.presence()));
        const before = await store.readLog(id);

        await crashNode(node);
        // longer than the nodes' cluster-node-timeout (3 s): the others mark it failed and answer CLUSTERDOWN
        await sleep(6000);
        expect(run.exitCode, `stderr:\n${run.err()}`).toBeNull();
        await restartNode(cluster, node);

        const { code } = await exited(run, 120_000);
        const context = `stderr:\n${run.err()}\nstdout:\n${run.out().slice(-2000)}`;
        expect(code, context).toBe(0);
        const rec = (await store.get(id))!;
        expect(rec.status, context).toBe("completed");
        expect(rec.stop_reason).toBe("max_turns");
        const after = await store.readLog(id);
        expect(after.slice(0, before.length)).toEqual(before);
        expect(after.map((m) => m.metadata.sequence_number)).toEqual(Array.from({ length: TURNS }, (_, i) => i + 1));
        expect(run.err()).not.toMatch(/Connection is closed|Cluster redirections|CLUSTERDOWN/);
        // (the workers' blocking reads fail while the node is down, and are logged as they are read again)
        expect(readFileSync(logFile, "utf8")).not.toMatch(/abandoned|never came back/);
      } finally {
        client.disconnect();
        if (run.exitCode === null) run.kill("SIGKILL");
      }
    }, 180_000);
  }

  it("a node that stays away longer than redis.unavailable_timeout_ms: one line naming the URL, a hint, exit 1, no children left", async () => {
    const prefix = freshPrefix();
    const run = startCli(
      ["run", "--provider", "simulated", "--plain", "--max-turns", "50", "--prefix", prefix, "--set", "simulated.tokens_per_second=30", "--set", "redis.unavailable_timeout_ms=4000"],
      cliEnv(cluster.url),
    );
    const client: Cluster = cluster.client();
    client.on("error", () => undefined);
    const store = new Store(client, prefix);
    try {
      const id = await waitFor("the conversation", async () => (await quietly(() => store.listIds()))?.[0], 30_000);
      await waitFor("a turn recorded", async () => ((await quietly(() => store.get(id)))?.turns ?? 0) >= 1, 60_000);
      const node = await nodeForSlot(cluster, await cluster.keyslot(new Keys(prefix).record(id)));
      const kids = (await childrenOf(run.pid!)).map((k) => k.pid);
      await crashNode(node);
      const t0 = Date.now();
      const { code } = await exited(run, 60_000);
      const waited = Date.now() - t0;
      await restartNode(cluster, node);
      expect(code, run.err()).toBe(1);
      expect(waited).toBeGreaterThanOrEqual(3500);
      expect(waited).toBeLessThan(20_000);
      expect(run.err()).toMatch(new RegExp(`error: lost Redis at ${cluster.url.replace(/[.]/g, "\\.")} for 4 s`));
      expect(run.err()).toMatch(/^hint: /m);
      expect(run.err()).not.toMatch(/Connection is closed|^\s+at /m);
      await waitFor("children gone", async () => kids.every((p) => !alive(p)), 15_000);
    } finally {
      client.disconnect();
      if (run.exitCode === null) run.kill("SIGKILL");
    }
  }, 120_000);
});
