/**
 * `dialogue show --failed` names a failed turn by its turn number, as every other view does: a
 * narrator's remark before it is a message, not a turn. `--json` keeps the message's sequence
 * number beside it.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DialogMessageSchema } from "../../src/protocol/schemas.js";
import { Store } from "../../src/redis/store.js";
import { makeRemark } from "../helpers/cast.js";
import { cliEnv, runCli } from "../helpers/cli.js";
import { makeMessage, makeRecord } from "../helpers/conversation.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

describe("dialogue show --failed", () => {
  it("names the failed turn by its turn number when a narrator's remark came before it", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const rec = makeRecord();
    const id = rec.spec.id;
    await store.create({ ...rec.spec, id });
    await store.setFields(id, { status: "running", started_at: Date.now() });
    expect(await store.appendMessage(makeMessage(1, "Shall we look at the figures first?"))).toBe(true);
    expect(await store.appendMessage(makeRemark(2, "The lights flicker."))).toBe(true);
    // turn 2 (message 3): its reply unusable twice, recorded failed
    const failed = DialogMessageSchema.parse({ ...makeMessage(3, "…"), failed: true, error: "the reply is not JSON (Unexpected token) twice", content: { message: "" } });
    expect(await store.appendMessage(failed)).toBe(true);

    const env = cliEnv(testRedisUrl());
    const text = await runCli(["show", id, "--failed", "--prefix", prefix], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/message \S+\.3 {2}turn 2 \(customer\), 1 attempt: /);
    expect(text.stdout).not.toMatch(/turn 3 \(/);
    const json = await runCli(["show", id, "--failed", "--json", "--prefix", prefix], env);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject([{ queue: "log", turn: 2, seq: 3, agent_id: "customer" }]);
  });
});
