/**
 * `dialogue serve`'s say endpoint over real HTTP, against the test Redis, with `dialogue run
 * --person` (its manager and workers) as separate processes: the person's answer at their turn is
 * recorded as their message and the model answers it; what cannot be said is refused with its
 * one-line reason (401 without the token, 400 for a bad request, 409 when it is not the time, 404,
 * 413); a narrator's remark is recorded as one; the runs list names the person as a person; the
 * OpenAPI document describes the endpoint from its schema.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { cliEnv, exited, startCli, waitFor } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { startServe, type Served } from "../helpers/serve.js";

const prefix = freshPrefix();
let served: Served;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  served = await startServe(prefix);
}, 30_000);
afterAll(async () => {
  await served?.stop();
  await redis.quit();
});

type Answer = { status: number; body: { error?: string; message: string; as?: string; seq?: number | null; result?: string; problems?: Array<{ path: string }> } };

async function say(id: string, body: unknown, opts: { auth?: boolean; raw?: string } = {}): Promise<Answer> {
  const r = await served.api(`/api/conversations/${id}/say`, {
    method: "POST",
    auth: opts.auth ?? true,
    headers: { "content-type": "application/json" },
    body: opts.raw ?? JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Answer["body"] };
}

describe("dialogue serve: POST /api/conversations/:id/say", () => {
  it("records the person's answer at their turn and the model answers it; refuses with the reason; a narrator's remark is recorded", async () => {
    const store = new Store(redis, prefix);
    const run = startCli(
      ["run", "--provider", "simulated", "--person", "local", "--max-turns", "4", "--plain", "--prefix", prefix, "--set", "simulated.tokens_per_second=15", "--set", "limits.human_turn_seconds=8"],
      cliEnv(testRedisUrl()),
    );
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    const logged = async () => (await store.readLog(id)).length;
    await waitFor("turn 1 under way", async () => (await store.get(id))?.status === "running", 30_000);

    // the runs list says who speaks for each agent: the person is a person, not the model the configuration named
    const listed = (await (await served.api("/api/conversations")).json()) as { conversations: Array<{ id: string; agents: Array<{ id: string; kind: string; provider: string; model: string }> }> };
    expect(listed.conversations.find((c) => c.id === id)?.agents).toEqual([
      expect.objectContaining({ id: "traveller", kind: "model", provider: "simulated" }),
      expect.objectContaining({ id: "local", kind: "human", provider: "human", model: "person" }),
    ]);

    // refused, each with its one-line reason, and nothing said
    const noToken = await say(id, { text: "Hello" }, { auth: false });
    expect(noToken.status).toBe(401);
    expect(noToken.body.error).toBe("unauthorized");
    const early = await say(id, { text: "Hello" });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ error: "conflict" });
    expect(early.body.message).toMatch(/^it is not local's turn \(turn 1 is .+'s\) \(wait for your turn/);
    const asModel = await say(id, { text: "I am the model now", as: "traveller" });
    expect(asModel.status).toBe(400);
    expect(asModel.body.message).toMatch(/^traveller is a model, not a person: it speaks for itself/);
    const stranger = await say(id, { text: "Hi", as: "bob" });
    expect(stranger.status).toBe(400);
    expect(stranger.body.message).toMatch(/^"bob" is not in conversation /);
    const empty = await say(id, { text: "   " });
    expect(empty.status).toBe(400);
    expect(empty.body.message).toMatch(/^there is nothing to say/);
    const notText = await say(id, { text: 42 });
    expect(notText.status).toBe(400);
    expect(notText.body.problems?.map((p) => p.path)).toEqual(["body.text"]);
    const extra = await say(id, { text: "Hi", speaker: "local" });
    expect(extra.status).toBe(400);
    expect((await say(id, null, { raw: "{not json" })).status).toBe(400);
    expect((await say(id, { text: "x".repeat(300_000) })).status).toBe(413);
    expect((await say("20200101-000000-00000", { text: "Hello" })).status).toBe(404);
    expect(await logged()).toBeLessThanOrEqual(1);

    // turn 2 is offered to the person: said over HTTP, recorded as the person's message
    await waitFor("turn 2 offered to the person", async () => {
      const r = await store.get(id);
      return r?.next_choice?.seq === 2 && r.pending_seq === 2 ? true : null;
    }, 30_000, 20);
    const ok = await say(id, { text: "  I know a bakery by the station, the one with the blue door.  " });
    expect(ok.status, ok.body.message).toBe(202);
    expect(ok.body).toEqual({ id, as: "local", seq: 2, result: "queued", message: `said as local (turn 2 of ${id})` });
    await waitFor("turn 2 recorded", async () => (await logged()) >= 2, 10_000);
    const human = (await store.readLog(id))[1]!;
    expect(human.content.message).toBe("I know a bakery by the station, the one with the blue door.");
    expect(human.metadata).toMatchObject({ sequence_number: 2, agent_id: "local", source: "human", provider: "human", tokens_generated: 0, time_to_first_token_ms: null, tokens_per_second: 0 });
    // the same answer again: not the person's turn any more
    const again = await say(id, { text: "And the museum." });
    expect(again.status).toBe(409);

    // a narrator's remark while the model's turn 3 is generated: recorded after it, as a remark
    const remark = await say(id, { as: "narrator", text: "The lights go out." });
    expect(remark.status, remark.body.message).toBe(202);
    expect(remark.body).toMatchObject({ as: "narrator", seq: null, message: `remark queued for ${id}: it is recorded after the turn in flight, before the next one` });

    // the person says nothing at their next turn: it is skipped; the run ends after it (max 4 turns; the remark is not one)
    expect((await exited(run, 90_000)).code, run.err()).toBe(0);
    const log = await store.readLog(id);
    const answer = log[2]!;
    expect(answer.metadata).toMatchObject({ agent_id: "traveller", source: "model" });
    expect(answer.metadata.prompt_turns?.last).toBe(2); // the model's prompt held the person's answer
    const narrator = log.filter((m) => m.metadata.source === "narrator");
    expect(narrator.map((m) => m.content.message)).toEqual(["The lights go out."]);
    expect(narrator[0]!.metadata.sequence_number).toBe(4);
    expect(log.at(-1)).toMatchObject({ skipped: true, metadata: { agent_id: "local", source: "human" } });
    expect(log.filter((m) => m.metadata.source !== "narrator")).toHaveLength(4);

    const late = await say(id, { text: "too late" });
    expect(late.status).toBe(409);
    expect(late.body.message).toMatch(/^conversation .+ has ended \(completed\)/);
    expect((await store.readLog(id)).length).toBe(log.length);
  }, 120_000);

  it("is described in the OpenAPI document, from its schema, as needing the token", async () => {
    const doc = (await (await served.api("/api/openapi.json")).json()) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>; required?: string[] } }> }; responses: Record<string, unknown> }>>;
    };
    const op = doc.paths["/api/conversations/{id}/say"]?.post;
    expect(op).toBeDefined();
    const schema = op!.requestBody!.content["application/json"]!.schema;
    expect(Object.keys(schema.properties).sort()).toEqual(["as", "text", "turn"]);
    expect(schema.required).toEqual(["text"]);
    expect(Object.keys(op!.responses).sort()).toEqual(["202", "400", "401", "404", "409"]);
  });
});
