/**
 * A person in the conversation, in a real terminal (tmux) with the real CLI and its manager and
 * worker processes: at the person's turn the TUI shows the input line, and what is typed there is
 * recorded as that agent's message, marked human, and answered by the models (whose next prompt
 * holds it); `dialogue say` from another process does the same while the TUI runs, and so does
 * the input line of `dialogue watch` in a second terminal; an unanswered turn is skipped after
 * limits.human_turn_seconds with the reason recorded and shown; and `dialogue say --as narrator`
 * during an all-model run is shown in the transcript (TUI and plain) and is in the next prompt —
 * the request body the Ollama wire-format server received.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DialogMessage } from "../../src/protocol/schemas.js";
import { Store } from "../../src/redis/store.js";
import { cliEnv, runCli, waitFor } from "../helpers/cli.js";
import { startFakeOllama } from "../helpers/fake-ollama.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { dialogueCommand, hasTmux, Tmux } from "../helpers/tmux.js";

let redis: Redis;
let dir: string;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
  dir = mkdtempSync(path.join(tmpdir(), "dialogue-person-"));
});
afterAll(async () => {
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

const flat = (s: string): string => s.replace(/\s+/g, " ");

/** `dialogue run` with `local` a person (the default scenario: the traveller, a model, opens; the local answers) */
function personRun(name: string, prefix: string, extra: string[] = []) {
  const tmux = new Tmux(cliEnv(testRedisUrl()));
  const args = ["run", "--person", "local", "--provider", "simulated", "--prefix", prefix, "--set", "simulated.tokens_per_second=60", ...extra];
  const run = tmux.start(name, dialogueCommand(args), { width: 80, height: 24 });
  return { tmux, run };
}

async function conversation(store: Store): Promise<string> {
  return waitFor("the conversation", async () => (await store.listIds())[0], 30_000);
}

/** the person's turn recorded as typed: their agent, marked human, no model figures */
function expectTyped(m: DialogMessage | undefined, text: string): void {
  expect(m).toBeDefined();
  expect(m!.metadata.agent_id).toBe("local");
  expect(m!.content.message).toBe(text);
  expect(m!.metadata.source).toBe("human");
  expect(m!.metadata.provider).toBe("human");
  expect(m!.metadata.tokens_generated).toBe(0);
  expect(m!.metadata.tokens_per_second).toBe(0);
  expect(m!.metadata.time_to_first_token_ms).toBeNull();
  expect(m!.skipped).toBe(false);
}

/** a model's turn after `seq` whose prompt held turn `seq` */
function expectAnswered(messages: DialogMessage[], seq: number): DialogMessage {
  const next = messages.find((m) => m.metadata.sequence_number > seq && m.metadata.source === "model");
  expect(next, `a model's turn after ${seq}`).toBeDefined();
  const held = next!.metadata.prompt_turns;
  expect(held, "prompt_turns").toBeDefined();
  expect(held!.first).not.toBeNull();
  expect(held!.first!).toBeLessThanOrEqual(seq);
  expect(held!.last!).toBeGreaterThanOrEqual(seq);
  return next!;
}

describe.skipIf(!hasTmux())("a person in the conversation", () => {
  it("at the person's turn the TUI shows the input line; what is typed is recorded as theirs, marked human, and the model answers it", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const { tmux, run } = personRun("a", prefix, ["--max-turns", "3"]);
    const id = await conversation(store);

    const prompt = await tmux.until(run, "the input line", (s) => s.includes("Your turn, "), 60_000);
    expect(prompt).toMatch(/▍.+ · local · turn 2 · a person · \d+ s left/);
    expect(prompt).toMatch(/Your turn, .+ — type and press Enter; Esc: back to the keys/);
    expect(prompt).toContain("Enter send · Esc keys · Ctrl-C stop");
    // q and s are typed into the line, not taken as keys
    const said = "qs: I would start at the old station, then the river walk.";
    tmux.keys(run, "-l", said);
    await tmux.until(run, "what is typed", (s) => flat(s).includes(`› ${said}`));
    expect((await store.get(id))!.status).toBe("running");
    tmux.keys(run, "Enter");

    const end = await tmux.until(run, "the end", (s) => s.includes("[exit 0]"), 60_000);
    expect(end).toContain("Ended: completed (max_turns) · 3 turns");
    const messages = await store.readLog(id);
    expect(messages.map((m) => m.metadata.agent_id)).toEqual(["traveller", "local", "traveller"]);
    expectTyped(messages[1], said);
    const answer = expectAnswered(messages, 2);
    expect(answer.metadata.agent_id).toBe("traveller");
    // the transcript shows it as typed by a person, with no model figures
    const history = tmux.capture(run, { history: true });
    const block = history.slice(history.indexOf("· local · turn 2 · a person"), history.indexOf("· traveller · turn 3"));
    expect(flat(block)).toContain(flat(said));
    expect(block).toMatch(/typed by a person · \d+\.\d s after the turn was offered/);
    expect(block).not.toMatch(/tok\/s|ttft/);
    tmux.kill();
  }, 120_000);

  it("dialogue say from another process answers while the TUI runs, and a second terminal's dialogue watch offers the same line", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const env = cliEnv(testRedisUrl());
    const { tmux, run } = personRun("b", prefix, ["--max-turns", "5"]);
    const id = await conversation(store);
    const watch = tmux.window("b", dialogueCommand(["watch", id, "--prefix", prefix]));

    await tmux.until(run, "the input line", (s) => s.includes("Your turn, "), 60_000);
    // the watcher is offered the line, not put into it: its keys stay its own
    const offered = await tmux.until(watch, "the line offered in watch", (s) => s.includes("Enter: answer as ") && s.includes("Enter answer · q detach"), 30_000);
    expect(offered).toContain(`    dialogue say ${id} --turn 2 --prefix ${prefix} "…"`); // the whole id, on a row of its own, with the run's prefix
    const fromShell = "Said from a second terminal: take the tram to the harbour.";
    const r = await runCli(["say", id, fromShell, "--prefix", prefix], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`said as local (turn 2 of ${id})`);
    await tmux.until(run, "the said message in the TUI", (s) => flat(s).includes(flat(fromShell).slice(0, 40)), 30_000);

    // turn 4 is the person's again: answered from the watcher's input line this time
    await tmux.until(watch, "turn 4 offered in watch", (s) => /· local · turn 4 · a person/.test(s) && s.includes("Enter: answer as "), 60_000);
    tmux.keys(watch, "Enter");
    await tmux.until(watch, "the line open in watch", (s) => s.includes("Your turn, ") && s.includes("Ctrl-C detach"));
    const fromWatch = "Typed in dialogue watch.";
    tmux.keys(watch, "-l", fromWatch);
    tmux.keys(watch, "Enter");

    await tmux.until(run, "the end", (s) => s.includes("[exit 0]"), 60_000);
    await tmux.until(watch, "the watcher at the end", (s) => s.includes("[exit 0]"), 30_000);
    const messages = await store.readLog(id);
    expect(messages.map((m) => m.metadata.agent_id)).toEqual(["traveller", "local", "traveller", "local", "traveller"]);
    expectTyped(messages[1], fromShell);
    expectTyped(messages[3], fromWatch);
    expectAnswered(messages, 2);
    expectAnswered(messages, 4);
    // both terminals show both answers
    for (const t of [run, watch]) {
      const h = flat(tmux.capture(t, { history: true }));
      expect(h).toContain(flat(fromShell).slice(0, 40));
      expect(h).toContain(fromWatch);
    }
    tmux.kill();
  }, 150_000);

  it("an unanswered turn is skipped after limits.human_turn_seconds, with the reason recorded and shown", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const { tmux, run } = personRun("c", prefix, ["--max-turns", "3", "--set", "limits.human_turn_seconds=3"]);
    const id = await conversation(store);
    const counting = await tmux.until(run, "the countdown", (s) => /· a person · [1-3] s left/.test(s), 60_000);
    expect(counting).toContain("Your turn, ");
    const end = await tmux.until(run, "the end", (s) => s.includes("[exit 0]"), 60_000);
    expect(end).toContain("Ended: completed (max_turns) · 3 turns");
    const messages = await store.readLog(id);
    const skipped = messages[1]!;
    expect(skipped.metadata.agent_id).toBe("local");
    expect(skipped.skipped).toBe(true);
    expect(skipped.note).toBe("no answer within 3 s (limits.human_turn_seconds): the turn was skipped");
    expect(skipped.content.message).toBe("");
    expect(skipped.metadata.source).toBe("human");
    expect(skipped.metadata.generation_time_ms).toBeGreaterThanOrEqual(3000);
    expect(messages[2]!.metadata.agent_id).toBe("traveller"); // the conversation went on
    const history = flat(tmux.capture(run, { history: true }));
    expect(history).toMatch(/· local · turn 2 · a person \[skipped\]/);
    expect(history).toContain("no answer within 3 s (limits.human_turn_seconds): the turn was skipped");
    // and the plain transcript says so too
    const show = await runCli(["show", id, "--prefix", prefix], cliEnv(testRedisUrl()));
    expect(show.stdout).toMatch(/\[2\] .+ \(local resident, a person\) \[skipped\]:\n {4}\(no answer within 3 s/);
    tmux.kill();
  }, 120_000);

  it("dialogue say --as narrator during an all-model run is in the transcript (TUI and plain), and the next prompt holds it", async () => {
    const ollama = await startFakeOllama({ models: ["llama3.2:latest"] });
    try {
      const reply = (text: string): string[] => [`{"message": "${text.slice(0, 10)}`, `${text.slice(10)}", "sentiment": 0.1, `, `"references": [], `, `"end_conversation": false}`];
      // each turn takes about two seconds to stream, so there is time to speak in the middle of one
      ollama.fallback = { kind: "reply", pieces: reply("We should ask the council about the timetable."), delayMs: 500 };
      const file = path.join(dir, "three.json");
      writeFileSync(
        file,
        JSON.stringify({
          agents: [
            { id: "a", role: "shop owner", provider: "ollama", model: "llama3.2" },
            { id: "b", role: "bus driver", provider: "ollama", model: "llama3.2" },
            { id: "c", role: "student", provider: "ollama", model: "llama3.2" },
          ],
          manager: { provider: "simulated" },
          limits: { max_turns: 3, duration_seconds: 120 },
        }),
      );
      const prefix = freshPrefix();
      const store = new Store(redis, prefix);
      const env = cliEnv(testRedisUrl(), { OLLAMA_HOST: ollama.url });
      const tmux = new Tmux(env);
      const run = tmux.start("d", dialogueCommand(["run", "--config", file, "--prefix", prefix]), { width: 100, height: 30 });
      const id = await conversation(store);
      await waitFor("turn 1 streaming", async () => ollama.requests.filter((q) => q.path === "/api/chat").length === 1 && (await store.get(id))?.pending_seq === 1, 60_000);

      const r = await runCli(["say", id, "--as", "narrator", "The lights go out.", "--prefix", prefix], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`remark queued for ${id}`);

      await tmux.until(run, "the end", (s) => s.includes("[exit 0]"), 90_000);
      const messages = await store.readLog(id);
      // recorded after the turn in flight, as a remark: three turns and the remark
      expect(messages.map((m) => [m.metadata.sequence_number, m.metadata.agent_id, m.metadata.source])).toEqual([
        [1, "a", "model"],
        [2, "narrator", "narrator"],
        [3, "b", "model"],
        [4, "c", "model"],
      ]);
      expect(messages[1]!.content.message).toBe("The lights go out.");
      // the next prompt holds it, attributed to the narrator; the one before did not
      const chats = ollama.requests.filter((q) => q.path === "/api/chat").map((q) => JSON.stringify(q.body.messages));
      expect(chats).toHaveLength(3);
      expect(chats[0]).not.toContain("The lights go out.");
      expect(chats[1]).toContain("[Narrator] The lights go out.");
      expect(chats[2]).toContain("[Narrator] The lights go out.");
      expect(messages[2]!.metadata.prompt_turns!.last).toBe(2);

      // the TUI showed it set apart, between the turns
      const history = tmux.capture(run, { history: true });
      expect(history).toMatch(/^ {4}✦ Narrator · after turn 1 · a narrator's remark \(dialogue say\)\n {4}The lights go out\.$/m);
      expect(history.indexOf("✦ Narrator")).toBeGreaterThan(history.indexOf("· a · turn 1"));
      // (the remark is not a turn: the turn after it is turn 2, the third message)
      expect(history.indexOf("✦ Narrator")).toBeLessThan(history.indexOf("· b · turn 2"));
      // and the plain transcript
      const show = await runCli(["show", id, "--prefix", prefix], env);
      // (no turn number for the remark: the turn after it is [2], as the TUI says)
      expect(show.stdout).toContain("[·] Narrator (a remark after turn 1):\n    The lights go out.\n    a narrator's remark (dialogue say)\n[2] ");
      tmux.kill();
    } finally {
      await ollama.close();
    }
  }, 150_000);
});
