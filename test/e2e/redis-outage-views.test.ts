/**
 * What the views say while Redis is away during a run (a real redis-server of each test's own,
 * shut down with SHUTDOWN NOSAVE and started again on the same port, its append-only file kept):
 * the TUI of `dialogue run` names the Redis that is unreachable instead of blaming the model, and
 * goes back to normal; `dialogue watch --plain` says on stderr when Redis goes and comes back, and
 * gives up past redis.unavailable_timeout_ms with the error `run` gives; a Ctrl-C while Redis is
 * away says at once that the stop waits for it, how long, and what then. And a second SIGTERM
 * exits 143, as a SIGTERM-caused exit does (a second Ctrl-C stays 130).
 */
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { alive, childrenOf, cliEnv, exited, startCli, waitFor } from "../helpers/cli.js";
import { startTestRedis, type TestRedis } from "../helpers/redis-server.js";
import { freshPrefix } from "../helpers/redis.js";
import { dialogueCommand, hasTmux, Tmux } from "../helpers/tmux.js";

let servers: TestRedis[] = [];
let clients: Redis[] = [];
afterEach(async () => {
  for (const c of clients) c.disconnect();
  for (const s of servers) await s.stop();
  servers = [];
  clients = [];
});

async function ownRedis() {
  const server = await startTestRedis({ appendonly: true });
  servers.push(server);
  const client = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
  client.on("error", () => undefined);
  clients.push(client);
  return { server, client };
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!hasTmux())("the TUI of dialogue run while Redis is away", () => {
  it("says which Redis is unreachable and for how long (not 'no tokens for'), and goes back to normal when it answers", async () => {
    const { server, client } = await ownRedis();
    const prefix = freshPrefix();
    const tmux = new Tmux(cliEnv(server.url));
    const run = tmux.start(
      "run",
      dialogueCommand(["run", "--provider", "simulated", "--max-turns", "6", "--prefix", prefix, "--set", "simulated.tokens_per_second=30", "--set", "redis.unavailable_timeout_ms=60000"]),
      { width: 140, height: 40 },
    );
    const store = new Store(client, prefix);
    await tmux.until(run, "a turn streaming", (s) => /turn \d+ · \d+ tok · [\d.]+ tok\/s/.test(s), 60_000);
    await server.shutdown();
    const where = `Redis at 127.0.0.1:${server.port} unreachable for`;
    await tmux.until(run, "Redis said unreachable", (s) => s.includes(where), 10_000);
    // long enough for a quiet turn to say "no tokens for" (5 s): it says Redis instead, counting
    await sleep(7000);
    const away = tmux.capture(run);
    expect(away).toMatch(new RegExp(`Redis at 127\\.0\\.0\\.1:${server.port} unreachable for ([6-9]|1\\d) s · giving up in \\d+ s`));
    expect(away).not.toContain("no tokens for");

    await server.restart();
    await tmux.until(run, "back to normal", (s) => !s.includes("unreachable") && /turn \d+ · \d+ tok · [\d.]+ tok\/s/.test(s), 20_000);
    const end = await tmux.until(run, "the run ended", (s) => s.includes("[exit 0]"), 90_000, { history: true });
    expect(end).toContain("completed (max_turns)");
    const id = (await store.listIds())[0]!;
    expect((await store.readLog(id)).map((m) => m.metadata.sequence_number)).toEqual([1, 2, 3, 4, 5, 6]);
  }, 150_000);
});

describe("dialogue watch --plain while Redis is away", () => {
  it("says on stderr when Redis goes (since when, until when it tries) and when it is back; past the timeout, the error and exit 1", async () => {
    const { server, client } = await ownRedis();
    const prefix = freshPrefix();
    const run = startCli(
      ["run", "--provider", "simulated", "--max-turns", "6", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=40", "--set", "redis.unavailable_timeout_ms=60000"],
      cliEnv(server.url),
    );
    const store = new Store(client, prefix);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("a turn recorded", async () => ((await store.get(id))?.turns ?? 0) >= 1, 60_000);
    const watch = startCli(["watch", id, "--plain", "--prefix", prefix, "--set", "redis.unavailable_timeout_ms=4000"], cliEnv(server.url));
    await waitFor("watch shows turn 1", async () => watch.out().includes("[1] "), 20_000);

    await server.shutdown();
    const gone = new RegExp(
      `^Redis at 127\\.0\\.0\\.1:${server.port} is unreachable \\(since \\d\\d:\\d\\d:\\d\\d\\): trying again until it answers, for up to 4 s \\(redis\\.unavailable_timeout_ms\\), then giving up$`,
      "m",
    );
    await waitFor("watch says Redis is unreachable", async () => gone.test(watch.err()), 3000);
    await sleep(1500);
    await server.restart();
    await waitFor("watch says Redis is back", async () => /^Redis at 127\.0\.0\.1:\d+ answers again \(it was unreachable for \d+ s\); going on$/m.test(watch.err()), 10_000);
    const seen = watch.out().length;
    await waitFor("watch goes on", async () => watch.out().slice(seen).includes("tokens ·"), 30_000);
    expect(watch.exitCode).toBeNull();

    // away for good (for watch: past its 4 s)
    await server.shutdown();
    const t0 = Date.now();
    const { code } = await exited(watch, 20_000);
    expect(code).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3500);
    expect(watch.err()).toContain(`error: lost Redis at redis://127.0.0.1:${server.port} for 4 s; conversation ${id} keeps what was recorded so far`);
    expect(watch.err()).toContain(`hint: restart Redis (or check the network), then see it with: dialogue watch ${id}`);
    expect(watch.err()).not.toMatch(/^\s+at /m);

    // the run goes on once Redis is back, and nothing was lost
    await server.restart();
    expect((await exited(run, 90_000)).code, run.err()).toBe(0);
    expect((await store.readLog(id)).map((m) => m.metadata.sequence_number)).toEqual([1, 2, 3, 4, 5, 6]);
  }, 150_000);
});

describe("Ctrl-C on dialogue run --plain while Redis is away", () => {
  it("says at once that Redis is unreachable and the stop waits for it (how long, and what then); gives up with exit 1 if it does not come back", async () => {
    const { server, client } = await ownRedis();
    const prefix = freshPrefix();
    const run = startCli(
      ["run", "--provider", "simulated", "--max-turns", "30", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=20", "--set", "redis.unavailable_timeout_ms=10000"],
      cliEnv(server.url),
      { ownGroup: true },
    );
    const store = new Store(client, prefix);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("a turn recorded", async () => ((await store.get(id))?.turns ?? 0) >= 1, 60_000);
    const kids = (await childrenOf(run.pid!)).map((k) => k.pid);
    await server.shutdown();
    await sleep(2000);
    const before = run.err().length;
    process.kill(-run.pid!, "SIGINT");
    await sleep(700);
    const said = run.err().slice(before);
    expect(said).toContain("Ctrl-C: stopping the conversation");
    const m = new RegExp(
      `^Redis at 127\\.0\\.0\\.1:${server.port} is unreachable \\(for (\\d+) s\\), so the stop cannot be recorded yet: waiting up to (\\d+) s more for it \\(redis\\.unavailable_timeout_ms\\); ` +
        `if it does not come back, this exits 1 \\("lost Redis"\\) and the conversation keeps what was recorded so far$`,
      "m",
    ).exec(said);
    expect(m, said).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(2);
    expect(Number(m![1]) + Number(m![2])).toBeGreaterThanOrEqual(9);
    expect(Number(m![1]) + Number(m![2])).toBeLessThanOrEqual(11);

    const { code } = await exited(run, 20_000);
    expect(code).toBe(1);
    expect(run.err()).toContain(`error: lost Redis at redis://127.0.0.1:${server.port} for 10 s; conversation ${id} keeps what was recorded so far`);
    await waitFor("children gone", async () => kids.every((p) => !alive(p)), 15_000);
  }, 120_000);

  it("and once Redis is back the stop is recorded, as without the outage (exit 0)", async () => {
    const { server, client } = await ownRedis();
    const prefix = freshPrefix();
    const run = startCli(
      ["run", "--provider", "simulated", "--max-turns", "30", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=20", "--set", "redis.unavailable_timeout_ms=30000"],
      cliEnv(server.url),
      { ownGroup: true },
    );
    const store = new Store(client, prefix);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("a turn recorded", async () => ((await store.get(id))?.turns ?? 0) >= 1, 60_000);
    await server.shutdown();
    await sleep(1000);
    process.kill(-run.pid!, "SIGINT");
    await waitFor("the wait said", async () => /so the stop cannot be recorded yet: waiting up to \d+ s more/.test(run.err()), 3000);
    await sleep(1000);
    await server.restart();
    const { code } = await exited(run, 30_000);
    expect(code, run.err()).toBe(0);
    expect((await store.get(id))?.stop_reason).toBe("user_stop");
  }, 120_000);
});

describe("signals twice", () => {
  it("a second SIGTERM quits at once with exit 143", async () => {
    const { server, client } = await ownRedis();
    const prefix = freshPrefix();
    const run = startCli(["run", "--provider", "simulated", "--max-turns", "20", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=20"], cliEnv(server.url));
    const store = new Store(client, prefix);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    await waitFor("a turn recorded", async () => ((await store.get(id))?.turns ?? 0) >= 1, 60_000);
    const kids = (await childrenOf(run.pid!)).map((k) => k.pid);
    run.kill("SIGTERM");
    await sleep(100);
    run.kill("SIGTERM");
    const { code } = await exited(run, 5000);
    expect(code, run.err()).toBe(143);
    expect(run.err()).toContain("Quit at once (SIGTERM after the stop)");
    await waitFor("children gone", async () => kids.every((p) => !alive(p)), 15_000);
  }, 60_000);
});
