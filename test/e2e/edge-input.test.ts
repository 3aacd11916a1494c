/**
 * Edge input a user can give: over-long messages are cut to limits.max_message_chars and marked
 * truncated; any Unicode in the scenario survives Redis, the transcript and the exports.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { cliEnv, runCli } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { idFrom } from "../helpers/runs.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});
const FAST = ["--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"];

describe("edge input", () => {
  it("messages longer than limits.max_message_chars are cut and marked truncated", async () => {
    const prefix = freshPrefix();
    const r = await runCli(["run", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, "--set", "limits.max_message_chars=25", ...FAST], cliEnv(testRedisUrl()));
    expect(r.code, r.stderr).toBe(0);
    const msgs = await new Store(redis, prefix).readLog(idFrom(r.stderr));
    expect(msgs).toHaveLength(2);
    for (const m of msgs) {
      expect(m.content.message.length).toBe(25);
      expect(m.metadata.truncated).toBe(true);
    }
    expect(r.stdout).toContain("[truncated]");
  }, 60_000);

  it("any Unicode in the scenario goes through Redis, the transcript and the JSON export unchanged", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "dialogue-unicode-"));
    const title = "Ünïcödé — 会议 🚀 «débat» עברית";
    const file = path.join(dir, "unicode.json");
    writeFileSync(
      file,
      JSON.stringify({
        scenario: { title, premise: "Zwei Menschen 🤝 besprechen 東京 und Ελλάδα.", setting: "Ein Café ☕ in Kraków." },
        agents: [
          { id: "a", role: "Reisende 🧳", goal: "herausfinden, was sehenswert ist ✨" },
          { id: "b", role: "地元の人", goal: "お気に入りの場所を紹介する" },
        ],
      }),
    );
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const r = await runCli(["run", "--config", file, "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, ...FAST], env);
    expect(r.code, r.stderr).toBe(0);
    const id = idFrom(r.stderr);
    const rec = (await new Store(redis, prefix).get(id))!;
    expect(rec.spec.scenario.title).toBe(title);
    expect(rec.story?.characters.map((c) => c.role)).toEqual(["Reisende 🧳", "地元の人"]);
    const show = await runCli(["show", id, "--prefix", prefix], env);
    expect(show.stdout).toContain(title);
    expect(show.stdout).toContain("地元の人");
    const exported = await runCli(["export", id, "--format", "json", "--prefix", prefix], env);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain(title);
    expect(JSON.stringify(JSON.parse(exported.stdout))).toContain("Reisende 🧳");
  }, 60_000);
});
