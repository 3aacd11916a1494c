/// <reference lib="dom" />
/**
 * `dialogue serve` in a real browser (Debian's Chromium, playwright-core) for conversations of
 * every shape, with the server, `dialogue run` and `dialogue import` as separate processes on the
 * test Redis:
 *   - a run with a person: at the person's turn the live page shows an input box with the seconds
 *     left (counting down, on Redis' clock); what is typed there is recorded as the person's
 *     message and the model answers it; a narrator's remark from its box is recorded and shown;
 *   - a four-agent panel: four speaker colours, each message in its speaker's; the moderator's
 *     reasons while a turn is generated and in the transcript; compare with a two-agent run;
 *   - an imported conversation: the runs list and its page say what it is, without speeds.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { personaOf } from "../../src/protocol/record.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { launchChromium, type Chromium } from "../helpers/browser.js";
import { startServe } from "../helpers/serve.js";

const REMARK = "The lights go out. <img src=x onerror=alert(3)>";
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

const env = () => cliEnv(testRedisUrl());
const text = async (page: Page, selector: string): Promise<string> => (await page.textContent(selector)) ?? "";
const cells = (page: Page, selector: string): Promise<string[]> => page.$$eval(selector, (tds) => tds.map((c) => c.textContent ?? ""));
/** each element's computed colour (or border colour) */
const colours = (page: Page, selector: string, prop: "color" | "borderLeftColor"): Promise<string[]> =>
  page.$$eval(selector, (els, p) => els.map((e) => getComputedStyle(e)[p as "color"]), prop);

describe("dialogue serve in Chromium: people, casts of any size, imported conversations", () => {
  it("text typed in the person's box and not sent when their turn is skipped is not carried into their next turn, which says it was not sent", async () => {
    const prefix = freshPrefix();
    const served = await startServe(prefix);
    const store = new Store(redis, prefix);
    try {
      const run = startCli(
        ["run", "--provider", "simulated", "--person", "local", "--max-turns", "4", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0", "--set", "limits.human_turn_seconds=3"],
        env(),
      );
      const id = await waitFor("the conversation", async () => (await store.listIds())[0], 30_000);
      const page = await browser.newPage();
      await page.goto(`${served.url}/runs/${id}?token=${served.token}`);
      await page.waitForSelector('#person-form:not(.hidden)[data-seq="2"]', { timeout: 30_000 });
      await page.fill("#person-text", "I was still typing this");
      // nobody sends it: turn 2 is skipped after 3 s, and turn 4 is the person's again
      await page.waitForSelector('#person-form:not(.hidden)[data-seq="4"]', { timeout: 30_000 });
      expect(await page.inputValue("#person-text")).toBe("");
      expect(await text(page, "#person-note")).toBe("turn 2 was answered elsewhere or skipped: what you typed was not sent — “I was still typing this”");
      expect((await store.readLog(id))[1]).toMatchObject({ skipped: true, content: { message: "" } });
      expect((await exited(run, 60_000)).code, run.err()).toBe(0);
    } finally {
      await served.stop();
    }
  }, 120_000);

  it("shows the person's input box at their turn with the seconds left; what is typed is recorded and the model answers it; a narrator's remark is recorded and shown", async () => {
    const prefix = freshPrefix();
    const served = await startServe(prefix);
    const store = new Store(redis, prefix);
    try {
      const run = startCli(
        ["run", "--provider", "simulated", "--person", "local", "--max-turns", "3", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=40", "--set", "limits.human_turn_seconds=90"],
        env(),
      );
      const id = await waitFor("the run", async () => (await store.listIds())[0], 20_000, 20);
      const page = await browser.newPage();
      // the token, once in the address: the page keeps it as a cookie, and can then say things
      const res = await page.goto(`${served.url}/runs/${id}?token=${served.token}`);
      expect(new URL(page.url()).search).toBe("");
      // the boxes added no inline script or style: the policy is as strict as ever
      const csp = res!.headers()["content-security-policy"] ?? "";
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain("unsafe");
      expect(await page.isVisible("#narrator-form")).toBe(true);

      // turn 1 is the traveller's; turn 2 is offered to the person, and the box appears
      await page.waitForSelector("#person-form:not(.hidden)", { timeout: 30_000 });
      const rec = (await store.get(id))!;
      expect(rec.next_choice).toMatchObject({ seq: 2, agent_id: "local" });
      const name = personaOf(rec.spec, rec.personas ?? [], "local")!.name;
      expect(await text(page, "#person-who")).toBe(`Turn 2 is ${name}'s (local, a person)`);
      expect(await page.getAttribute("#person-text", "placeholder")).toBe(`what ${name} says`);
      // the header names the agents by their personas (written after the page was made), the person as a person
      expect(await text(page, '#agents span[data-agent="local"]')).toBe(`● ${name} (local) · a person`);
      expect(await text(page, '#agents span[data-agent="traveller"]')).toBe(`● ${personaOf(rec.spec, rec.personas ?? [], "traveller")!.name} (traveller) · simulated-1 [simulated]`);
      // the seconds left are those to the skip, by Redis' clock, and they count down
      const [sec, micro] = await redis.time();
      const expected = (rec.next_choice!.at! + 90_000 - (Number(sec) * 1000 + Math.floor(Number(micro) / 1000))) / 1000;
      const left = Number(await page.getAttribute("#person-form", "data-left"));
      expect(Math.abs(left - expected)).toBeLessThan(3);
      expect(await text(page, "#person-left")).toBe(`${left} s left before the turn is skipped`);
      await page.waitForFunction((l) => Number(document.getElementById("person-form")?.dataset.left) < l, left, { timeout: 5000 });
      // the stats panel marks the person as the one whose turn it is, with no model figures
      const waitingRow = await cells(page, '#stats tr[data-agent="local"] td');
      expect(waitingRow[0]).toBe(`▸ ${name} · person`);
      expect(waitingRow.slice(2)).toEqual(["–", "–", "–", "–", "–"]);

      // a narrator's remark, while the person is waited for (recorded at the next turn boundary)
      await page.fill("#narrator-text", REMARK);
      await page.click("#narrator-send");
      await page.waitForFunction(() => document.getElementById("narrator-note")?.textContent?.startsWith("remark queued for"), undefined, { timeout: 10_000 });
      expect(await page.inputValue("#narrator-text")).toBe("");

      // the person's answer, typed and sent
      await page.fill("#person-text", "I know a bakery by the station, the one with the blue door.");
      await page.click("#person-send");
      await page.waitForSelector("#turn-2", { timeout: 10_000 });
      expect(await text(page, "#turn-2 .text")).toBe("I know a bakery by the station, the one with the blue door.");
      expect(await page.getAttribute("#turn-2", "data-source")).toBe("human");
      expect(await text(page, "#turn-2 > .meta")).toMatch(/^answered in .+ · typed by a person: no tokens or speed$/);
      await page.waitForSelector("#person-form.hidden", { state: "attached", timeout: 10_000 });
      // the remark follows the person's turn, shown as a narrator's
      await page.waitForSelector('#transcript li[data-source="narrator"]', { timeout: 10_000 });
      expect(await text(page, '#transcript li[data-source="narrator"] .text')).toBe(REMARK); // as text: no image, no script ran
      expect(await text(page, '#transcript li[data-source="narrator"]')).toContain("(a narrator's remark after turn 2, not a turn)");

      await page.waitForSelector('main[data-ended="true"]', { timeout: 60_000 });
      expect((await exited(run, 30_000)).code, run.err()).toBe(0);
      const log = await store.readLog(id);
      expect(log[1]).toMatchObject({ content: { message: "I know a bakery by the station, the one with the blue door." }, metadata: { agent_id: "local", source: "human", tokens_generated: 0 } });
      expect(log[2]).toMatchObject({ content: { message: REMARK }, metadata: { source: "narrator" } });
      expect(await page.$$eval("#transcript img", (x) => x.length)).toBe(0);
      // the model answered the person: its prompt held the answer, and the page shows it
      const answer = log[3]!;
      expect(answer.metadata).toMatchObject({ agent_id: "traveller", source: "model" });
      expect(answer.metadata.prompt_turns?.last).toBe(3);
      // message 4, the turn after the remark: turn 3, as every label numbers it
      expect(await text(page, "#turn-3 .text")).toBe(answer.content.message);
      expect(await text(page, "#turn-3 .who")).toMatch(/^\[3\] /);
      expect(await text(page, '#transcript li[data-source="narrator"] .who')).toBe("[·] Narrator");
      expect(await page.$$eval("#transcript li.msg", (l) => l.map((x) => (x as HTMLElement).dataset.source))).toEqual(["model", "human", "narrator", "model"]);
      // over: no box to say anything; the person's figures are turns only
      expect(await page.isHidden("#narrator-form")).toBe(true);
      expect(await page.isHidden("#person-form")).toBe(true);
      const row = await cells(page, '#stats tr[data-agent="local"] td');
      expect(row).toEqual([`● ${name} · person`, "1", "–", "–", "–", "–", "–"]);
      expect(await text(page, "#turns")).toBe("3");
      expect(dialogs).toEqual([]);
    } finally {
      await served.stop();
    }
  }, 120_000);

  it("renders a four-agent panel in four speaker colours with the moderator's reasons, and compares it with a two-agent run", async () => {
    const prefix = freshPrefix();
    const served = await startServe(prefix);
    const store = new Store(redis, prefix);
    try {
      const run = startCli(["run", "--scenario", "panel", "--provider", "simulated", "--max-turns", "6", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=40"], env());
      const id = await waitFor("the run", async () => (await store.listIds())[0], 20_000, 20);
      const page = await browser.newPage();
      await page.goto(`${served.url}/runs/${id}`);
      // while a moderated turn is generated, why its speaker was chosen
      await page.waitForFunction(() => (document.querySelector("#live:not(.hidden) .choice")?.textContent ?? "").startsWith("chosen (moderator): "), undefined, { timeout: 30_000 });
      await page.waitForSelector('main[data-ended="true"]', { timeout: 60_000 });
      expect((await exited(run, 30_000)).code, run.err()).toBe(0);
      const rec = (await store.get(id))!;
      const ids = rec.spec.agents.map((a) => a.id);
      expect(ids).toHaveLength(4);

      // four agents, four colours: in the header, the stats and the personas, each agent in its own
      const header = await colours(page, "#agents span", "color");
      expect(new Set(header).size).toBe(4);
      expect(await page.$$eval("#agents span", (s) => s.map((x) => (x as HTMLElement).dataset.agent))).toEqual(ids);
      expect(await colours(page, "#stats tbody tr td:first-child", "color")).toEqual(header);
      expect(await colours(page, "#personas .persona", "borderLeftColor")).toEqual(header);
      // every message in its speaker's colour; every moderated one with the moderator's reason
      const log = await store.readLog(id);
      const moderated = log.filter((m) => m.metadata.turn_choice?.how === "moderator");
      expect(moderated.length).toBeGreaterThan(0);
      for (const m of log) {
        const seq = m.metadata.sequence_number;
        expect((await colours(page, `#turn-${seq}`, "borderLeftColor"))[0]).toBe(header[ids.indexOf(m.metadata.agent_id)]);
        const c = m.metadata.turn_choice!;
        if (c.how === "moderator") expect(await text(page, `#turn-${seq} .choice`)).toBe(`chosen: by the moderator — ${c.reason}`);
        if (c.how === "first") expect(await page.$(`#turn-${seq} .choice`)).toBeNull();
      }

      // the finished run's page: the same colours and reasons, and the analysis for four
      const done = await browser.newPage();
      await done.goto(`${served.url}/runs/${id}`);
      expect(await colours(done, "#agents span", "color")).toEqual(header);
      expect(await text(done, "main > p.meta")).toContain("turn order: moderator");
      for (const m of moderated) expect(await text(done, `#turn-${m.metadata.sequence_number} .choice`)).toBe(`chosen: by the moderator — ${m.metadata.turn_choice!.reason}`);
      expect((await cells(done, '#analysis [data-table="agents"] thead th')).slice(1)).toEqual(ids);

      // compare with a run of two agents: every agent gets its column
      expect((await runCli(["run", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=400"], env())).code).toBe(0);
      const two = (await store.listIds()).find((x) => x !== id)!;
      const cmp = await browser.newPage();
      await cmp.goto(`${served.url}/compare?ids=${two},${id}`);
      const tables = await cmp.$$eval("table", (ts) => ts.map((t) => [...(t as HTMLTableElement).rows].map((r) => [...r.cells].map((c) => c.textContent ?? ""))));
      expect(tables[0]!.find((r) => r[0] === "agents")).toEqual(["agents", "2", "4"]);
      expect(tables[1]![0]).toEqual(["run", two, two, id, id, id, id]);
      expect(await cmp.$$eval('svg.chart[data-chart="compare-tokens-per-second"] rect', (r) => r.length)).toBe(6);
      expect(dialogs).toEqual([]);
    } finally {
      await served.stop();
    }
  }, 120_000);

  it("shows an imported conversation in the runs list and on its page: recorded speakers, no speeds, the source", async () => {
    const prefix = freshPrefix();
    const served = await startServe(prefix);
    const store = new Store(redis, prefix);
    const dir = mkdtempSync(path.join(tmpdir(), "dialogue-import-"));
    try {
      const rows = [
        ["agent", "Good morning, you're through to the help desk."],
        ["caller", "My <b>invoice</b> shows the same line twice."],
        ["agent", "I see it. Let me bring in billing."],
        ["billing", "The second line is a duplicate; I have removed it."],
        ["caller", "Thank you, that was quick."],
        ["agent", "Anything else today?"],
      ];
      const file = path.join(dir, "calls.jsonl");
      writeFileSync(file, rows.map(([speaker, t], i) => JSON.stringify({ session_id: "call-7", timestamp: `2024-03-01T09:0${i}:00Z`, speaker, text: t })).join("\n") + "\n");
      const imported = await runCli(["import", file, "--prefix", prefix], env());
      expect(imported.code, imported.stderr).toBe(0);
      const id = (await store.listIds())[0]!;

      const list = await browser.newPage();
      // filtered with the page's own form: the fields left empty (model, since) are no filter
      await list.goto(`${served.url}/`);
      await list.selectOption('form.filters select[name="status"]', "imported");
      await Promise.all([list.waitForURL(/\?status=imported&model=&since=&limit=50$/), list.click('form.filters button[type="submit"]')]);
      expect(await list.$$eval("tbody tr[data-id]", (r) => r.map((x) => (x as HTMLElement).dataset.id))).toContain(id);
      expect(await list.$$eval("tbody tr[data-id] .status", (s) => s.map((x) => x.textContent))).toEqual(expect.arrayContaining(["imported"]));
      await list.selectOption('form.filters select[name="status"]', "");
      await Promise.all([list.waitForURL(/\?status=&model=/), list.click('form.filters button[type="submit"]')]);
      expect(await list.$(`tr[data-id="${id}"]`)).not.toBeNull();
      const row = await cells(list, `tr[data-id="${id}"] td`);
      expect(row[2]).toContain("imported from calls.jsonl (session call-7)");
      expect(row[5]).toBe("6");
      expect(row.slice(6)).toEqual(["imported", "–", "3 agents: recorded"]);

      const page = await browser.newPage();
      await page.goto(`${served.url}/runs/${id}`);
      expect(await text(page, "main > p.meta")).toMatch(/recorded from 2024-03-01 09:00:00 UTC · imported · 6 messages$/);
      expect(await text(page, "p.source")).toContain("imported from calls.jsonl (jsonl, session call-7, 6 rows)");
      expect(await page.$$eval("#agents span", (s) => s.map((x) => x.textContent))).toEqual(expect.arrayContaining([expect.stringMatching(/\(caller\) · recorded$/)]));
      expect(await page.$$eval("#transcript li.msg", (l) => l.map((x) => (x as HTMLElement).dataset.source))).toEqual(rows.map(() => "imported"));
      expect(await page.$$eval("#transcript li.msg .text", (l) => l.map((x) => x.textContent))).toEqual(rows.map(([, t]) => t));
      expect(await page.$$eval("#transcript img, #transcript b", (x) => x.length)).toBe(0); // a row's HTML is text
      for (const meta of await cells(page, "#transcript li.msg > .meta")) expect(meta).toMatch(/: imported, no tokens or speed$/);
      expect(await page.$('#analysis [data-table="agents"] table')).not.toBeNull();
      expect(await page.$("#stop")).toBeNull();
      expect(await page.$('a[href$="?live=1"]')).toBeNull();
      expect(dialogs).toEqual([]);
    } finally {
      await served.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
