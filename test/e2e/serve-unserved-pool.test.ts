/// <reference lib="dom" />
/**
 * A run started over HTTP whose agents' pool has no live worker: the API's answer names the pool
 * and the command that starts a worker for it; the run's live page (Debian's Chromium, driven by
 * playwright-core) says so while the run waits — for its first turn or any later one — and the
 * line goes once a worker comes; `dialogue show` says it too; `dialogue status` names the pool a
 * run going on waits for, and leaves a pool nothing needs any more (idle) out of its list. `dialogue serve`, `dialogue
 * manager` and `dialogue worker` run as separate processes against the test Redis.
 */
import type { BrowserContext, Page } from "playwright-core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

/** two agents whose turns one pool ("shared", not either agent's id) serves */
const body = (maxTurns: number, tokensPerSecond: number) => ({
  provider: "simulated",
  scenario: { title: "Waiting for a worker", premise: "Two neighbours talk over the fence." },
  agents: [
    { id: "host", role: "gardener", pool: "shared" },
    { id: "guest", role: "neighbour", pool: "shared" },
  ],
  limits: { max_turns: maxTurns },
  simulated: { tokens_per_second: tokensPerSecond, time_to_first_token_ms: 20 },
});

const start = (served: Served, b: unknown) => served.api("/api/conversations", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(b) });

/** the lines the page shows of what the run waits for ("" when none, or hidden) */
const waitingLines = (page: Page) =>
  page.evaluate(() => {
    const el = document.getElementById("waiting-for");
    if (!el || el.classList.contains("hidden") || getComputedStyle(el).display === "none") return [];
    return [...el.querySelectorAll("li")].map((li) => li.textContent ?? "");
  });

const linesAre = async (page: Page, what: string, ok: (lines: string[]) => boolean, timeoutMs = 20_000): Promise<string[]> =>
  waitFor(what, async () => {
    const lines = await waitingLines(page);
    return ok(lines) ? lines : null;
  }, timeoutMs, 100);

describe("a run whose pool no live worker serves", () => {
  it("the API names the pool and the command, the live page says so until a worker comes, and dialogue status lists the pool while a run needs it, not after", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const served = await startServe(prefix);
    const worker = `dialogue worker --pool shared --prefix ${prefix}`;
    try {
      // 1. the API's answer: the pool, its agents and the command, and the lines that say it
      const r = await start(served, body(4, 400));
      expect(r.status).toBe(201);
      const started = (await r.json()) as { id: string; pools: string[]; waiting_for: string[]; unserved_pools: Array<{ pool: string; agents: string[]; start: string }> };
      expect(started.pools).toEqual(["shared"]);
      expect(started.unserved_pools).toEqual([{ pool: "shared", agents: ["host", "guest"], start: worker }]);
      expect(started.waiting_for).toEqual([
        `no manager is running against this Redis: the run starts when one does (dialogue manager --prefix ${prefix})`,
        `no worker serves pool shared: its turns wait for one (${worker})`,
      ]);
      // the OpenAPI document describes the field
      const openapi = JSON.stringify(await (await served.api("/api/openapi.json")).json());
      expect(openapi).toContain("unserved_pools");

      // 2. the live page says what the run waits for, with the commands
      const page = await browser.newPage();
      await page.goto(`${served.url}/runs/${started.id}`);
      expect(await linesAre(page, "the page to say what the run waits for", (l) => l.length === 2)).toEqual(started.waiting_for);

      // a manager comes: the run starts, and its first turn waits in the pool with no worker
      const manager = startCli(["manager", "--prefix", prefix, "--log-level", "warn"], env);
      const waits = await linesAre(page, "the manager line to go and the first turn to wait", (l) => l.length === 1 && l[0]?.includes("'s turn (host) waits") === true);
      expect(waits).toEqual([expect.stringMatching(new RegExp(`^no worker serves pool shared: .+'s turn \\(host\\) waits for one \\(${worker.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\)$`))]);
      expect(await page.isVisible("#waiting-for")).toBe(true);
      const store = new Store(redis, prefix);
      expect((await store.get(started.id))?.status).toBe("running");
      expect(await store.readLog(started.id)).toEqual([]); // nothing moved: the turn waits

      // dialogue status names the pool the run waits for, and the command (with the prefix, as the API's)
      const waiting = await runCli(["status", "--prefix", prefix], env);
      expect(waiting.code).toBe(0);
      expect(waiting.stdout).toContain(`Pools: shared: no live worker, needed by 1 run going on, 1 turn in its queue (${worker})`);
      // and dialogue show, the turn that waits and where
      const shown = await runCli(["show", started.id, "--prefix", prefix], env);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(new RegExp(`^… no worker serves pool shared: .+'s turn \\(host\\) waits for one \\(${worker.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\)$`, "m"));

      // 3. a worker comes: the line goes, and the run goes on to its end
      const w = startCli(["worker", "--pool", "shared", "--prefix", prefix, "--log-level", "warn"], env);
      await linesAre(page, "the line to go once a worker is live", (l) => l.length === 0);
      await waitFor("the run to complete", async () => (await store.get(started.id))?.status === "completed", 60_000, 100);
      await page.waitForFunction(() => document.getElementById("main")?.dataset.ended === "true", undefined, { timeout: 20_000 });
      expect(await page.$$eval("#transcript li.msg", (l) => l.length)).toBe(4);
      expect(await waitingLines(page)).toEqual([]);
      expect((await runCli(["show", started.id, "--prefix", prefix], env)).stdout).not.toContain("no worker serves");

      // 4. the worker and the manager stop: no run uses the pool any more, nothing waits in its queue
      w.kill("SIGTERM");
      manager.kill("SIGTERM");
      expect((await exited(w, 20_000)).code).toBe(0);
      expect((await exited(manager, 20_000)).code).toBe(0);
      const after = await runCli(["status", "--prefix", prefix], env);
      expect(after.code).toBe(0);
      expect(after.stdout).not.toContain("shared: no live worker");
      expect(after.stdout).not.toMatch(/^Pools:/m);
      expect(after.stdout).toContain("(1 idle pool not shown: no live worker, and no run going on needs one; --all names them)");
      const all = await runCli(["status", "--prefix", prefix, "--all"], env);
      expect(all.stdout).toContain("Idle pools (no live worker, and no run going on needs one): shared");
      expect(dialogs).toEqual([]);
      await page.close();
    } finally {
      await served.stop();
    }
  }, 150_000);

  it("a worker that goes mid-run: the page says the next turn waits for the pool, and the line goes when another worker comes", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const worker = `dialogue worker --pool shared --prefix ${prefix}`;
    startCli(["manager", "--prefix", prefix, "--log-level", "warn"], env);
    const first = startCli(["worker", "--pool", "shared", "--prefix", prefix, "--log-level", "warn"], env);
    const served = await startServe(prefix);
    try {
      // both are live before the run starts: the answer says nothing is missing
      await waitFor("the manager and the worker to report", async () => {
        const h = (await (await served.api("/healthz", { auth: false })).json()) as { checks: { presence: { managers: number | null; workers: Record<string, number> | null } } };
        return h.checks.presence.managers === 1 && h.checks.presence.workers?.["shared"] === 1;
      }, 20_000, 100);
      const r = await start(served, body(8, 60));
      const started = (await r.json()) as { id: string; waiting_for: string[]; unserved_pools: unknown[] };
      expect(started.waiting_for).toEqual([]);
      expect(started.unserved_pools).toEqual([]);
      const page = await browser.newPage();
      await page.goto(`${served.url}/runs/${started.id}`);
      await page.waitForFunction(() => document.querySelectorAll("#transcript li.msg").length >= 1, undefined, { timeout: 30_000 });
      expect(await waitingLines(page)).toEqual([]);

      // the worker stops (its turn in flight done): the next turn waits, and the page says where
      first.kill("SIGTERM");
      const lines = await linesAre(page, "the page to say the next turn waits for the pool", (l) => l.length === 1 && /'s turn \((host|guest)\) waits/.test(l[0] ?? ""), 30_000);
      expect(lines[0]).toMatch(new RegExp(`^no worker serves pool shared: .+'s turn \\((host|guest)\\) waits for one \\(dialogue worker --pool shared --prefix ${prefix}\\)$`));
      expect(lines[0]).toContain(worker);
      const store = new Store(redis, prefix);
      expect((await store.get(started.id))?.status).toBe("running");

      // another worker: the line goes, the run ends
      startCli(["worker", "--pool", "shared", "--prefix", prefix, "--log-level", "warn"], env);
      await linesAre(page, "the line to go once another worker is live", (l) => l.length === 0);
      await waitFor("the run to complete", async () => (await store.get(started.id))?.status === "completed", 90_000, 100);
      await page.close();
    } finally {
      await served.stop();
    }
  }, 150_000);
});
