/// <reference lib="dom" />
/**
 * Stopping a run from `dialogue serve`: the live page's notice tells the truth as the stop goes —
 * "stopping…" on the click, what the stop waits for while the record says stopping (here a
 * person's open turn, which the manager closes), and nothing once the run has ended stopped — and
 * POST /api/conversations/:id/stop of a run that had already ended is a 409 saying how and when it
 * ended, in one line (as `dialogue stop` says it), with nothing written. `dialogue serve`, a
 * manager and a worker run as separate processes against the test Redis; the page in Debian's
 * Chromium, driven by playwright-core; the manager is held (SIGSTOP) while the stop waits for it,
 * so the page can be read then.
 */
import type { BrowserContext } from "playwright-core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nameOf } from "../../src/observer/who.js";
import { Store } from "../../src/redis/store.js";
import { launchChromium, type Chromium } from "../helpers/browser.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { startServe, type Served } from "../helpers/serve.js";

let chrome: Chromium;
let browser: BrowserContext;
let redis: Redis;
const dialogs: string[] = [];

beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  chrome = await launchChromium(dialogs);
  browser = chrome.context;
}, 60_000);
afterAll(async () => {
  await chrome?.close();
  await redis.quit();
});

const pause = (p: { pid?: number | undefined }) => process.kill(p.pid!, "SIGSTOP");
const resume = (p: { pid?: number | undefined }) => process.kill(p.pid!, "SIGCONT");

async function startOverHttp(served: Served, body: unknown): Promise<string> {
  const r = await served.api("/api/conversations", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
}

const stop = (served: Served, id: string) => served.api(`/api/conversations/${id}/stop`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });

describe("the live page's Stop", () => {
  it("says what the stop waits for — closing the person's open turn — and no longer says stopping once the run has ended", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const served = await startServe(prefix);
    const store = new Store(redis, prefix);
    const common = ["--prefix", prefix];
    const manager = startCli(["manager", ...common], env);
    const worker = startCli(["worker", "--pool", "traveller", ...common], env);
    try {
      await waitFor("manager and worker ready", async () => [manager, worker].every((p) => /ready/.test(p.err())), 20_000);
      // turn 1 the traveller's (a model), turn 2 local's (a person), who has a minute to answer
      const id = await startOverHttp(served, {
        provider: "simulated",
        scenario: { title: "A stop at a person's turn", premise: "A traveller asks a local the way." },
        agents: [
          { id: "traveller", role: "traveller" },
          { id: "local", role: "local", kind: "human" },
        ],
        limits: { max_turns: 6, human_turn_seconds: 60 },
        simulated: { tokens_per_second: 400, time_to_first_token_ms: 10 },
      });
      const page = await browser.newPage();
      await page.goto(`${served.url}/runs/${id}?token=${served.token}`);
      await page.waitForSelector("#person-form:not(.hidden)", { timeout: 60_000 });
      const rec = (await store.get(id))!;
      const name = nameOf(rec, "local");
      expect(await page.textContent("#notice")).toBe("");

      // the manager is held: the stop waits for it to close the person's turn
      pause(manager);
      try {
        await page.click("#stop");
        await page.waitForFunction(() => document.getElementById("notice")?.textContent?.includes("closing"), undefined, { timeout: 20_000 });
        expect(await page.textContent("#notice")).toBe(`stopping: closing ${name}'s turn 2`);
        expect((await store.get(id))!.status).toBe("stopping");
      } finally {
        resume(manager);
      }

      await page.waitForSelector('main[data-ended="true"]', { timeout: 30_000 });
      expect(await page.textContent("#status")).toBe("stopped (user_stop)");
      expect(await page.textContent("#notice")).not.toMatch(/stopping/);
      expect(await page.textContent("#notice")).toBe("");
      // the person's turn was closed, skipped: nothing was being generated
      const log = await store.readLog(id);
      expect(log.filter((m) => m.metadata.agent_id === "local").map((m) => [m.metadata.sequence_number, m.skipped === true])).toEqual([[2, true]]);
      await page.close();
      expect(dialogs).toEqual([]);
    } finally {
      for (const p of [manager, worker]) p.kill("SIGTERM");
      await Promise.all([manager, worker].map((p) => exited(p, 15_000)));
      await served.stop();
    }
  }, 120_000);
});

describe("POST /api/conversations/:id/stop", () => {
  it("of a run that had already ended is a 409 saying how and when it ended, in one line, as dialogue stop says it; nothing is written", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const served = await startServe(prefix);
    const store = new Store(redis, prefix);
    try {
      const done = await runCli(["run", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=400"], env);
      expect(done.code, done.stderr).toBe(0);
      const id = (await store.listIds())[0]!;
      const before = (await store.get(id))!;
      expect(before.status).toBe("completed");
      const at = new Date(before.ended_at!).toISOString().replace("T", " ").slice(0, 19);

      const r = await stop(served, id);
      expect(r.status).toBe(409);
      const said = `${id} had already ended: completed (max_turns) at ${at} UTC`;
      expect(await r.json()).toEqual({ error: "conflict", message: said });
      // dialogue stop says the same
      const cli = await runCli(["stop", id, "--prefix", prefix], env);
      expect(cli.stdout.trim()).toBe(said);
      expect(await store.get(id)).toEqual(before);

      // without the token, a 401 still; a run that is not there, a 404
      expect((await served.api(`/api/conversations/${id}/stop`, { method: "POST", auth: false, headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(401);
      expect((await stop(served, "20200101-000000-aaaaa")).status).toBe(404);

      // the OpenAPI document says so
      const doc = (await (await served.api("/api/openapi.json")).json()) as { paths: Record<string, { post: { responses: Record<string, unknown> } }> };
      expect(Object.keys(doc.paths["/api/conversations/{id}/stop"]!.post.responses)).toContain("409");
    } finally {
      await served.stop();
    }
  }, 90_000);
});
