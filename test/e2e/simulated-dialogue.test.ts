/**
 * A simulated run through the real CLI, manager and workers reads as a conversation about its
 * story, and is reproducible: the same --seed and configuration give the same text and token
 * counts in two runs (two conversation ids); its plain output says SIMULATED in its header.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { answersToQuestions, daypartOf, repeatedSentences, strangers } from "../helpers/dialogue-checks.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { simulatedRun } from "../helpers/runs.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

const ZERO = ["--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"];

describe("dialogue run --provider simulated --seed 11 --max-turns 20", () => {
  it("answers each question, repeats no sentence, names only the story's people and ends on its time of day; twice the same", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const args = ["--scenario", "mortgage-refinance", "--seed", "11", "--max-turns", "20", ...ZERO];
    const first = await simulatedRun(prefix, args);
    const second = await simulatedRun(prefix, args);
    expect(second.id).not.toBe(first.id);

    const rec = (await store.get(first.id))!;
    const messages = await store.readLog(first.id);
    expect(messages).toHaveLength(20);
    const run = messages.map((m) => ({ speaker: m.speaker, text: m.content.message }));
    const names = rec.personas!.flatMap((p) => p.name.split(" "));
    const qa = answersToQuestions(run, names);
    expect(qa.length).toBeGreaterThanOrEqual(5);
    expect(qa.filter((x) => !x.answered)).toEqual([]);
    expect(repeatedSentences(run)).toEqual([]);
    expect(strangers(run, rec.story!)).toEqual([]);
    expect(run.at(-1)!.text).toContain(daypartOf(rec.story!)!);

    // reproducible: the same text and token counts from the same seed, in another conversation
    const again = await store.readLog(second.id);
    expect(again.map((m) => [m.speaker, m.content.message, m.metadata.tokens_generated])).toEqual(
      messages.map((m) => [m.speaker, m.content.message, m.metadata.tokens_generated]),
    );

    // the plain output says what it is, once, in its header
    expect(first.stdout.split("\n")[0]).toMatch(/^Conversation \S+ — Refinancing the mortgage · SIMULATED \(no model: scripted text\)$/);
  }, 120_000);
});
