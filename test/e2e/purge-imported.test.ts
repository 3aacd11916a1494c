/**
 * An imported conversation's age counts from when it was imported, not from its rows' own times:
 * with the real CLI, call logs dated 60 days ago imported a moment ago are kept by
 * `purge --older-than 7d --yes` (the cron of `purge --help`) and listed by `list --since 1h`,
 * while a run that really finished long ago is purged, and so is a conversation imported long ago.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConversationSpec } from "../../src/protocol/record.js";
import { Store } from "../../src/redis/store.js";
import { loadFixture } from "../helpers/fixtures.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { cli } from "../helpers/runs.js";

const DAY = 86_400_000;

let dir: string;
let redis: Redis;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "dialogue-purge-imported-"));
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

/** a JSONL of `sessions` two-speaker calls, each of 4 rows a minute apart, the first at `at` */
function callLog(name: string, at: number, sessions: string[]): string {
  const file = path.join(dir, name);
  const rows = sessions.flatMap((s, k) =>
    [0, 1, 2, 3].map((i) => JSON.stringify({ session_id: s, timestamp: new Date(at + k * 3_600_000 + i * 60_000).toISOString(), speaker: i % 2 ? "customer" : "agent", text: `${s} line ${i + 1}` })),
  );
  writeFileSync(file, `${rows.join("\n")}\n`);
  return file;
}

/** a finished run created `ageMs` ago, straight into the store (as test/e2e/purge.test.ts seeds one) */
async function seedRun(store: Store, id: string, ageMs: number): Promise<void> {
  const fx = loadFixture("healthy");
  await store.create({ ...fx.record.spec, id, created_at: Date.now() - ageMs });
  for (const m of fx.messages) await store.appendMessage({ ...m, metadata: { ...m.metadata, conversation_id: id } });
  await store.finalize(id, "max_turns");
}

/** `dialogue import <file>`: the ids it imported */
async function importFile(prefix: string, file: string): Promise<string[]> {
  const r = await cli(prefix, ["import", file]);
  expect(r.code, r.stderr).toBe(0);
  return [...r.stdout.matchAll(/^ {2}(imp-\S+)\s+session/gm)].map((m) => m[1] as string);
}

/** the ids `dialogue list --json` shows, in its order */
async function listed(prefix: string, args: string[] = []): Promise<string[]> {
  const r = await cli(prefix, ["list", "--json", "--limit", "100", ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim() ? r.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { id: string }).id) : [];
}

/** makes conversation `id` one imported `ageMs` ago: its record's spec and its entry in the imported index */
async function importedAgo(store: Store, id: string, ageMs: number): Promise<void> {
  const spec = JSON.parse((await redis.hget(store.keys.record(id), "spec")) as string) as ConversationSpec;
  if (spec.source?.kind !== "import") throw new Error(`${id} is not imported`);
  spec.source.imported_at = Date.now() - ageMs;
  await redis.hset(store.keys.record(id), "spec", JSON.stringify(spec));
  await redis.zadd(store.keys.imported(), spec.source.imported_at, id);
}

describe("purge --older-than and list --since: an imported conversation's age counts from its import", () => {
  it("rows dated 60 days ago, imported just now: purge --older-than 7d --yes keeps them and purges a run that finished 10 days ago", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    await seedRun(store, "old-run", 10 * DAY);
    await seedRun(store, "new-run", 60_000);
    const imported = await importFile(prefix, callLog("calls.jsonl", Date.now() - 60 * DAY, ["call-1", "call-2"]));
    expect(imported).toHaveLength(2);

    const r = await cli(prefix, ["purge", "--older-than", "7d", "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`purged 1 conversation under prefix "${prefix}"`);
    expect((await store.listIds(100)).sort()).toEqual([...imported, "new-run"].sort());
    for (const id of imported) expect((await store.get(id))?.status).toBe("imported");
    expect(await store.get("old-run")).toBeNull();

    // again: nothing is old enough
    const again = await cli(prefix, ["purge", "--older-than", "7d", "--yes"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("no finished conversation");
    expect((await store.listIds(100)).sort()).toEqual([...imported, "new-run"].sort());
  }, 60_000);

  it("list --since 1h --status imported shows what an import just brought in; list --since lists runs first, then imports by their own time", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    await seedRun(store, "old-run", 10 * DAY);
    await seedRun(store, "new-run", 60_000);
    const imported = await importFile(prefix, callLog("calls.jsonl", Date.now() - 60 * DAY, ["early", "later"]));
    expect(imported).toHaveLength(2);
    const [early, later] = ["early", "later"].map((s) => imported.find((id) => id.startsWith(`imp-${s}-`)) as string);
    // newest own time first: the later call's first row is an hour after the early one's
    const byRows = [later, early];

    expect((await listed(prefix, ["--since", "1h", "--status", "imported"])).sort()).toEqual([...imported].sort());
    expect(await listed(prefix, ["--since", "1h"])).toEqual(["new-run", ...byRows]);
    // the table shows each one's own time: the first row's, 60 days back
    const table = await cli(prefix, ["list", "--since", "1h", "--status", "imported"]);
    expect(table.stdout).toContain(new Date(Date.now() - 60 * DAY).toISOString().slice(0, 10));
    // the run from 10 days ago is not since 1h, nor since 7d; the imports are
    expect(await listed(prefix, ["--since", "7d"])).toEqual(["new-run", ...byRows]);
    // an import an hour and a half ago is not since 1h, but is since 2h
    await importedAgo(store, early!, 90 * 60_000);
    expect(await listed(prefix, ["--since", "1h", "--status", "imported"])).toEqual([later]);
    expect((await listed(prefix, ["--since", "2h", "--status", "imported"])).sort()).toEqual([...imported].sort());
  }, 60_000);

  it("a conversation imported 10 days ago is purged by --older-than 7d, whatever its rows' dates, and leaves no index entry", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const [past] = await importFile(prefix, callLog("past.jsonl", Date.now() - 60 * DAY, ["past"]));
    // rows dated after the import (a recorder's clock ahead): found by when it was imported
    const [ahead] = await importFile(prefix, callLog("ahead.jsonl", Date.now() + 30 * DAY, ["ahead"]));
    const [fresh] = await importFile(prefix, callLog("fresh.jsonl", Date.now() - 60 * DAY, ["fresh"]));
    await importedAgo(store, past!, 10 * DAY);
    await importedAgo(store, ahead!, 10 * DAY);

    const r = await cli(prefix, ["purge", "--older-than", "7d", "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`purged 2 conversations under prefix "${prefix}"`);
    expect(await store.listIds(100)).toEqual([fresh]);
    expect(await redis.zrange(store.keys.imported(), "0", "-1")).toEqual([fresh]);
    for (const id of [past!, ahead!]) for (const k of store.keys.conversationKeys(id)) expect(await redis.exists(k)).toBe(0);
  }, 60_000);

  it("an import recorded before the imported index (no entry there) is judged by its record: kept while recent", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const [id] = await importFile(prefix, callLog("calls.jsonl", Date.now() - 60 * DAY, ["legacy"]));
    await redis.zrem(store.keys.imported(), id!);
    const r = await cli(prefix, ["purge", "--older-than", "7d", "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("no finished conversation");
    expect(await store.listIds(100)).toEqual([id]);
  }, 60_000);
});
