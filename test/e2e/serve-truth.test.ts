/// <reference lib="dom" />
/**
 * `dialogue serve` says what is true, checked as a user would in a real browser (Debian's
 * Chromium, playwright-core) against the real server process and a real Redis:
 *   - a finished run's page says it has ended (status, stop reason) and invites no one to watch it
 *     live; a running run's page says it is live, and says it has ended once it has;
 *   - on every interface (0.0.0.0) the printed addresses say so, and each one answers;
 *   - bad input in a page's address gets a page saying what is wrong and the way back, while the
 *     API keeps its JSON errors;
 *   - no page load asks for an icon that is not there;
 *   - compare with one run says it needs two, the picked one kept ticked;
 *   - a chart's legend clears its title, and the runs table fits the page at 1280 and 800 px.
 */
import { networkInterfaces } from "node:os";
import { Redis } from "ioredis";
import type { BrowserContext, Page, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lineChart } from "../../src/analysis/svg.js";
import type { DialogMessage } from "../../src/protocol/schemas.js";
import { Store } from "../../src/redis/store.js";
import { launchChromium, type Chromium } from "../helpers/browser.js";
import { ID, makeMessage, makeRecord } from "../helpers/conversation.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { startServe, type Served } from "../helpers/serve.js";

const OTHER = "20261121-150112-77c01";
const LINES = ["Good morning, I would like to talk about my rate.", "Of course. Let us look at the offer you have.", "The other bank offers three point one percent.", "We can match that if you keep the account here.", "Then I would like it in writing, please.", "I will send it to you this afternoon."];

let chrome: Chromium;
let browser: BrowserContext;
let redis: Redis;
let store: Store;
let served: Served;
let prefix: string;
const dialogs: string[] = [];

/** message `seq` of conversation `id` (the fixture's messages are of ID) */
const messageOf = (id: string, seq: number): DialogMessage => {
  const m = makeMessage(seq, LINES[(seq - 1) % LINES.length] as string);
  return { ...m, message_id: `${id}.${seq}`, metadata: { ...m.metadata, conversation_id: id } };
};

/** a run of `turns` messages, created and, unless `running`, finished by its turn limit */
async function seedRun(id: string, turns: number, running = false): Promise<void> {
  const rec = makeRecord();
  await store.create({ ...rec.spec, id });
  await store.setStory(id, rec.story!);
  await store.setPersonas(id, rec.personas!);
  await store.setFields(id, { status: "running", started_at: Date.now() });
  for (let seq = 1; seq <= turns; seq++) await store.appendMessage(messageOf(id, seq));
  if (!running) await store.finalize(id, "max_turns");
}

beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  prefix = freshPrefix();
  store = new Store(redis, prefix);
  await seedRun(ID, 6);
  await seedRun(OTHER, 4);
  chrome = await launchChromium(dialogs);
  browser = chrome.context;
  served = await startServe(prefix);
}, 60_000);
afterAll(async () => {
  await served?.stop();
  await chrome?.close();
  await redis.quit();
});

const overlap = (a: DOMRect, b: DOMRect): boolean => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
const boxOf = (page: Page, selector: string) => page.$eval(selector, (e) => e.getBoundingClientRect().toJSON() as DOMRect);

describe("dialogue serve says what is true", () => {
  it("a finished run's page says it has ended, with its status and stop reason, and invites no one to watch it live", async () => {
    const page = await browser.newPage();
    await page.goto(`${served.url}/runs/${ID}`);
    expect(await page.textContent("main")).toMatch(/This run has ended: completed \(max_turns\) at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\./);
    // no line of the page's own (the transcript and story are the models') says live, and nothing links to a live view
    const own = await page.$$eval("main > p.meta, main > p:not([class])", (ps) => ps.map((p) => p.textContent ?? ""));
    expect(own.filter((t) => /\blive\b/i.test(t))).toEqual([]);
    expect(await page.$$eval("a", (as) => as.map((a) => a.getAttribute("href") ?? "").filter((h) => h.includes("live")))).toEqual([]);
    await page.close();
  });

  it("a running run's page says it is live, and says it has ended, and how, once it has", async () => {
    const id = "20261121-170000-live1";
    await seedRun(id, 2, true);
    const page = await browser.newPage();
    await page.goto(`${served.url}/runs/${id}`);
    expect(await page.textContent("main")).toContain("Live: this run is running; its messages appear here as they are generated.");
    await page.waitForSelector("#turn-2");
    await store.finalize(id, "user_stop");
    await page.waitForSelector('main[data-ended="true"]', { timeout: 10_000 });
    const main = (await page.textContent("main")) ?? "";
    expect(main).toMatch(/This run has ended: stopped \(user_stop\) at .* UTC\./);
    expect(main).not.toContain("Live:");
    await page.close();
  });

  it("a running run's page says an attempt failed while the turn waits, and why, until the next attempt streams", async () => {
    const id = "20261121-170500-fail1";
    await seedRun(id, 2, true);
    const page = await browser.newPage();
    await page.goto(`${served.url}/runs/${id}`);
    await page.waitForSelector("#turn-2");
    // what the worker writes when attempt 1 of turn 3 failed and it waits to retry (worker/turn.ts)
    await store.publishTokens(id, { seq: 3, attempt: 1, agent_id: "a", text: "", tokens: 0, t: Date.now(), failed: { cause: "rate_limited", error: "Ollama at http://127.0.0.1:11434 is rate limiting (429: too many requests)", wait_ms: 2100 } }, 5000);
    await page.waitForSelector("#live:not(.hidden) .failed-attempt:not(:empty)", { timeout: 10_000 });
    expect(await page.textContent("#live .failed-attempt")).toBe("attempt 1 failed (rate_limited); retrying after 2.1 s: Ollama at http://127.0.0.1:11434 is rate limiting (429: too many requests)");
    await store.publishTokens(id, { seq: 3, attempt: 2, agent_id: "a", text: '{"message": "Let us', tokens: 2, t: Date.now() }, 5000);
    await page.waitForFunction(() => document.querySelector("#live .meta")?.textContent?.includes("attempt 2"), null, { timeout: 10_000 });
    expect(await page.textContent("#live .failed-attempt")).toBe("");
    expect(await page.isVisible("#live .failed-attempt")).toBe(false);
    expect(await page.textContent("#live .text")).toBe("Let us");
    await store.finalize(id, "user_stop");
    await page.close();
  });

  it("on every interface (0.0.0.0) it says so, with this machine's address and the others', and each one answers", async () => {
    const open = await startServe(freshPrefix(), { args: ["--host", "0.0.0.0"] });
    try {
      const out = open.proc.out();
      const first = out.split("\n")[0] ?? "";
      expect(first).toContain("listening on all interfaces (0.0.0.0)");
      // never as if it listened on loopback only
      expect(first).not.toMatch(/^dialogue serve: http:\/\/127\.0\.0\.1/);
      expect(out).toContain(`on this machine: http://127.0.0.1:${open.port}`);
      const others = Object.values(networkInterfaces())
        .flatMap((l) => l ?? [])
        .filter((i) => !i.internal && i.family === "IPv4")
        .map((i) => `http://${i.address}:${open.port}`);
      for (const url of others) {
        expect(out).toContain(url);
        // true: it answers there
        expect((await fetch(`${url}/healthz`, { headers: { authorization: `Bearer ${open.token}` } })).status).toBe(200);
      }
      if (others.length === 0) expect(out).toContain("from other machines: none found");
    } finally {
      await open.stop();
    }
  });

  it("bad input in a page's address gets a readable HTML page naming the problem, its fix and the way back; the API keeps JSON", async () => {
    const page = await browser.newPage();
    const bad = async (path: string): Promise<{ r: Response; problem: string; back: string | null }> => {
      const r = (await page.goto(`${served.url}${path}`))!;
      // a page, not JSON
      expect(r.headers()["content-type"], path).toMatch(/^text\/html/);
      return { r, problem: (await page.textContent("p.problem")) ?? "", back: await page.getAttribute("p.problem a", "href") };
    };
    const zero = await bad("/?limit=0");
    expect(zero.r.status()).toBe(400);
    expect(zero.problem).toContain("limit=0 is not accepted");
    expect(zero.problem).toContain("a whole number from 1 to 500");
    expect(zero.back).toBe("/");

    // the way back keeps the filters that were right
    const abc = await bad("/?status=completed&limit=abc");
    expect(abc.r.status()).toBe(400);
    expect(abc.problem).toContain("limit=abc is not accepted");
    expect(abc.back).toBe("/?status=completed");
    await page.click("p.problem a");
    await page.waitForSelector(`tr[data-id="${ID}"]`);
    expect(page.url()).toBe(`${served.url}/?status=completed`);

    const status = await bad("/?status=finished");
    expect(status.problem).toMatch(/status=finished is not accepted: .*one of pending, .*completed/);
    const id = await bad("/runs/%3Cx%3E");
    expect(id.r.status()).toBe(400);
    expect(id.problem).toContain("a conversation id looks like");
    expect(id.back).toBe("/");
    // the runs table the runs page fetches
    const fragment = await fetch(`${served.url}/fragments/runs?limit=0`);
    expect(fragment.status).toBe(400);
    expect(fragment.headers.get("content-type")).toMatch(/^text\/html/);
    // no such page: said in a page too
    const none = await page.goto(`${served.url}/runs?limit=abc`);
    expect(none?.status()).toBe(404);
    expect(none?.headers()["content-type"]).toMatch(/^text\/html/);
    expect(await page.textContent("p.problem")).toContain("There is no page /runs here");

    // the API's routes keep their JSON errors
    const api = await fetch(`${served.url}/api/conversations?limit=0`, { headers: { accept: "text/html" } });
    expect(api.status).toBe(400);
    expect(api.headers.get("content-type")).toMatch(/^application\/json/);
    expect(((await api.json()) as { error: string }).error).toBe("bad_request");
    // a query value that is not a number is said in words, not as "expected number, received NaN"
    for (const q of ["limit=abc", "limit=2.5", "limit=501"]) {
      const bad = (await (await fetch(`${served.url}/api/conversations?${q}`)).json()) as { message: string };
      expect(bad.message).toBe("querystring.limit: must be a whole number from 1 to 500");
    }
    const from = (await (await fetch(`${served.url}/api/conversations/20261121-143005-k3f9a/messages?from=x`)).json()) as { message: string };
    expect(from.message).toBe("querystring.from: must be a whole number of 1 or more");
    const missing = await fetch(`${served.url}/api/nothing-here`, { headers: { accept: "text/html" } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toMatch(/^application\/json/);
    await page.close();
  });

  it("no page load asks for an icon that is not there: no 404, no console error", async () => {
    // a browser of its own: Chromium asks for /favicon.ico once, the first time
    const fresh = await launchChromium(dialogs);
    try {
      const page = await fresh.context.newPage();
      const errors: string[] = [];
      page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
      page.on("response", (r) => void (r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`)));
      const icons: string[] = [];
      for (const path of ["/", `/runs/${ID}`, "/compare", `/compare?ids=${ID}`, `/compare?ids=${ID},${OTHER}`]) {
        await page.goto(`${served.url}${path}`, { waitUntil: "networkidle" });
        icons.push(...(await page.$$eval('link[rel="icon"]', (ls) => ls.map((l) => (l as HTMLLinkElement).href.slice(0, 19)))));
      }
      expect(errors).toEqual([]);
      // each page names its icon, inline
      expect(icons).toEqual(Array(5).fill("data:image/svg+xml,"));
      // and for what is not a page (JSON opened in a tab), /favicon.ico is there
      const icon = await fetch(`${served.url}/favicon.ico`);
      expect(icon.status).toBe(200);
      expect(icon.headers.get("content-type")).toBe("image/svg+xml");
    } finally {
      await fresh.close();
    }
  }, 60_000);

  it("compare with one run says it needs at least two, keeps that one ticked, and compares once another is ticked", async () => {
    const page = await browser.newPage();
    await page.goto(`${served.url}/compare?ids=${ID}`);
    expect(await page.textContent("main")).toContain(`Comparing needs at least two runs: only ${ID} is picked. Tick another below (or give its id), then Compare.`);
    expect(await page.isChecked(`input[name=ids][value="${ID}"]`)).toBe(true);
    expect(await page.isChecked(`input[name=ids][value="${OTHER}"]`)).toBe(false);
    await page.check(`input[name=ids][value="${OTHER}"]`);
    await Promise.all([page.waitForURL(/\/compare\?/), page.click("form button[type=submit]")]);
    expect(await page.textContent("h1")).toBe("Compare 2 runs");
    // one not found: said, and the one found kept
    await page.goto(`${served.url}/compare?ids=${ID},20200101-000000-00000`);
    expect(await page.textContent("#notice")).toBe("not found: 20200101-000000-00000");
    expect(await page.isChecked(`input[name=ids][value="${ID}"]`)).toBe(true);
    await page.close();
  });

  it("a chart's legend clears its title and its plot, at 1280 and 800 px, however many agents", async () => {
    const page = await browser.newPage();
    for (const width of [1280, 800]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${served.url}/runs/${ID}`);
      // the title is the bold text, the legend the texts with a colour square
      const charts = await page.$$eval("svg.chart", (svgs) =>
        svgs.map((s) => ({
          id: s.getAttribute("data-chart"),
          title: s.querySelector('text[font-weight="bold"]')!.getBoundingClientRect().toJSON() as DOMRect,
          legend: [...s.querySelectorAll("text")].filter((t) => t.textContent?.includes("■")).map((t) => t.getBoundingClientRect().toJSON() as DOMRect),
          // the plot's top: its highest grid line
          plotTop: Math.min(...[...s.querySelectorAll("line")].map((l) => l.getBoundingClientRect().top)),
        })),
      );
      expect(charts.map((c) => c.id)).toContain("content");
      for (const c of charts) {
        for (const l of c.legend) {
          expect(overlap(c.title, l), `${c.id} at ${width} px: legend over the title`).toBe(false);
          expect(l.bottom, `${c.id} at ${width} px: legend over the plot`).toBeLessThanOrEqual(c.plotTop);
        }
      }
    }
    // a legend of eight long names wraps under the title, none over another, none past the edge
    const series = Array.from({ length: 8 }, (_, k) => ({ label: `relationship-manager-${k + 1}`, values: [k, k + 1, k / 2] }));
    await page.setViewportSize({ width: 800, height: 900 });
    await page.setContent(`<!doctype html><body style="margin:0">${lineChart("legend", "Tokens per second, per agent", series)}</body>`);
    const boxes = await page.$$eval("text", (ts) => ts.filter((t) => t.getAttribute("font-weight") === "bold" || t.textContent?.includes("■")).map((t) => t.getBoundingClientRect().toJSON() as DOMRect));
    expect(boxes.length).toBeGreaterThan(1);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) expect(overlap(boxes[i]!, boxes[j]!), `texts ${i} and ${j}`).toBe(false);
    expect(Math.max(...boxes.map((b) => b.right))).toBeLessThanOrEqual(640);
    await page.close();
  });

  it("the runs table is no wider than the page's header at 1280 and 800 px, and the page does not scroll sideways", async () => {
    const page = await browser.newPage();
    for (const width of [1280, 800]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${served.url}/`);
      await page.waitForSelector(`tr[data-id="${ID}"]`);
      const nav = await boxOf(page, "nav");
      const table = await boxOf(page, "table.runs");
      expect(table.right, `runs table at ${width} px`).toBeLessThanOrEqual(nav.right + 0.5);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), `page at ${width} px`).toBeLessThanOrEqual(width);
    }
    expect(dialogs).toEqual([]);
    await page.close();
  });
});
