/**
 * `dialogue run --agents 4 --topic "…" --provider simulated`, end to end with the real CLI and its
 * processes, read as a user reads it: the story is told for four people who meet somewhere to talk
 * about the topic (said inside a sentence), every agent's goal is about the topic, and nobody
 * answers a question put to someone else or greets one who has not spoken. Without --topic, the
 * default scene's premise counts the four, and so does a run of three started over HTTP.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { cliEnv, runCli } from "../helpers/cli.js";
import { answeredForOthers, greetedUnheard } from "../helpers/dialogue-checks.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { idFrom } from "../helpers/runs.js";
import { startServe } from "../helpers/serve.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

const FULL_SPEED = ["--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"];
const TOPIC = "whether the town should build a tram line";

async function run(args: string[]) {
  const prefix = freshPrefix();
  const r = await runCli(["run", "--provider", "simulated", "--plain", "--prefix", prefix, ...FULL_SPEED, ...args], cliEnv(testRedisUrl()), 120_000);
  expect(r.code, r.stderr).toBe(0);
  const id = idFrom(r.stderr);
  const store = new Store(redis, prefix);
  return { r, rec: (await store.get(id))!, msgs: await store.readLog(id) };
}

describe("dialogue run --agents 4 --topic … --provider simulated", () => {
  it.each(["round_robin", "addressed"])("--turn-order %s: a story of four about the topic, goals about it, each question answered only by the one asked", async (order) => {
    const { r, rec, msgs } = await run(["--agents", "4", "--topic", TOPIC, "--turn-order", order, "--max-turns", "12", "--seed", "21"]);
    const out = r.stdout;
    // the story: four people meet in a place to talk about the topic, said inside a sentence
    expect(out).toContain(`Situation: Four people meet to talk about ${TOPIC}.`);
    const setting = /^ {2}Setting: (.*)$/m.exec(out)?.[1] ?? "";
    expect(setting).toMatch(/^A /);
    expect(setting).not.toMatch(/tram|whether/i);
    expect(out).not.toMatch(/\bWhether the town\b|\bNeither of them\b|\bBoth of them\b/);
    expect(out).not.toMatch(/on Whether/);
    // every agent's goal is about the topic, none about the cafe scene's
    expect(rec.personas).toHaveLength(4);
    for (const p of rec.personas!) expect(p.goals[0]).toContain(TOPIC);
    expect(out).not.toMatch(/worth seeing in town|favourite places|cheap and lively/);
    // the talk is about the topic
    const said = msgs.map((m) => ({ speaker: m.speaker, text: m.content.message }));
    expect(said.filter((m) => m.text.includes(TOPIC)).length).toBeGreaterThanOrEqual(3);
    // nobody answers a question put to another, nor greets or thanks one who has not spoken
    const people = rec.personas!.map((p) => p.name);
    expect(answeredForOthers(said, people)).toEqual([]);
    expect(greetedUnheard(said)).toEqual([]);
    // a question names the one it is put to, and that one speaks next
    const first = (name: string) => name.split(" ")[0]!;
    let asked = 0;
    for (let i = 0; i + 1 < said.length; i++) {
      const q = said[i]!.text.split(/(?<=[.!?])\s+/).at(-1)!;
      if (!q.endsWith("?")) continue;
      asked++;
      const named = people.filter((p) => p !== said[i]!.speaker && new RegExp(`\\b${first(p)}\\b`).test(q));
      expect(named, `turn ${i + 1}: "${q}"`).toEqual([said[i + 1]!.speaker]);
      if (order === "addressed") expect(msgs[i]!.content.next_speaker).toBe(rec.personas!.find((p) => p.name === named[0])!.agent_id);
    }
    expect(asked).toBeGreaterThanOrEqual(4);
  }, 120_000);

  it("without --topic, the default scene's premise counts the four taking part", async () => {
    const { r, rec } = await run(["--agents", "4", "--max-turns", "4", "--seed", "21"]);
    expect(rec.spec.scenario.premise).toMatch(/^Four strangers share the last free table/);
    expect(r.stdout).toMatch(/Situation: Four strangers share the last free table/);
    expect(r.stdout).not.toMatch(/Two strangers|\{Count\}/);
  }, 120_000);

  it("a run of three started over HTTP (dialogue serve) with the default scene: three strangers", async () => {
    const prefix = freshPrefix();
    const server = await startServe(prefix);
    try {
      const agents = [{ id: "traveller", role: "curious traveller" }, { id: "local", role: "local resident" }, { id: "owner", role: "cafe owner" }];
      const r = await server.api("/api/conversations", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ provider: "simulated", agents }) });
      expect(r.status).toBe(201);
      const { id } = (await r.json()) as { id: string };
      expect((await new Store(redis, prefix).get(id))!.spec.scenario.premise).toMatch(/^Three strangers share the last free table/);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
