/**
 * Runs recorded before conversations had 2 to 8 agents (and before turn choices, lean requests,
 * message sources and outcome counters) still list, show, analyze, replay, watch and export: a run
 * is written into Redis exactly as the earlier version stored it — the record's hash fields, its
 * spec without turn_order or agent kinds, personas without agent ids, log entries of the earlier
 * message shape — and read with the real CLI.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keys } from "../../src/protocol/keys.js";
import { cliEnv, runCli } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

const ID = "20251120-101500-0ld01";
const T0 = Date.parse("2025-11-20T10:15:00Z");
const model = { provider: "ollama", model: "llama3.2", options: { temperature: 0.7 } };

/** the spec as it was kept before issue 11: exactly two agents, no kind, no turn_order, no seed */
const spec = {
  id: ID,
  created_at: T0,
  scenario: { title: "Refinancing the mortgage", premise: "A homeowner meets her bank advisor." },
  agents: [
    { id: "customer", role: "homeowner", pool: "customer", model, fallback: null },
    { id: "advisor", role: "relationship manager", pool: "advisor", model, fallback: null },
  ],
  manager: model,
  limits: { duration_seconds: 120, max_turns: 4, max_total_tokens: null, max_message_chars: 4000, history_turns: 40, stop_on_loop: true, loop_threshold: 0.6, loop_turns: 3 },
  token_stream_maxlen: 5000,
  context: { strategy: "summarize", reserve_tokens: 512, window_tokens: null },
  config: {},
};
const personas = [
  { name: "Maya Lindqvist", role: "homeowner", traits: ["direct"], goals: ["a lower payment"], speaking_style: "Short sentences." },
  { name: "Tomas Berg", role: "relationship manager", traits: ["patient"], goals: ["keep Maya"], speaking_style: "Calm." },
];
const lines = ["What would a fixed rate cost me?", "About 3.9% for five years, Maya.", "And the fee to switch?", "We would waive it this month."];

/** a message in the shape the earlier version wrote: no source, turn_choice, prompt_turns, failed_attempts, stalled or skipped */
function oldMessage(seq: number): Record<string, unknown> {
  const agent = seq % 2 === 1 ? "customer" : "advisor";
  const p = personas[(seq - 1) % 2]!;
  const started = T0 + 2000 + seq * 3000;
  return {
    message_id: `${ID}.${seq}`,
    queue_timestamp: started + 2100,
    role: p.role,
    speaker: p.name,
    content: { message: lines[seq - 1], sentiment: 0.1, references: [], end_conversation: false },
    cut: false,
    failed: false,
    metadata: {
      conversation_id: ID,
      sequence_number: seq,
      agent_id: agent,
      provider: "ollama",
      model: "llama3.2",
      tokens_generated: 12 + seq,
      prompt_tokens: 200,
      generation_time_ms: 2000,
      time_to_first_token_ms: 150,
      tokens_per_second: 21.5,
      load_time_ms: 0,
      done_reason: "stop",
      worker: { host: "old-host", pid: 4000 + (seq % 2) },
      attempt: 1,
      queue_wait_ms: 5,
      requested_at: started - 5,
      started_at: started,
      finished_at: started + 2000,
      truncated: false,
    },
  };
}

describe("a run recorded by the earlier version", () => {
  it("lists, shows, analyzes, replays, watches and exports", async () => {
    const prefix = freshPrefix();
    const keys = new Keys(prefix);
    await redis.hset(keys.record(ID), {
      spec: JSON.stringify(spec),
      status: "completed",
      phase: "",
      stop_reason: "max_turns",
      error: "",
      story: JSON.stringify({ title: "Refinancing", setting: "A bank branch.", characters: personas.map((p) => ({ name: p.name, role: p.role })), initial_situation: "Maya wants a lower payment." }),
      personas: JSON.stringify(personas),
      started_at: T0 + 2000,
      deadline_at: T0 + 122_000,
      ended_at: T0 + 16_000,
      turns: 4,
      tokens_total: 58,
      pending_seq: "",
    });
    await redis.zadd(keys.index(), T0, ID);
    for (let seq = 1; seq <= 4; seq++) await redis.xadd(keys.log(ID), `${seq}-0`, "m", JSON.stringify(oldMessage(seq)), "t", String(T0 + 5000 + seq * 3000));
    const env = cliEnv(testRedisUrl());
    const cli = (args: string[]) => runCli([...args, "--prefix", prefix], env);

    const list = await cli(["list"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${ID}.*completed \\(max_turns\\).*ollama/llama3\\.2`));

    const show = await cli(["show", ID]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain("[1] Maya Lindqvist (homeowner, ollama/llama3.2):");
    expect(show.stdout).toContain("We would waive it this month.");

    const json = JSON.parse((await cli(["show", ID, "--json"])).stdout) as { record: { spec: { turn_order: string; agents: Array<{ kind: string }> } }; messages: Array<{ metadata: { source: string } }> };
    expect(json.record.spec.turn_order).toBe("round_robin"); // what an earlier run was
    expect(json.record.spec.agents.map((a) => a.kind)).toEqual(["model", "model"]);
    expect(json.messages.every((m) => m.metadata.source === "model")).toBe(true);

    const analysis = await cli(["analyze", ID, "--json"]);
    expect(analysis.code, analysis.stderr).toBe(0);
    const a = JSON.parse(analysis.stdout) as { run: { turns: number; tokens_generated: number }; agents: Array<{ agent_id: string; turns: number }> };
    expect(a.run.turns).toBe(4);
    expect(a.run.tokens_generated).toBe(58);
    expect(a.agents.map((g) => [g.agent_id, g.turns])).toEqual([["customer", 2], ["advisor", 2]]);

    const replay = await cli(["replay", ID, "--speed", "0", "--plain"]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain("And the fee to switch?");

    const watch = await cli(["watch", ID, "--plain"]);
    expect(watch.code, watch.stderr).toBe(0);
    expect(watch.stdout).toContain("About 3.9% for five years, Maya.");

    for (const format of ["md", "html", "json", "jsonl"]) {
      const ex = await cli(["export", ID, "--format", format]);
      expect(ex.code, `${format}: ${ex.stderr}`).toBe(0);
      expect(ex.stdout).toContain("We would waive it this month.");
    }
  }, 90_000);
});
