/**
 * Conversations of any shape, end to end with the real CLI and its processes: 2 to 8 agents, the
 * four turn orders (each choice recorded on the turn and the same for the same seed), a manager
 * killed three times mid-run without a turn recorded twice or the speaker sequence changing, the
 * limits for N speakers, and the one-line errors for a cast that cannot be.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DialogMessage } from "../../src/protocol/schemas.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { startFakeOllama } from "../helpers/fake-ollama.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { idFrom } from "../helpers/runs.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

const FULL_SPEED = ["--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"];
const env = () => cliEnv(testRedisUrl());

async function run(args: string[], expectCode = 0) {
  const prefix = freshPrefix();
  const r = await runCli(["run", "--provider", "simulated", "--plain", "--prefix", prefix, ...FULL_SPEED, ...args], env(), 120_000);
  expect(r.code, r.stderr).toBe(expectCode);
  const id = idFrom(r.stderr);
  const store = new Store(redis, prefix);
  return { r, id, prefix, store, rec: (await store.get(id))!, msgs: await store.readLog(id) };
}

const speakers = (msgs: DialogMessage[]): string[] => msgs.map((m) => m.metadata.agent_id);

function noneTwiceInARow(seq: string[]): void {
  for (let i = 1; i < seq.length; i++) expect(seq[i], `turns ${i} and ${i + 1}`).not.toBe(seq[i - 1]);
}

describe("a 4-agent scenario", () => {
  it.each(["round_robin", "random"])("--turn-order %s: 12 messages, every agent speaks, nobody twice in a row, each agent's turns from its own pool's worker", async (order) => {
    const { msgs, rec, r } = await run(["--scenario", "panel", "--turn-order", order, "--max-turns", "12"]);
    expect(rec.spec.agents.map((a) => a.id)).toEqual(["host", "head", "researcher", "parent"]);
    expect(rec.spec.turn_order).toBe(order);
    expect(msgs).toHaveLength(12);
    const seq = speakers(msgs);
    expect(new Set(seq)).toEqual(new Set(["host", "head", "researcher", "parent"]));
    noneTwiceInARow(seq);
    if (order === "random") for (let r = 0; r < 3; r++) expect(new Set(seq.slice(4 * r, 4 * r + 4)).size, `round ${r + 1}`).toBe(4);
    if (order === "round_robin") expect(seq).toEqual(["host", "head", "researcher", "parent", "host", "head", "researcher", "parent", "host", "head", "researcher", "parent"]);
    // one worker process per pool: an agent's turns all come from one pid, and no two agents share one
    const pids = new Map<string, Set<number>>();
    for (const m of msgs) pids.set(m.metadata.agent_id, (pids.get(m.metadata.agent_id) ?? new Set()).add(m.metadata.worker.pid));
    for (const set of pids.values()) expect(set.size).toBe(1);
    expect(new Set([...pids.values()].map((s) => [...s][0])).size).toBe(4);
    // every turn says why its speaker spoke, and the personas name their agents
    for (const m of msgs.slice(1)) expect(m.metadata.turn_choice?.how).toBe(order);
    expect(msgs[0]!.metadata.turn_choice?.how).toBe(order === "random" ? "random" : "first");
    expect(rec.personas?.map((p) => p.agent_id)).toEqual(["host", "head", "researcher", "parent"]);
    expect(r.stdout).toContain("Ended: completed (max_turns) · 12 turns");
  }, 120_000);

  it("random: the same seed gives the same speaker sequence; another seed another", async () => {
    const a = await run(["--scenario", "panel", "--turn-order", "random", "--max-turns", "10", "--seed", "11"]);
    const b = await run(["--scenario", "panel", "--turn-order", "random", "--max-turns", "10", "--seed", "11"]);
    const c = await run(["--scenario", "panel", "--turn-order", "random", "--max-turns", "10", "--seed", "12"]);
    expect(speakers(a.msgs)).toEqual(speakers(b.msgs));
    expect(speakers(c.msgs)).not.toEqual(speakers(a.msgs));
    expect(a.msgs[1]!.metadata.turn_choice?.reason).toMatch(/^drawn at random \(seed 11\) from those who have not spoken in round 1: /);
    expect(a.msgs[4]!.metadata.turn_choice?.reason).toMatch(/^round 2 opens: drawn at random \(seed 11\) from everyone but .+, who spoke last$/);
    // rounds of four: each agent once a round
    expect(a.msgs.map((m) => m.metadata.turn_choice?.round)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3]);
    for (const r of [1, 2]) expect(new Set(a.msgs.filter((m) => m.metadata.turn_choice?.round === r).map((m) => m.metadata.agent_id)).size).toBe(4);
  }, 120_000);
});

describe("moderator and addressed", () => {
  it("moderator: every message carries the manager's choice and its one-line reason; the same seed, the same speakers", async () => {
    const a = await run(["--scenario", "panel", "--max-turns", "8", "--seed", "5"]);
    const b = await run(["--scenario", "panel", "--max-turns", "8", "--seed", "5"]);
    expect(a.rec.spec.turn_order).toBe("moderator");
    for (const m of a.msgs.slice(1)) {
      expect(m.metadata.turn_choice).toMatchObject({ how: "moderator", by: "manager (simulated/simulated-1)" });
      expect(m.metadata.turn_choice?.reason).toMatch(/^\[simulated moderator\] .+/);
      expect(m.metadata.turn_choice?.reason).not.toContain("\n");
    }
    expect(speakers(a.msgs)).toEqual(speakers(b.msgs));
    noneTwiceInARow(speakers(a.msgs));
    expect(a.r.stdout).toMatch(/chosen \(moderator\): \[simulated moderator\]/);
  }, 120_000);

  it("addressed: each reply names who answers, and that agent speaks next; the same seed, the same speakers", async () => {
    const args = ["--scenario", "town-hall", "--turn-order", "addressed", "--max-turns", "10", "--seed", "9"];
    const a = await run(args);
    const b = await run(args);
    expect(speakers(a.msgs)).toEqual(speakers(b.msgs));
    for (let i = 1; i < a.msgs.length; i++) {
      const named = a.msgs[i - 1]!.content.next_speaker;
      expect(named, `turn ${i} names someone`).toBeDefined();
      expect(a.msgs[i]!.metadata.agent_id).toBe(named);
      expect(a.msgs[i]!.metadata.turn_choice).toMatchObject({ how: "addressed", by: a.msgs[i - 1]!.metadata.agent_id });
    }
    noneTwiceInARow(speakers(a.msgs));
  }, 120_000);

  it("addressed: an agent told to address a named agent makes that agent the next speaker", async () => {
    const { msgs } = await run(["--scenario", "town-hall", "--turn-order", "addressed", "--max-turns", "6", "--set", "agents.0.options.address=resident"]);
    const chair = msgs.filter((m) => m.metadata.agent_id === "chair");
    expect(chair.length).toBeGreaterThan(0);
    for (const m of chair) {
      const next = msgs.find((x) => x.metadata.sequence_number === m.metadata.sequence_number + 1);
      if (!next) continue;
      expect(m.content.next_speaker).toBe("resident");
      expect(next.metadata.agent_id).toBe("resident");
      expect(next.metadata.turn_choice?.reason).toMatch(/named .+ \(resident\) to answer/);
    }
  }, 120_000);

  it("addressed: a reply that names no one, or someone who is not another agent, falls back to round robin and says why", async () => {
    const ollama = await startFakeOllama({ models: ["llama3.2:latest"] });
    try {
      const reply = (text: string, next?: string) => ({
        kind: "reply" as const,
        pieces: [JSON.stringify({ message: text, sentiment: 0, references: [], end_conversation: false, ...(next === undefined ? {} : { next_speaker: next }) })],
      });
      ollama.script = [reply("Who knows the way?", "ghost"), reply("I do.", "chair"), reply("Anyone else?"), reply("Me.", "officer")];
      ollama.fallback = reply("Fine.");
      const prefix = freshPrefix();
      const r = await runCli(
        ["run", "--scenario", "town-hall", "--set", "provider=ollama", "--set", "model=llama3.2", "--set", "manager.provider=simulated", "--turn-order", "addressed", "--max-turns", "4", "--plain", "--prefix", prefix],
        cliEnv(testRedisUrl(), { OLLAMA_HOST: ollama.url }),
        90_000,
      );
      expect(r.code, r.stderr).toBe(0);
      const msgs = await new Store(redis, prefix).readLog(idFrom(r.stderr));
      expect(speakers(msgs)).toEqual(["chair", "officer", "chair", "officer"]);
      expect(msgs[1]!.metadata.turn_choice).toMatchObject({ how: "round_robin", by: "manager" });
      expect(msgs[1]!.metadata.turn_choice?.reason).toMatch(/named "ghost", who is not another agent; round robin: after /);
      expect(msgs[2]!.metadata.turn_choice).toMatchObject({ how: "addressed", by: "officer" });
      expect(msgs[3]!.metadata.turn_choice?.reason).toMatch(/named no one to answer \(next_speaker\); round robin: after /);
      // the model was asked for next_speaker among the others
      const chat = ollama.requests.find((q) => q.path === "/api/chat" && JSON.stringify(q.body.format).includes("next_speaker"));
      expect(chat).toBeDefined();
    } finally {
      await ollama.close();
    }
  }, 120_000);
});

describe("a manager killed three times", () => {
  it("4 agents, random order: every turn recorded once, and the speaker sequence of an uninterrupted run with the same seed", async () => {
    const reference = await run(["--scenario", "panel", "--turn-order", "random", "--seed", "21", "--max-turns", "14"]);

    const prefix = freshPrefix();
    const common = ["--prefix", prefix, "--set", "queues.lock_duration_ms=2000", "--set", "queues.stalled_interval_ms=500", "--set", "simulated.tokens_per_second=40", "--set", "simulated.time_to_first_token_ms=0"];
    const store = new Store(redis, prefix);
    let manager = startCli(["manager", ...common], env());
    const workers = ["host", "head", "researcher", "parent"].map((pool) => startCli(["worker", "--pool", pool, ...common], env()));
    await waitFor("processes ready", async () => [manager, ...workers].every((p) => /ready/.test(p.err())), 30_000);
    const launcher = startCli(["run", "--no-spawn", "--scenario", "panel", "--provider", "simulated", "--turn-order", "random", "--seed", "21", "--max-turns", "14", "--duration", "600", "--plain", ...common], env());
    const id = await waitFor("the conversation", async () => (await store.listIds())[0]);
    for (const after of [2, 6, 10]) {
      await waitFor(`turn ${after}`, async () => ((await store.get(id))?.turns ?? 0) >= after, 60_000);
      manager.kill("SIGKILL");
      await exited(manager);
      await new Promise((r) => setTimeout(r, 700)); // responses wait in their queue meanwhile
      manager = startCli(["manager", ...common], env());
    }
    const { code } = await exited(launcher, 120_000);
    expect(code, launcher.err()).toBe(0);
    const msgs = await store.readLog(id);
    expect(msgs.map((m) => m.metadata.sequence_number)).toEqual(msgs.map((_, i) => i + 1));
    expect(msgs).toHaveLength(14);
    expect(speakers(msgs)).toEqual(speakers(reference.msgs));
    for (const p of [manager, ...workers]) p.kill("SIGTERM");
    await Promise.all([manager, ...workers].map((p) => exited(p, 15_000)));
  }, 240_000);
});

describe("limits for N speakers", () => {
  it("loop stop: one of three agents repeating itself ends the run with stop reason loop", async () => {
    // the third agent comes from the scenario's cast: --set reaches it there
    const { rec } = await run(["--agents", "3", "--max-turns", "40", "--set", "cast.0.options.repeat_after_turns=3"]);
    expect(rec.stop_reason).toBe("loop");
  }, 60_000);

  it("token budget and max turns count every agent's turns", async () => {
    const budget = await run(["--agents", "5", "--max-turns", "100", "--max-tokens", "300"]);
    expect(budget.rec.stop_reason).toBe("token_budget");
    expect(budget.rec.tokens_total).toBeGreaterThanOrEqual(300);
    const turns = await run(["--agents", "8", "--max-turns", "9"]);
    expect(turns.msgs).toHaveLength(9);
    expect(new Set(speakers(turns.msgs)).size).toBe(8);
  }, 60_000);

  it("duration: a 5-agent run ends at its deadline with the turn in flight cut", async () => {
    const { rec, msgs } = await run(["--scenario", "town-hall", "--duration", "3", "--max-turns", "100", "--set", "simulated.tokens_per_second=20", "--set", "simulated.time_to_first_token_ms=0"]);
    expect(rec.stop_reason).toBe("duration");
    expect(msgs.at(-1)!.cut).toBe(true);
  }, 60_000);
});

describe("the cast from the command line", () => {
  it("--agents N extends the default cast; --topic is the premise; --models sets each agent's model", async () => {
    const { rec } = await run(["--agents", "4", "--topic", "whether the town needs a night bus", "--models", "simulated-a,simulated:simulated-b,simulated-c,simulated-d", "--max-turns", "4"]);
    expect(rec.spec.agents.map((a) => a.id)).toEqual(["traveller", "local", "owner", "student"]);
    expect(rec.spec.scenario.premise).toBe("whether the town needs a night bus");
    expect(rec.spec.agents.map((a) => a.model.model)).toEqual(["simulated-a", "simulated-b", "simulated-c", "simulated-d"]);
  }, 60_000);

  it.each([
    ["one agent", ["--set", 'agents=[{"id":"a","role":"x"}]'], /agents \(from --set .*\): a conversation has 2 to 8 agents/],
    ["nine agents", ["--set", `agents=${JSON.stringify(Array.from({ length: 9 }, (_, i) => ({ id: `a${i}`, role: "x" })))}`], /agents \(from --set .*\): a conversation has 2 to 8 agents/],
    ["duplicate ids", ["--set", 'agents=[{"id":"a","role":"x"},{"id":"a","role":"y"}]'], /agents\.1\.id: "a" is taken by an earlier agent/],
    ["an unknown turn order", ["--set", "conversation.turn_order=loudest"], /"loudest" is not a turn order: use round_robin, random, addressed or moderator/],
    ["a person as the manager", ["--set", "manager.kind=human"], /manager\.kind \(from --set manager\.kind=human\): the manager writes the story and chooses who speaks: it must be a model/],
    ["the narrator's id for an agent", ["--set", 'agents=[{"id":"narrator","role":"x"},{"id":"b","role":"y"}]'], /"narrator" is the narrator's/],
    ["--models with the wrong count", ["--models", "a,b,c"], /^error: --models names 3 models for 2 agents \(traveller, local\)$/m],
    ["--models with a provider mistyped", ["--models", "Simulated:a,simulated:b"], /^error: --models: "Simulated:a": providers are written in lower case$/m],
    ["--models with a provider misspelt", ["--models", "olama:llama3.2,simulated:b"], /^error: --models: "olama:llama3\.2": unknown provider "olama" \(did you mean ollama\?\)$/m],
    ["--models with two letters of a provider swapped", ["--models", "simulated:a,opneai:gpt-4o-mini"], /^error: --models: "opneai:gpt-4o-mini": unknown provider "opneai" \(did you mean openai\?\)$/m],
    ["--models with no provider before the colon", ["--models", ":x,simulated:b"], /^error: --models: ":x" names no provider before ":"$/m],
    ["--agents 9", ["--agents", "9"], /^error: --agents 9: a conversation has 2 to 8 agents$/m],
    ["--agents 6 with a scenario of five and no cast", ["--scenario", "town-hall", "--agents", "6"], /^error: --agents 6: this scenario has 5 agents in all \(chair, officer, shopkeeper, commuter, resident\)$/m],
    ["--person of an unknown id", ["--person", "ghost"], /^error: --person ghost: no agent has that id$/m],
  ])("%s: one line, exit 2, nothing recorded", async (_what, args, line) => {
    const prefix = freshPrefix();
    const r = await runCli(["run", "--provider", "simulated", "--plain", "--prefix", prefix, ...args], env());
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(line);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^error: /);
    expect(lines.length).toBeLessThanOrEqual(2); // the error, and its hint
    expect(await new Store(redis, prefix).listIds()).toEqual([]);
  });
});
