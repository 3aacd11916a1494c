/**
 * Provider "auto": the first of Ollama (answers and has a model) → OpenAI-compatible (configured)
 * → embedded (a model file at hand) → simulated, with the reason it gives.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigSchema, type ConfigInput } from "../../src/config/schema.js";
import { resolveAuto } from "../../src/llm/auto.js";
import { startFakeOllama, type FakeOllama } from "../helpers/fake-ollama.js";
import { getFreePort } from "../helpers/redis-server.js";
import { tinyGgufPath } from "../helpers/tiny-gguf.mjs";

let ollama: FakeOllama;
let deadHost = "";
const emptyCache = mkdtempSync(path.join(os.tmpdir(), "dialogue-auto-"));
beforeAll(async () => {
  ollama = await startFakeOllama({ models: ["qwen2.5:0.5b", "llama3.2:latest"] });
  deadHost = `http://127.0.0.1:${await getFreePort()}`;
});
afterAll(async () => {
  await ollama.close();
});

const config = (c: ConfigInput) => ConfigSchema.parse({ embedded: { cache_dir: emptyCache }, ...c });

describe("resolveAuto", () => {
  it("Ollama first, with the configured model if it has it, else the default, else its first", async () => {
    expect(await resolveAuto(config({ ollama: { host: ollama.url } }))).toEqual({
      provider: "ollama",
      model: "llama3.2",
      reason: `Ollama answers at ${ollama.url} and has llama3.2`,
    });
    expect((await resolveAuto(config({ ollama: { host: ollama.url }, model: "qwen2.5:0.5b" }))).model).toBe("qwen2.5:0.5b");
  });

  it("an Ollama with no models is passed over, saying so", async () => {
    const empty = await startFakeOllama({ models: [] });
    try {
      const c = await resolveAuto(config({ ollama: { host: empty.url } }));
      expect(c.provider).toBe("simulated");
      expect(c.reason).toContain(`Ollama at ${empty.url} has no models`);
    } finally {
      await empty.close();
    }
  });

  it("then a configured OpenAI-compatible server", async () => {
    const c = await resolveAuto(config({ ollama: { host: deadHost }, openai: { base_url: "http://127.0.0.1:1234/v1" } }));
    expect(c.provider).toBe("openai");
    expect(c.reason).toBe(`no Ollama server answered at ${deadHost}; using the OpenAI-compatible server at http://127.0.0.1:1234/v1`);
  });

  it("then the embedded provider when its model file exists, else simulated", async () => {
    const withFile = await resolveAuto(config({ ollama: { host: deadHost }, embedded: { model_file: tinyGgufPath(), cache_dir: emptyCache } }));
    expect(withFile.provider).toBe("embedded");
    const missing = await resolveAuto(config({ ollama: { host: deadHost }, embedded: { model_file: "/nope/x.gguf", cache_dir: emptyCache } }));
    expect(missing.provider).toBe("simulated");
    expect(missing.reason).toContain("no model file at /nope/x.gguf");
  });
});
