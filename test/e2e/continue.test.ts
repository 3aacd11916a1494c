/**
 * `dialogue run --continue <id>`, end to end: the seed-like recording is imported, then carried on
 * by two agents on an Ollama server (the wire-format fake, which records every prompt) with the
 * manager simulated. The new run's log starts with the 14 recorded messages, marked as copied;
 * 4 new turns follow; the first prompt holds the whole recorded history (the message's
 * prompt_turns, and the prompt the server received); the run names its source in show, list and
 * the analysis, which leaves the history out of its figures.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Analysis } from "../../src/analysis/schema.js";
import type { ConversationRecord } from "../../src/protocol/record.js";
import type { DialogMessage } from "../../src/protocol/schemas.js";
import { cliEnv, ROOT, runCli } from "../helpers/cli.js";
import { startFakeOllama, type FakeOllama } from "../helpers/fake-ollama.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { readFileSync } from "node:fs";

const SEED = path.join(ROOT, "test", "fixtures", "import", "seed.jsonl");
const seed = readFileSync(SEED, "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as { session_id: string; speaker: string; text: string });

let ollama: FakeOllama;
beforeAll(async () => {
  ollama = await startFakeOllama({ models: ["llama3.2:latest"] });
});
afterAll(async () => {
  await ollama.close();
});

function env(): NodeJS.ProcessEnv {
  const e = cliEnv(testRedisUrl(), { OLLAMA_HOST: ollama.url });
  for (const k of ["OPENAI_BASE_URL", "OPENAI_API_KEY"]) delete e[k];
  return e;
}

describe("dialogue run --continue <imported id> --max-turns 4", () => {
  it("records 4 new turns whose first prompt holds the imported history; the new run names its source", async () => {
    const prefix = freshPrefix();
    const imported = await runCli(["import", SEED, "--prefix", prefix], env());
    expect(imported.code, imported.stderr).toBe(0);
    const source = /^ {2}(imp-S-1001-\S+)/m.exec(imported.stdout)?.[1];
    expect(source).toBeTruthy();
    const history = seed.filter((r) => r.session_id === "S-1001");

    const r = await runCli(
      ["run", "--continue", source!, "--max-turns", "4", "--models", "ollama:llama3.2,ollama:llama3.2", "--set", "manager.provider=simulated", "--plain", "--prefix", prefix],
      env(),
      120_000,
    );
    expect(r.code, r.stderr).toBe(0);
    const id = /Continuing imp-S-1001-\S+ \(seed\.jsonl · S-1001\): its 14 messages are the history of (\S+)/.exec(r.stderr)?.[1];
    expect(id, r.stderr).toBeTruthy();
    expect(r.stdout).toContain(`continues ${source} (seed.jsonl · S-1001, imported): its 14 messages copied as the history`);
    // the transcript marks the copied messages [#1]…[#14] and this run's own turns by their numbers, 1 to 4
    const marks = [...r.stdout.matchAll(/^(\[#?\d+\]) \S/gm)].map((m) => m[1]);
    expect(marks).toEqual([...Array.from({ length: 14 }, (_, i) => `[#${i + 1}]`), "[1]", "[2]", "[3]", "[4]"]);

    const shown = await runCli(["show", id!, "--json", "--prefix", prefix], env());
    const { record, messages } = JSON.parse(shown.stdout) as { record: ConversationRecord; messages: DialogMessage[] };
    expect(record.status).toBe("completed");
    expect(record.stop_reason).toBe("max_turns");
    expect(record.turns).toBe(18);
    expect(record.history).toBe(14);
    expect(record.spec.source).toEqual({ kind: "continue", conversation_id: source, status: "imported", title: "seed.jsonl · S-1001", history: 14 });
    expect(record.spec.agents.map((a) => [a.id, a.kind, a.model.provider, a.model.model])).toEqual([
      ["rm", "model", "ollama", "llama3.2"],
      ["customer", "model", "ollama", "llama3.2"],
    ]);

    // the history: the recording, message for message, each saying where it came from
    const copied = messages.slice(0, 14);
    expect(copied.map((m) => m.content.message)).toEqual(history.map((h) => h.text));
    copied.forEach((m, i) => {
      expect(m.metadata.conversation_id).toBe(id);
      expect(m.metadata.copied_from).toEqual({ conversation_id: source, sequence_number: i + 1 });
      expect(m.metadata.source).toBe("imported");
    });
    // the 4 new turns, by the models, in round robin after the recording's last speaker (the customer)
    const fresh = messages.slice(14);
    expect(fresh.map((m) => [m.metadata.sequence_number, m.metadata.agent_id, m.metadata.provider, m.metadata.source])).toEqual([
      [15, "rm", "ollama", "model"],
      [16, "customer", "ollama", "model"],
      [17, "rm", "ollama", "model"],
      [18, "customer", "ollama", "model"],
    ]);
    expect(fresh.every((m) => m.metadata.copied_from === undefined)).toBe(true);
    expect(fresh[0]!.metadata.prompt_turns).toEqual({ first: 1, last: 14, count: 14 });

    // what the server was sent for the first new turn: every recorded message, in order, as the history
    const chats = ollama.requests.filter((q) => q.path === "/api/chat");
    expect(chats).toHaveLength(4);
    const prompt = chats[0]!.body.messages as Array<{ role: string; content: string }>;
    expect(prompt[0]!.role).toBe("system");
    expect(prompt[0]!.content).toContain("This is turn 1 of at most 4.");
    const said = prompt.slice(1).map((m) => m.content).join("\n");
    let at = -1;
    for (const h of history) {
      const here = said.indexOf(h.text, at + 1);
      expect(here, h.text).toBeGreaterThan(at);
      at = here;
    }
    // the rm's own recorded lines are its own turns; the customer's are attributed
    expect(prompt.filter((m) => m.role === "assistant").map((m) => m.content)).toEqual(history.filter((h) => h.speaker === "rm").map((h) => h.text));
    expect(said).toContain(`customer (customer): ${history[1]!.text}`);

    // list and the analysis say where it came from; the history is left out of the figures
    const listed = await runCli(["list", "--prefix", prefix], env());
    expect(listed.stdout).toMatch(new RegExp(`${id}.*completed \\(max_turns\\).*continues ${source}`));
    const a = JSON.parse((await runCli(["analyze", id!, "--json", "--prefix", prefix], env())).stdout) as Analysis;
    expect(a.run.turns).toBe(4);
    expect(a.run.history).toBe(14);
    expect(a.run.source).toEqual({ kind: "continue", file: null, session_id: null, conversation_id: source });
    expect(a.agents.map((g) => g.turns)).toEqual([2, 2]);
    // the personas were read from the transcript by the (simulated) manager
    expect(record.personas?.map((p) => [p.agent_id, p.name])).toEqual([
      ["rm", "rm"],
      ["customer", "customer"],
    ]);
  }, 150_000);

  it("a conversation that is not there, or not an id, is one line and an exit code; nothing is started", async () => {
    const prefix = freshPrefix();
    const missing = await runCli(["run", "--continue", "imp-nope-123", "--provider", "simulated", "--prefix", prefix], env());
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^error: no conversation imp-nope-123 under prefix/);
    const bad = await runCli(["run", "--continue", "../x", "--provider", "simulated", "--prefix", prefix], env());
    expect(bad.code).toBe(2);
    const none = await runCli(["list", "--json", "--prefix", prefix], env());
    expect(none.stdout.trim()).toBe("");
  });
});
