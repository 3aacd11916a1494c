/// <reference lib="dom" />
/**
 * Small truths of `dialogue serve` and `dialogue show`, each as a user would check it: /healthz
 * lists the pools that matter now (live workers', and those runs going on need, saying which no
 * live worker serves), not every pool a run ever used; the live page's `dialogue say` command for a
 * person's turn names --prefix exactly when the server's prefix is not the default, and works as
 * shown; `show --json` of a run going on says which pools no live worker serves (unserved_pools, as
 * the API); a page gets the record once on connecting, not twice; and a run whose launcher and
 * manager died is shown failed (abandoned), with when it died, by the API, the runs list and the
 * run's page (open or opened later) — noticed by dialogue serve, with no `dialogue list` run.
 * `dialogue serve`, `run`, `manager` and `worker` run as separate processes against a real Redis;
 * pages in Debian's Chromium, driven by playwright-core.
 */
import type { BrowserContext, Page } from "playwright-core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { launchChromium, type Chromium } from "../helpers/browser.js";
import { alive, childrenOf, cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { startTestRedis } from "../helpers/redis-server.js";
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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** two agents whose turns one pool ("shared") serves */
const sharedBody = {
  provider: "simulated",
  scenario: { title: "Waiting for a worker", premise: "Two neighbours talk over the fence." },
  agents: [
    { id: "host", role: "gardener", pool: "shared" },
    { id: "guest", role: "neighbour", pool: "shared" },
  ],
  limits: { max_turns: 4 },
};

async function startOverHttp(served: Served, body: unknown): Promise<string> {
  const r = await served.api("/api/conversations", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
}

type Presence = { ok: boolean; managers: number | null; workers: Record<string, number> | null; unserved_pools: Array<{ pool: string; runs: string[]; start: string }> | null };
const presenceOf = async (served: Served): Promise<Presence> => ((await (await served.api("/healthz", { auth: false })).json()) as { checks: { presence: Presence } }).checks.presence;

describe("/healthz", () => {
  it("lists the pools live workers serve and the pools runs going on need (saying which no live worker serves), not every pool a run ever used", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const served = await startServe(prefix);
    try {
      // a run that ended, on its own workers (pools traveller and local): they stopped with it
      const done = await runCli(["run", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=400"], env);
      expect(done.code, done.stderr).toBe(0);
      let p = await presenceOf(served);
      expect(p.ok).toBe(true);
      expect(p.workers).toEqual({}); // no pool matters now: nothing serves one, nothing needs one
      expect(p.unserved_pools).toEqual([]);

      // a run going on needs pool shared, which no worker serves
      const id = await startOverHttp(served, sharedBody);
      p = await presenceOf(served);
      expect(p.workers).toEqual({ shared: 0 });
      expect(p.unserved_pools).toEqual([{ pool: "shared", runs: [id], start: `dialogue worker --pool shared --prefix ${prefix}` }]);

      // a live worker of a pool no run needs is listed with its count; shared still waits
      const extra = startCli(["worker", "--pool", "extra", "--prefix", prefix, "--log-level", "warn"], env);
      p = await waitFor("the extra worker in /healthz", async () => {
        const q = await presenceOf(served);
        return q.workers?.["extra"] === 1 ? q : null;
      }, 20_000, 100);
      expect(p.workers).toEqual({ extra: 1, shared: 0 });
      expect(p.unserved_pools?.map((u) => u.pool)).toEqual(["shared"]);

      // a worker for shared: every pool needed is served
      const shared = startCli(["worker", "--pool", "shared", "--prefix", prefix, "--log-level", "warn"], env);
      p = await waitFor("the shared worker in /healthz", async () => {
        const q = await presenceOf(served);
        return q.workers?.["shared"] === 1 ? q : null;
      }, 20_000, 100);
      expect(p.workers).toEqual({ extra: 1, shared: 1 });
      expect(p.unserved_pools).toEqual([]);
      for (const w of [extra, shared]) w.kill("SIGTERM");
      await Promise.all([extra, shared].map((w) => exited(w, 20_000)));
    } finally {
      await served.stop();
    }
  }, 120_000);
});

describe("dialogue show --json", () => {
  it("of a run going on says which pools no live worker serves (unserved_pools, as the API), and of a run that is over, none", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const served = await startServe(prefix);
    const manager = startCli(["manager", "--prefix", prefix, "--log-level", "warn"], env);
    try {
      const id = await startOverHttp(served, { ...sharedBody, simulated: { tokens_per_second: 400, time_to_first_token_ms: 10 } });
      const store = new Store(redis, prefix);
      await waitFor("the run to start", async () => (await store.get(id))?.status === "running", 30_000, 100);
      const worker = `dialogue worker --pool shared --prefix ${prefix}`;
      const plain = await runCli(["show", id, "--prefix", prefix], env);
      expect(plain.stdout).toMatch(/^… no worker serves pool shared: /m);
      const shown = await runCli(["show", id, "--json", "--prefix", prefix], env);
      expect(shown.code, shown.stderr).toBe(0);
      const doc = JSON.parse(shown.stdout) as { record: { status: string }; unserved_pools: unknown; waiting_for: string[] };
      expect(doc.record.status).toBe("running");
      expect(doc.unserved_pools).toEqual([{ pool: "shared", agents: ["host", "guest"], start: worker }]);
      expect(doc.waiting_for).toEqual([expect.stringMatching(new RegExp(`^no worker serves pool shared: .+'s turn \\(host\\) waits for one \\(dialogue worker --pool shared --prefix ${prefix}\\)$`))]);
      // the API says the same of the run
      const api = (await (await served.api(`/api/conversations/${id}`)).json()) as { unserved_pools: unknown; waiting_for: string[] };
      expect(api.unserved_pools).toEqual(doc.unserved_pools);
      expect(api.waiting_for).toEqual(doc.waiting_for);

      // a worker comes, the run ends: nothing is lacking
      const w = startCli(["worker", "--pool", "shared", "--prefix", prefix, "--log-level", "warn"], env);
      await waitFor("the run to complete", async () => (await store.get(id))?.status === "completed", 60_000, 100);
      const after = JSON.parse((await runCli(["show", id, "--json", "--prefix", prefix], env)).stdout) as { unserved_pools: unknown; waiting_for: unknown };
      expect(after.unserved_pools).toEqual([]);
      expect(after.waiting_for).toEqual([]);
      w.kill("SIGTERM");
      await exited(w, 20_000);
    } finally {
      manager.kill("SIGTERM");
      await exited(manager, 20_000);
      await served.stop();
    }
  }, 120_000);
});

/** reads an event stream for `ms`, then leaves */
async function sseFor(url: string, ms: number): Promise<string> {
  const ac = new AbortController();
  const r = await fetch(url, { headers: { accept: "text/event-stream" }, signal: ac.signal });
  const reader = (r.body as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let text = "";
  const t = setTimeout(() => ac.abort(), ms);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
    }
  } catch {
    // aborted: time is up
  } finally {
    clearTimeout(t);
  }
  return text;
}
const count = (text: string, event: string): number => (text.match(new RegExp(`^event: ${event}$`, "gm")) ?? []).length;

describe("the event stream", () => {
  it("gives a page the record once on connecting, not twice (in the browser, and to a second client of the same run)", async () => {
    const prefix = freshPrefix();
    const served = await startServe(prefix);
    try {
      // a run that waits for its manager: its record does not change while it is followed
      const id = await startOverHttp(served, sharedBody);
      const page = await browser.newPage();
      // the page's own EventSource, counted as the browser receives its events
      await page.addInitScript(() => {
        const Original = window.EventSource;
        const w = window as unknown as { received: string[] };
        w.received = [];
        window.EventSource = class extends Original {
          constructor(url: string | URL, init?: EventSourceInit) {
            super(url, init);
            for (const e of ["hello", "record", "unserved"]) this.addEventListener(e, () => w.received.push(e));
          }
        };
      });
      await page.goto(`${served.url}/runs/${id}`);
      await page.waitForFunction(() => (window as unknown as { received: string[] }).received.includes("unserved"), undefined, { timeout: 20_000 });
      await sleep(1500);
      const received = await page.evaluate(() => (window as unknown as { received: string[] }).received);
      expect(received.filter((e) => e === "record")).toEqual(["record"]);
      expect(await page.textContent("#status")).toBe("pending");

      // a second client, of the feed the page started
      const text = await sseFor(`${served.url}/api/conversations/${id}/events`, 2000);
      expect(count(text, "hello")).toBe(1);
      expect(count(text, "record")).toBe(1);
      await page.close();

      // a client alone, once the page's feed is gone (it lingers 5 s): it starts one of its own
      await sleep(6000);
      const alone = await sseFor(`${served.url}/api/conversations/${id}/events`, 2000);
      expect(count(alone, "record")).toBe(1);
      expect(dialogs).toEqual([]);
    } finally {
      await served.stop();
    }
  }, 60_000);
});

/** the `dialogue say` command the page shows in the person's box, once it is the person's turn */
async function sayHint(page: Page): Promise<string> {
  await page.waitForSelector("#person-form:not(.hidden)", { timeout: 60_000 });
  return waitFor("the command in the person's box", async () => (await page.textContent("#person-cli"))?.trim() || null, 10_000, 100);
}

/** the hint's command as arguments, "…" replaced by what to say */
const argsOf = (hint: string, text: string): string[] => [...hint.replace(/^dialogue /, "").replace(/ "…"$/, "").split(" "), text];

describe("the live page's dialogue say command", () => {
  it("names --prefix when the server's prefix is not the default, and the command as shown answers the turn", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const served = await startServe(prefix);
    const store = new Store(redis, prefix);
    const run = startCli(["run", "--provider", "simulated", "--person", "local", "--max-turns", "2", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=200", "--set", "limits.human_turn_seconds=60"], env);
    try {
      const id = await waitFor("the conversation", async () => (await store.listIds())[0], 20_000);
      const page = await browser.newPage();
      await page.goto(`${served.url}/runs/${id}`);
      const hint = await sayHint(page);
      expect(hint).toBe(`dialogue say ${id} --as local --turn 2 --prefix ${prefix} "…"`);
      const said = await runCli(argsOf(hint, "I would take the early train."), env);
      expect(said.code, said.stderr).toBe(0);
      expect((await exited(run, 60_000)).code).toBe(0);
      expect((await store.readLog(id)).find((m) => m.metadata.agent_id === "local")?.content.message).toBe("I would take the early train.");
      await page.close();
    } finally {
      await served.stop();
    }
  }, 120_000);

  it("leaves --prefix out under the default prefix, and the command as shown answers the turn", async () => {
    const own = await startTestRedis({ appendonly: false });
    const env = cliEnv(own.url);
    const served = await startServe("dialogue", { redisUrl: own.url });
    const other = new Redis(own.url);
    try {
      const store = new Store(other, "dialogue");
      const run = startCli(["run", "--provider", "simulated", "--person", "local", "--max-turns", "2", "--plain", "--set", "simulated.tokens_per_second=200", "--set", "limits.human_turn_seconds=60"], env);
      const id = await waitFor("the conversation", async () => (await store.listIds())[0], 20_000);
      const page = await browser.newPage();
      await page.goto(`${served.url}/runs/${id}`);
      const hint = await sayHint(page);
      expect(hint).toBe(`dialogue say ${id} --as local --turn 2 "…"`);
      const said = await runCli(argsOf(hint, "Early, I think."), env);
      expect(said.code, said.stderr).toBe(0);
      expect((await exited(run, 60_000)).code).toBe(0);
      expect((await store.readLog(id)).find((m) => m.metadata.agent_id === "local")?.content.message).toBe("Early, I think.");
      await page.close();
    } finally {
      await served.stop();
      await other.quit();
      await own.stop();
    }
  }, 120_000);
});

const LOCK_MS = 3000;

/** a run whose launcher and children were SIGKILLed mid-run (nothing finalized it): its id, and when it died */
async function deadRun(prefix: string, store: Store): Promise<{ id: string; killedAt: number }> {
  const before = new Set(await store.listIds());
  const run = startCli(
    ["run", "--provider", "simulated", "--duration", "600", "--max-turns", "100", "--plain", "--prefix", prefix, "--set", `queues.lock_duration_ms=${LOCK_MS}`, "--set", "simulated.tokens_per_second=20"],
    cliEnv(testRedisUrl()),
  );
  const id = await waitFor("the conversation", async () => (await store.listIds()).find((x) => !before.has(x)), 20_000);
  await waitFor("a turn recorded", async () => ((await store.get(id))?.turns ?? 0) >= 1, 30_000);
  const kids = await childrenOf(run.pid!);
  for (const k of kids) process.kill(k.pid, "SIGKILL");
  run.kill("SIGKILL");
  const killedAt = Date.now();
  await exited(run);
  await waitFor("children gone", async () => kids.every((k) => !alive(k.pid)), 10_000);
  expect((await store.get(id))!.status).toBe("running"); // nothing finalized it on the way out
  return { id, killedAt };
}

type ApiRecord = { status: string; stop_reason: string | null; ended_at: number | null; error: string | null };

describe("a run whose launcher and manager died", () => {
  it("is shown failed (abandoned) with when it died: on its open page, by the API and on a page opened later, and in the runs list — noticed by dialogue serve", async () => {
    const prefix = freshPrefix();
    const served = await startServe(prefix);
    const store = new Store(redis, prefix);
    try {
      // 1. its page is open while it dies: the page says it ended, abandoned
      const a = await deadRun(prefix, store);
      const page = await browser.newPage();
      await page.goto(`${served.url}/runs/${a.id}`);
      await page.waitForFunction(() => document.getElementById("main")?.dataset.ended === "true", undefined, { timeout: 4 * LOCK_MS + 10_000 });
      expect(await page.textContent("#status")).toBe("failed (abandoned)");
      const recA = (await store.get(a.id))!;
      expect(recA.stop_reason).toBe("abandoned");
      expect(recA.error).toMatch(/noticed by dialogue serve/);
      expect(recA.ended_at!).toBeLessThanOrEqual(a.killedAt + 500);
      await page.close();

      // 2. read by the API after its lease ran out, then its page opened
      const b = await deadRun(prefix, store);
      await sleep(2 * LOCK_MS + 500);
      const api = (await (await served.api(`/api/conversations/${b.id}`)).json()) as { record: ApiRecord; unserved_pools: unknown[] };
      expect(api.record.status).toBe("failed");
      expect(api.record.stop_reason).toBe("abandoned");
      expect(api.record.error).toMatch(/noticed by dialogue serve/);
      expect(api.record.ended_at!).toBeLessThanOrEqual(b.killedAt + 500);
      expect(api.unserved_pools).toEqual([]);
      const later = await browser.newPage();
      await later.goto(`${served.url}/runs/${b.id}`);
      expect(await later.textContent("#status")).toBe("failed (abandoned)");
      await later.close();

      // 3. in the runs list (the API's and the runs page's), with its end
      const c = await deadRun(prefix, store);
      await sleep(2 * LOCK_MS + 500);
      const listed = (await (await served.api("/api/conversations")).json()) as { conversations: Array<{ id: string; status: string; stop_reason: string | null; ended_at: number | null }> };
      const row = listed.conversations.find((x) => x.id === c.id);
      expect(row).toMatchObject({ status: "failed", stop_reason: "abandoned" });
      expect(row!.ended_at!).toBeLessThanOrEqual(c.killedAt + 500);
      expect((await store.get(c.id))!.error).toMatch(/noticed by dialogue serve/);
      const runsPage = await browser.newPage();
      await runsPage.goto(`${served.url}/`);
      expect(await runsPage.textContent(`tr[data-id="${c.id}"]`)).toMatch(/failed \(abandoned\)/);
      await runsPage.close();
      expect(dialogs).toEqual([]);
    } finally {
      await served.stop();
    }
  }, 150_000);
});
