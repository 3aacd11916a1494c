/**
 * The context budget of a turn: the prompt fits the window less the reply's room, counted with
 * the embedded model's own tokenizer (real llama.cpp on the tiny GGUF) or estimated; older turns
 * are summarized or dropped; nothing fails when even the bare prompt is too long.
 */
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedProvider } from "../../src/llm/embedded.js";
import { SimulatedProvider } from "../../src/llm/simulated.js";
import type { HistoryEntry } from "../../src/protocol/schemas.js";
import { estimateTokens, fitContext, summarizeTurns } from "../../src/worker/context.js";
import { generateReply } from "../../src/worker/reply.js";
import { tinyGgufPath } from "../helpers/tiny-gguf.mjs";
import { history, maya, tomas, turnRequest, turnTask } from "../helpers/turn-fixture.js";

const file = tinyGgufPath();
const embedded = new EmbeddedProvider({ model_file: file, cache_dir: null, default_model: "unused", threads: 1, context_size: 4096, max_tokens: 200 });
afterAll(async () => {
  await embedded.close();
});

describe("fitContext with the model's tokenizer (embedded)", () => {
  it("keeps the most recent turns that fit, summarizes the rest, and the prompt's real token count is within budget", async () => {
    const req = turnRequest({ provider: "embedded", model: file, options: { num_ctx: 2048, num_predict: 256 } }, { history: history(60) });
    const { messages, usage } = await fitContext(req, req.model, embedded);
    expect(usage.counted).toBe("tokenizer");
    expect(usage.window_tokens).toBe(2048);
    expect(usage.budget_tokens).toBe(2048 - 256);
    expect(usage.prompt_tokens).toBe(await embedded.countTokens(file, messages));
    expect(usage.prompt_tokens).toBeLessThanOrEqual(usage.budget_tokens);
    expect(usage.history_dropped).toBeGreaterThan(0);
    expect(usage.history_sent + usage.history_dropped).toBe(60);
    expect(usage.summarized).toBe(true);
    // the last turns are sent whole, in order; the summary is in the system message
    expect(messages.at(-1)?.content).toBe(`Tomas Berg (relationship manager): ${req.history.at(-1)?.text}`);
    expect(messages[0]?.content).toContain("Earlier in the conversation (summarized, oldest first):");
  });

  it("60 real turns of llama.cpp against a 2048-token window: the history keeps growing, no turn hits the context limit", async () => {
    const said: HistoryEntry[] = [];
    for (let seq = 1; seq <= 60; seq++) {
      const me = seq % 2 === 1;
      const req = turnRequest(
        { provider: "embedded", model: file, options: { num_ctx: 2048, num_predict: 48, seed: seq } },
        { sequence_number: seq, persona: me ? maya : tomas, partner: me ? tomas : maya, history: [...said], turn: { number: seq, max: 60 } },
      );
      const { messages, usage } = await fitContext(req, req.model, embedded);
      expect(usage.prompt_tokens).toBeLessThanOrEqual(usage.budget_tokens);
      // failed turns (gibberish that breaks the schema) are fine; an exception is not
      const reply = await generateReply(embedded, { model: file, options: req.model.options, task: turnTask(req) }, messages);
      expect(reply.result.tokens_generated).toBeGreaterThan(0);
      said.push({ agent_id: req.agent.id, speaker: req.persona.name, text: reply.content.message || "(no usable reply)" });
    }
    const lastReq = turnRequest({ provider: "embedded", model: file, options: { num_ctx: 2048, num_predict: 48 } }, { history: said });
    const last = await fitContext(lastReq, lastReq.model, embedded);
    expect(last.usage.history_dropped).toBeGreaterThan(0);
  }, 120_000);

  it("a history that fits is sent whole", async () => {
    const req = turnRequest({ provider: "embedded", model: file, options: {} }, { history: history(4) });
    const { usage } = await fitContext(req, req.model, embedded);
    expect(usage).toMatchObject({ history_sent: 4, history_dropped: 0, summarized: false, window_tokens: 4096 });
  });
});

describe("fitContext by estimate (no tokenizer)", () => {
  const sim = new SimulatedProvider();

  it('"drop" leaves older turns out without a summary', async () => {
    const req = turnRequest({ provider: "simulated", model: "s", options: { num_ctx: 1024 } }, { history: history(60), context: { strategy: "drop", reserve_tokens: 200, window_tokens: null } });
    const { messages, usage } = await fitContext(req, req.model, sim);
    expect(usage.counted).toBe("estimate");
    expect(usage.budget_tokens).toBe(824);
    expect(usage.prompt_tokens).toBe(estimateTokens(messages));
    expect(usage.prompt_tokens).toBeLessThanOrEqual(824);
    expect(usage.summarized).toBe(false);
    expect(messages[0]?.content).not.toContain("Earlier in the conversation");
  });

  it("the configured window applies when the agent sets no num_ctx", async () => {
    const req = turnRequest({ provider: "simulated", model: "s", options: {} }, { history: history(60), context: { strategy: "summarize", reserve_tokens: 100, window_tokens: 900 } });
    const { usage } = await fitContext(req, req.model, sim);
    expect(usage.window_tokens).toBe(900);
    expect(usage.prompt_tokens).toBeLessThanOrEqual(800);
  });

  it("never fails: when even the bare prompt is over budget, it goes without history", async () => {
    const req = turnRequest({ provider: "simulated", model: "s", options: { num_ctx: 64 } }, { history: history(10) });
    const { messages, usage } = await fitContext(req, req.model, sim);
    expect(usage.history_sent).toBe(0);
    expect(usage.prompt_tokens).toBeGreaterThan(usage.budget_tokens);
    expect(messages[0]?.role).toBe("system");
  });

  it("the summary keeps the most recent dropped turns' first sentences and says how many it left out", () => {
    const s = summarizeTurns(history(30, (i) => `Point ${i}. More detail follows here.`), 120);
    expect(s).toMatch(/^- \(\d+ earlier turns left out\)\n/);
    expect(s).toContain("- Tomas Berg: Point 29.");
    expect(s).not.toContain("More detail");
  });
});
