/**
 * A run's lease that ran out while Redis itself was down (restarted from its append-only file):
 * the first reader after the restart (`dialogue show`, which settles dead runs) does not end it as
 * abandoned — its managers renew it the moment Redis answers. Once Redis has been up for a whole
 * lease with no renewal, the run is abandoned as before.
 */
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { load } from "../../src/config/load.js";
import { buildSpec } from "../../src/manager/spec.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, runCli } from "../helpers/cli.js";
import { freshPrefix } from "../helpers/redis.js";
import { startTestRedis, type TestRedis } from "../helpers/redis-server.js";

const servers: TestRedis[] = [];
const clients: Redis[] = [];
afterAll(async () => {
  for (const c of clients) c.disconnect();
  for (const s of servers) await s.stop().catch(() => undefined);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LEASE_MS = 3_000;

describe("a lease that ran out while Redis was down", () => {
  it("is not taken for abandoned right after Redis restarts; it is once Redis has been up a whole lease with no renewal", async () => {
    const server = await startTestRedis({ appendonly: true });
    servers.push(server);
    const client = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
    client.on("error", () => undefined);
    clients.push(client);
    const prefix = freshPrefix();
    const store = new Store(client, prefix, { leaseMs: LEASE_MS });
    const spec = buildSpec(load({ env: {} }).config!, "simulated");
    await store.create(spec);
    await store.setFields(spec.id, { status: "running", started_at: Date.now() });
    expect(await store.renewLease(spec.id)).toBe("running"); // a manager renewed it: 3 s

    // Redis away for longer than the lease, then back with its data
    await server.shutdown();
    await sleep(LEASE_MS + 1_000);
    await server.restart();

    const show = async () => {
      const r = await runCli(["show", spec.id, "--json", "--prefix", prefix], cliEnv(server.url));
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { record: { status: string; stop_reason: string | null } }).record;
    };
    expect(await show()).toMatchObject({ status: "running" });

    // no manager came back: a whole lease after the restart, the run is what it is
    await sleep(LEASE_MS + 500);
    expect(await show()).toMatchObject({ status: "failed", stop_reason: "abandoned" });
  }, 60_000);
});
