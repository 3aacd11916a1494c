/**
 * Stopping `dialogue run`: Ctrl-C (SIGINT to the whole process group, as a terminal sends it)
 * and SIGTERM stop the conversation gracefully — recorded as a user stop with the turn in flight
 * kept, cut — and leave no child process behind; a launcher killed outright takes its children with it.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chunkFromEntry } from "../../src/protocol/token-entry.js";
import { Store } from "../../src/redis/store.js";
import { partialMessage } from "../../src/worker/partial-json.js";
import { alive, childrenOf, cliEnv, exited, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

async function startSlowRun(prefix: string) {
  const store = new Store(redis, prefix);
  const run = startCli(
    ["run", "--provider", "simulated", "--max-turns", "20", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=20"],
    cliEnv(testRedisUrl()),
    { ownGroup: true },
  );
  const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
  await waitFor("turn 2 in flight", async () => {
    const r = await store.get(id);
    return r !== null && r.turns >= 1 && r.pending_seq === 2;
  }, 30_000, 20);
  await waitFor("a few words of turn 2", async () => {
    const entries = await redis.xrange(store.keys.tokens(id), "-", "+");
    const text = entries
      .map(([, f]) => chunkFromEntry(f))
      .filter((c) => c?.seq === 2)
      .map((c) => c?.text)
      .join("");
    return partialMessage(text).length > 10;
  }, 20_000, 20);
  const kids = (await childrenOf(run.pid!)).map((c) => c.pid);
  expect(kids.length).toBe(3); // manager + one worker per agent
  return { store, run, id, kids };
}

describe("stopping dialogue run", () => {
  for (const [how, signal, group] of [
    ["Ctrl-C", "SIGINT", true],
    ["SIGTERM", "SIGTERM", false],
  ] as const) {
    it(`${how}: recorded as a user stop, the cut turn kept, exits 0, no orphans`, async () => {
      const { store, run, id, kids } = await startSlowRun(freshPrefix());
      const t0 = Date.now();
      process.kill(group ? -run.pid! : run.pid!, signal);
      const { code } = await exited(run, 20_000);
      expect(code).toBe(0);
      expect(Date.now() - t0).toBeLessThan(8000);
      const rec = (await store.get(id))!;
      expect(rec.status).toBe("stopped");
      expect(rec.stop_reason).toBe("user_stop");
      const msgs = await store.readLog(id);
      expect(msgs.map((m) => m.metadata.sequence_number)).toEqual([1, 2]);
      expect(msgs[1]!.cut).toBe(true);
      expect(msgs[1]!.content.message.length).toBeGreaterThan(0);
      expect(run.out()).toContain("stopped (user_stop)");
      await waitFor("children gone", async () => kids.every((p) => !alive(p)), 15_000);
    }, 60_000);
  }

  it("a second Ctrl-C quits at once", async () => {
    const { run, kids } = await startSlowRun(freshPrefix());
    process.kill(-run.pid!, "SIGINT");
    await new Promise((r) => setTimeout(r, 100));
    process.kill(-run.pid!, "SIGINT");
    const { code } = await exited(run, 5000);
    expect(code).toBe(130);
    await waitFor("children gone", async () => kids.every((p) => !alive(p)), 15_000);
  }, 60_000);

  it("a launcher killed with SIGKILL leaves no orphan children", async () => {
    const { run, kids } = await startSlowRun(freshPrefix());
    run.kill("SIGKILL");
    await waitFor("children gone", async () => kids.every((p) => !alive(p)), 15_000);
  }, 60_000);
});
