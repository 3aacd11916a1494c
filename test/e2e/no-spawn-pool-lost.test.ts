/**
 * `dialogue run --no-spawn` whose run loses the only worker of a pool mid-run (SIGKILL): the
 * launcher says so as soon as the heartbeats show it, in the words of `dialogue show` (the pool,
 * whose turn waits, the command that starts a worker for it), not silence; a worker started by
 * hand serves the pool again, the launcher says so once, and the run goes on to its end.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keys } from "../../src/protocol/keys.js";
import { chunkFromEntry } from "../../src/protocol/token-entry.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
const started: Array<ReturnType<typeof startCli>> = [];
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  await Promise.all(started.map((p) => exited(p, 10_000).catch(() => undefined)));
  await redis.quit();
});

function start(args: string[], env: NodeJS.ProcessEnv): ReturnType<typeof startCli> {
  const p = startCli(args, env);
  started.push(p);
  return p;
}

/** a token of turn `seq` has been streamed: the turn is being generated */
async function generating(prefix: string, id: string, seq: number): Promise<boolean> {
  const entries = await redis.xrange(new Keys(prefix).tokens(id), "-", "+");
  return entries.some(([, f]) => chunkFromEntry(f)?.seq === seq);
}

describe("run --no-spawn whose pool loses its only worker mid-run", () => {
  it("says which pool no live worker serves, whose turn waits and the command that starts one; then that it is served again, and the run ends", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    // heartbeats every 300 ms (a killed worker is gone after 0.9 s); turns slow enough to kill the
    // worker of pool local while traveller speaks the first
    const common = ["--prefix", prefix, "--set", "presence.heartbeat_ms=300", "--set", "simulated.tokens_per_second=8", "--set", "simulated.time_to_first_token_ms=50"];
    const store = new Store(redis, prefix);
    const manager = start(["manager", ...common], env);
    const traveller = start(["worker", "--pool", "traveller", ...common], env);
    const local = start(["worker", "--pool", "local", ...common], env);
    await waitFor("processes ready", async () => [manager, traveller, local].every((p) => /ready/.test(p.err())), 30_000);

    const run = start(["run", "--no-spawn", "--provider", "simulated", "--max-turns", "4", "--plain", ...common], env);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0], 30_000);
    await waitFor("turn 1 (traveller) generating", () => generating(prefix, id, 1), 30_000, 20);
    local.kill("SIGKILL");
    await exited(local, 10_000);

    // said at once (its turns wait), then again once traveller's turn is over and local's waits
    const line = new RegExp(`^… no worker serves pool local: (.+'s turn \\(local\\) waits|its turns wait) for one \\(dialogue worker --pool local --prefix ${prefix}\\)$`, "gm");
    const turnWaits = new RegExp(`^… no worker serves pool local: \\S.*'s turn \\(local\\) waits for one \\(dialogue worker --pool local --prefix ${prefix}\\)$`, "m");
    await waitFor("the launcher to name the pool, whose turn waits and the command", async () => turnWaits.test(run.err()), 60_000, 100);
    expect(run.err().match(line)!.length).toBeLessThanOrEqual(2); // not repeated within the minute
    // the pool still served and the live manager are not said to be missing
    expect(run.err()).not.toMatch(/no worker serves pool traveller/);
    expect(run.err()).not.toMatch(/no manager is running|no live manager/);
    expect(run.exitCode).toBeNull(); // it waits for a worker
    // dialogue show says it in the same words
    const show = await runCli(["show", id, "--prefix", prefix], env);
    expect(show.stdout).toMatch(turnWaits);

    start(["worker", "--pool", "local", ...common], env);
    await waitFor("the launcher to say the pool is served again", async () => /^… pool local is served again/m.test(run.err()), 30_000, 100);
    const { code } = await exited(run, 60_000);
    expect(code, run.err()).toBe(0);
    const rec = (await store.get(id))!;
    expect(rec.status).toBe("completed");
    expect(rec.stop_reason).toBe("max_turns");
    expect((await store.readLog(id)).map((m) => m.metadata.sequence_number)).toEqual([1, 2, 3, 4]);
    // each thing said once: no repeats within the minute
    expect(run.err().match(/^… pool local is served again/gm)).toHaveLength(1);
  }, 120_000);
});
