/// <reference lib="dom" />
/**
 * `dialogue serve` in a real browser: Debian's Chromium driven by playwright-core (no browser
 * download), the server and `dialogue run` as separate processes on the test Redis. The browser
 * sees a run live — the turn being generated grows in the page, the run ends, the analysis and
 * its charts appear — and loses or repeats nothing when the server goes away mid-run and comes
 * back; the analysis page shows the figures `dialogue analyze --json` prints; a model reply made
 * of HTML and script is shown as text and runs nothing; the runs page follows the status;
 * compare and bull-board show what they should; off loopback, a page without the token says
 * why and how to give it, and the token given once in the address leaves it for a cookie that
 * scripts cannot read.
 */
import type { BrowserContext, Page } from "playwright-core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentRows, windowRows } from "../../src/analysis/report-rows.js";
import type { Analysis } from "../../src/analysis/schema.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { ID, makeMessage, makeRecord } from "../helpers/conversation.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { launchChromium, type Chromium } from "../helpers/browser.js";
import { startServe } from "../helpers/serve.js";

const XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>";

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

const newPage = (): Promise<Page> => browser.newPage();

const cellsOf = (page: Page, selector: string) =>
  page.$$eval(selector, (rows) => rows.map((r) => [...(r as HTMLTableRowElement).cells].map((c) => c.textContent ?? "")));

describe("dialogue serve in Chromium", () => {
  it("shows a run live token by token, survives the server going away mid-run with nothing lost or repeated, and shows the end and the analysis", async () => {
    const prefix = freshPrefix();
    let served = await startServe(prefix);
    const port = served.port;
    const store = new Store(redis, prefix);
    const run = startCli(
      ["run", "--provider", "simulated", "--max-turns", "6", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=40", "--set", "simulated.time_to_first_token_ms=50"],
      cliEnv(testRedisUrl()),
    );
    const id = await waitFor("the run", async () => (await store.listIds())[0], 20_000, 20);
    const list = await newPage();
    await list.goto(`${served.url}/`);
    expect(await list.textContent(`tr[data-id="${id}"]`)).toContain(id);

    const page = await newPage();
    await page.goto(`${served.url}/runs/${id}`);
    // the turn being generated grows in the page: the same turn, more text a moment later
    await page.waitForFunction(() => (document.querySelector("#live .text")?.textContent ?? "").length > 10, undefined, { timeout: 30_000 });
    const sample = () => page.evaluate(() => ({ who: document.querySelector("#live .who")?.textContent ?? "", text: document.querySelector("#live .text")?.textContent ?? "" }));
    const a = await sample();
    await page.waitForFunction((len) => (document.querySelector("#live .text")?.textContent ?? "").length > len, a.text.length, { timeout: 10_000 });
    const b = await sample();
    expect(b.who).toBe(a.who);
    expect(b.text.startsWith(a.text)).toBe(true);
    expect((await store.get(id))?.status).toBe("running");
    // the stats follow: the speaking agent's tokens count the turn in flight
    expect(Number((await page.textContent("#stats tbody tr:has-text('▸') td:nth-child(3)"))?.replace(/,/g, ""))).toBeGreaterThan(0);

    // the server goes away mid-turn and comes back on the same port
    const before = await page.$$eval("#transcript li.msg", (l) => l.length);
    expect(await served.stop()).toBe(0);
    await page.waitForFunction(() => document.getElementById("notice")?.textContent?.includes("reconnecting"), undefined, { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 1500)); // tokens keep coming meanwhile
    served = await startServe(prefix, { port });
    try {
      await page.waitForSelector('main[data-ended="true"]', { timeout: 60_000 });
      expect((await exited(run, 30_000)).code).toBe(0);
      expect(await page.textContent("#status")).toBe("completed (max_turns)");
      const turns = await page.$$eval("#transcript li.msg", (l) => l.map((x) => ({ seq: (x as HTMLElement).dataset.seq, streamed: (x as HTMLElement).dataset.streamed ?? null })));
      expect(turns.map((t) => t.seq)).toEqual(["1", "2", "3", "4", "5", "6"]);
      expect(await page.getAttribute("#transcript", "data-repeats")).toBe("0");
      // every turn streamed here was streamed whole and spelled the recorded message, across the drop too
      expect(turns.filter((t) => t.streamed === "differs")).toEqual([]);
      expect(turns.slice(before).filter((t) => t.streamed === "whole").length).toBeGreaterThan(0);
      for (const m of await store.readLog(id)) {
        expect(await page.textContent(`#turn-${m.metadata.sequence_number} .text`)).toBe(m.content.message);
      }
      // the analysis, with its charts drawn
      for (const chart of ["tokens-per-second", "sentiment", "content", "share-of-talk"]) {
        expect(await page.$(`#analysis svg.chart[data-chart="${chart}"] path[d^="M"], #analysis svg.chart[data-chart="${chart}"] rect`)).not.toBeNull();
      }
      expect(await page.isHidden("#live")).toBe(true);
      // the runs page followed the status without a reload
      await list.waitForFunction((rid) => document.querySelector(`tr[data-id="${rid}"]`)?.textContent?.includes("completed (max_turns)"), id, { timeout: 10_000 });

      // the finished run's page shows the figures dialogue analyze --json prints
      const cli = await runCli(["analyze", id, "--json", "--prefix", prefix], cliEnv(testRedisUrl()));
      const analysis = JSON.parse(cli.stdout) as Analysis;
      const done = await newPage();
      await done.goto(`${served.url}/runs/${id}`);
      const agentsTable = await done.$('#analysis [data-table="agents"] table');
      const windowsTable = await done.$('#analysis [data-table="windows"] table');
      const shown = await agentsTable!.$$eval("tr", (rows) => rows.map((r) => [...(r as HTMLTableRowElement).cells].map((c) => c.textContent ?? "")));
      const [ids, ...body] = agentRows(analysis);
      expect(shown).toEqual([["", ...(ids?.slice(1) ?? [])], ...body]);
      expect(await windowsTable!.$$eval("tr", (rows) => rows.map((r) => [...(r as HTMLTableRowElement).cells].map((c) => c.textContent ?? "")))).toEqual(windowRows(analysis));
      expect(analysis.run.turns).toBe(6);
      expect(await done.$$eval("svg.chart", (s) => s.length)).toBe(4);

      // compare: this run and a second one side by side
      await runCli(["run", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=400"], cliEnv(testRedisUrl()));
      const other = (await store.listIds()).find((x) => x !== id) as string;
      const cmp = await newPage();
      await cmp.goto(`${served.url}/compare?ids=${id},${other}`);
      const runsRow = (await cellsOf(cmp, "table tr"))[0];
      expect(runsRow).toEqual(["run", id, other]);
      expect(await cmp.$('svg.chart[data-chart="compare-tokens-per-second"] rect')).not.toBeNull();

      // bull-board lists the queues of the run
      const q = await newPage();
      // nothing is asked of another host (bull-board's page links Google's fonts), and no request is blocked
      const offHost: string[] = [];
      const blocked: string[] = [];
      q.on("request", (r) => {
        if (!r.url().startsWith(served.url) && !r.url().startsWith("data:")) offHost.push(r.url());
      });
      q.on("console", (m) => {
        if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
      });
      await q.goto(`${served.url}/queues`);
      const pools = (await store.get(id))!.spec.agents.map((x) => x.pool);
      for (const name of ["control", ...pools.flatMap((p) => [`requests.${p}`, `responses.${p}`])]) await q.getByText(name, { exact: true }).first().waitFor({ timeout: 20_000 });
      expect(offHost).toEqual([]);
      expect(blocked).toEqual([]);
      expect(dialogs).toEqual([]);
    } finally {
      await served.stop();
    }
  }, 150_000);

  it("shows a model reply of HTML and script as text, live and afterwards, and no dialog opens", async () => {
    const prefix = freshPrefix();
    const served = await startServe(prefix);
    const store = new Store(redis, prefix);
    try {
      const rec = makeRecord();
      await store.create(rec.spec);
      await store.setStory(ID, rec.story!);
      await store.setPersonas(ID, rec.personas!);
      await store.setFields(ID, { status: "running", started_at: Date.now() });
      const page = await newPage();
      await page.goto(`${served.url}/runs/${ID}`);
      await page.waitForSelector("#personas .persona");
      // a turn streaming that text, then the message itself
      await store.publishTokens(ID, { seq: 1, attempt: 1, agent_id: "customer", text: JSON.stringify({ message: XSS }).slice(0, -2), tokens: 5, t: Date.now() }, 100);
      await page.waitForFunction((x) => document.querySelector("#live .text")?.textContent === x, XSS, { timeout: 10_000 });
      await store.appendMessage(makeMessage(1, XSS));
      await page.waitForSelector("#turn-1");
      expect(await page.textContent("#turn-1 .text")).toBe(XSS);
      await store.finalize(ID, "max_turns");
      await page.waitForSelector('main[data-ended="true"]');
      const after = await newPage();
      await after.goto(`${served.url}/runs/${ID}`);
      expect(await after.textContent("#turn-1 .text")).toBe(XSS);
      for (const p of [page, after]) {
        expect(await p.$$eval("img", (imgs) => imgs.length)).toBe(0);
        expect(await p.$$eval("script", (s) => s.map((x) => (x as HTMLScriptElement).src).filter((src) => !src.includes("/assets/")))).toEqual([]);
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(dialogs).toEqual([]);
      expect(await served.stop()).toBe(0); // SIGTERM with pages open: a clean, quick exit
    } finally {
      await served.stop();
    }
  }, 60_000);

  it("off loopback, a page opened without the token says why and how to give it; ?token= once leads to the page, the token gone from the address and unreadable to scripts", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const rec = makeRecord();
    await store.create(rec.spec);
    await store.setStory(ID, rec.story!);
    await store.setPersonas(ID, rec.personas!);
    await store.setFields(ID, { status: "running", started_at: Date.now() });
    const served = await startServe(prefix, { args: ["--host", "0.0.0.0"] });
    await browser.clearCookies();
    try {
      const page = await newPage();
      const bare = await page.goto(`${served.url}/runs/${ID}`);
      expect(bare?.status()).toBe(401);
      expect(await page.title()).toBe("Token needed");
      expect(await page.textContent("body")).toContain("this server needs its token for every request");
      expect(await page.textContent("body")).toContain("?token=");
      const wrong = await page.goto(`${served.url}/runs/${ID}?token=not-the-token`);
      expect(wrong?.status()).toBe(401);
      expect(await page.textContent("body")).toContain("the token in the address is wrong");
      expect(await page.content()).not.toContain(served.token);

      const ok = await page.goto(`${served.url}/runs/${ID}?token=${served.token}`);
      expect(ok?.status()).toBe(200);
      expect(page.url()).toBe(`${served.url}/runs/${ID}`);
      await page.waitForSelector("#personas .persona");
      expect(await page.evaluate(() => document.cookie)).toBe(""); // HttpOnly
      // the page follows the run with the cookie: a message appended now shows up
      await store.appendMessage(makeMessage(1, "The tram will come by the market."));
      await page.waitForSelector("#turn-1");
      expect(await page.textContent("#turn-1 .text")).toBe("The tram will come by the market.");
      // and other pages open without the token in their address
      const list = await newPage();
      await list.goto(`${served.url}/`);
      expect(await list.textContent(`tr[data-id="${ID}"]`)).toContain(ID);
      expect(dialogs).toEqual([]);
    } finally {
      await browser.clearCookies();
      await served.stop();
    }
  }, 60_000);
});
