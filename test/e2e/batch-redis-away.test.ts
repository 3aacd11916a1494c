/**
 * `dialogue run --count N` while Redis goes away for a few seconds: it says so on stderr when it
 * happens (which Redis, host:port only) and when Redis answers again, as `run` and `watch` do, and
 * the conversations finish. Before, it said nothing until it gave up. And when Redis comes back
 * without its data, it says the conversations disappeared and exits 1, as `run` does for one; it
 * used to wait for them for good.
 */
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { cliEnv, exited, startCli, waitFor } from "../helpers/cli.js";
import { startTestRedis, type TestRedis } from "../helpers/redis-server.js";
import { freshPrefix } from "../helpers/redis.js";
import { Store } from "../../src/redis/store.js";

let servers: TestRedis[] = [];
let clients: Redis[] = [];
afterEach(async () => {
  for (const c of clients) c.disconnect();
  for (const s of servers) await s.stop();
  servers = [];
  clients = [];
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** a redis-server of the test's own (`appendonly`: whether it comes back with its data), and a client that waits through its outages */
async function ownRedis(appendonly: boolean): Promise<{ server: TestRedis; client: Redis }> {
  const server = await startTestRedis({ appendonly });
  servers.push(server);
  const client = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
  client.on("error", () => undefined);
  clients.push(client);
  return { server, client };
}

describe("dialogue run --count while Redis is away", () => {
  it("says when Redis goes and when it is back, and the conversations complete", async () => {
    const { server, client } = await ownRedis(true);
    const prefix = freshPrefix();
    const run = startCli(
      ["run", "--count", "2", "--provider", "simulated", "--max-turns", "6", "--prefix", prefix, "--set", "simulated.tokens_per_second=40", "--set", "redis.unavailable_timeout_ms=60000"],
      cliEnv(server.url),
    );
    const store = new Store(client, prefix);
    await waitFor("turns under way", async () => {
      const ids = await store.listIds();
      const recs = await Promise.all(ids.map((id) => store.get(id)));
      return recs.some((r) => (r?.turns ?? 0) >= 1);
    }, 60_000);
    // SHUTDOWN NOSAVE (the append-only file keeps what was written), then back on the same port after 4 s
    await server.shutdown();
    await waitFor("the away line", async () => run.err().includes(`Redis at 127.0.0.1:${server.port} is unreachable`), 10_000);
    await sleep(4000);
    await server.restart();
    const r = await exited(run, 90_000);
    expect(r.code, run.err()).toBe(0);
    const lines = run.err().split("\n");
    const away = lines.filter((l) => l.includes("is unreachable (since"));
    const back = lines.filter((l) => l.includes("answers again (it was unreachable for"));
    expect(away).toHaveLength(1);
    expect(away[0]).toMatch(new RegExp(`^Redis at 127\\.0\\.0\\.1:${server.port} is unreachable \\(since \\d\\d:\\d\\d:\\d\\d\\): trying again until it answers, for up to 60 s`));
    expect(back).toHaveLength(1);
    expect(back[0]).toMatch(/it was unreachable for ([4-9]|1\d) s\); going on$/);
    const ids = await store.listIds();
    expect(ids).toHaveLength(2);
    for (const id of ids) expect((await store.get(id))!.status).toBe("completed");
  }, 150_000);

  it("Redis back without its data: says the conversations disappeared (where, why) and exits 1", async () => {
    const { server, client } = await ownRedis(false);
    const prefix = freshPrefix();
    const run = startCli(
      ["run", "--count", "2", "--provider", "simulated", "--max-turns", "6", "--prefix", prefix, "--set", "simulated.tokens_per_second=20", "--set", "redis.unavailable_timeout_ms=60000"],
      cliEnv(server.url),
    );
    const store = new Store(client, prefix);
    await waitFor("turns under way", async () => {
      const recs = await Promise.all((await store.listIds()).map((id) => store.get(id)));
      return recs.some((r) => (r?.turns ?? 0) >= 1);
    }, 60_000);
    // no append-only file: it comes back empty
    await server.shutdown();
    await sleep(1000);
    await server.restart();
    const r = await exited(run, 30_000);
    expect(r.code, run.err()).toBe(1);
    const errors = run.err().split("\n").filter((l) => /^(error|hint): /.test(l));
    expect(errors[0]).toMatch(new RegExp(`^error: conversation \\S+ (\\(and 1 other\\) )?disappeared$`));
    expect(errors[1]).toMatch(new RegExp(`^hint: Redis at redis://127\\.0\\.0\\.1:${server.port} \\(prefix "${prefix}"\\) no longer has it: it was purged \\(dialogue purge\\), or Redis restarted without its data`));
  }, 120_000);
});
