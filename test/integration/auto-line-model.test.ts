/**
 * The "auto → ollama (…)" line of `dialogue run` and `dialogue doctor` names the model that will
 * be used — the one named with --model, whether or not the server has it — never one auto would
 * have picked had none been named. Against a local server speaking Ollama's wire format
 * (test/helpers/fake-ollama.ts) that has llama3.2 only: the real CLI, then the resolution below it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { autoLine } from "../../src/cli/launch.js";
import { ConfigSchema } from "../../src/config/schema.js";
import { resolveAuto } from "../../src/llm/auto.js";
import { ServedModels } from "../../src/llm/served.js";
import { resolveModels } from "../../src/manager/resolve.js";
import { cliEnv, runCli } from "../helpers/cli.js";
import { startFakeOllama, type FakeOllama } from "../helpers/fake-ollama.js";
import { testRedisUrl } from "../helpers/redis.js";

let ollama: FakeOllama;
let home: string;
beforeAll(async () => {
  ollama = await startFakeOllama({ models: ["llama3.2:latest"] });
  home = mkdtempSync(path.join(os.tmpdir(), "dialogue-auto-line-"));
});
afterAll(async () => {
  await ollama.close();
  rmSync(home, { recursive: true, force: true });
});

/** the CLI with only the fake Ollama to find (no OpenAI server, no embedded model) */
function env(): NodeJS.ProcessEnv {
  const e = cliEnv(testRedisUrl(), { OLLAMA_HOST: ollama.url, XDG_CACHE_HOME: path.join(home, "cache"), XDG_DATA_HOME: path.join(home, "data") });
  for (const k of ["OPENAI_BASE_URL", "OPENAI_API_KEY"]) delete e[k];
  return e;
}

describe("the auto line names the model that will be used", () => {
  it("run --model nosuch: the line names nosuch and says the server does not list it, then the error; llama3.2 is not named", async () => {
    const r = await runCli(["run", "--model", "nosuch", "--plain"], env());
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toBe(`Provider: auto → ollama (nosuch) (Ollama answers at ${ollama.url} but does not list nosuch)`);
    expect(lines[1]).toBe(`error: Ollama at ${ollama.url} has no model "nosuch"; it has: llama3.2:latest`);
    expect(lines[0]).not.toContain("llama3.2");
  });

  it("doctor --model nosuch: the same auto finding, then the missing model as a problem", async () => {
    const r = await runCli(["doctor", "--model", "nosuch"], env());
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`ok    auto → ollama (nosuch): Ollama answers at ${ollama.url} but does not list nosuch\n`);
    expect(r.stdout).toContain(`FAIL  agent traveller, agent local, manager: Ollama at ${ollama.url} has no model "nosuch"`);
    expect(r.stdout).not.toContain("auto → ollama (llama3.2)");
  });

  it("no --model: the model auto picks, which every agent and the manager use (as before)", async () => {
    const r = await runCli(["doctor"], env());
    expect(r.stdout).toContain(`ok    auto → ollama (llama3.2): Ollama answers at ${ollama.url} and has llama3.2\n`);
    expect(r.stdout).toContain(`ok    agent traveller, agent local, manager: ollama llama3.2 at ${ollama.url}`);
  });

  it("run --models qwen-x,llama3.2: the manager names none and gets auto's pick, which the line names; the model it lacks is said", async () => {
    const r = await runCli(["run", "--models", "qwen-x,llama3.2", "--plain"], env());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`Provider: auto → ollama (llama3.2) (Ollama answers at ${ollama.url} and has llama3.2, but does not list qwen-x)\nerror: Ollama at ${ollama.url} has no model "qwen-x"`);
  });

  it("every agent and the manager name their own model: the line names no model of auto's picking", async () => {
    const config = ConfigSchema.parse({ ollama: { host: ollama.url }, embedded: { cache_dir: path.join(home, "cache") } });
    config.agents = config.agents.map((a, i) => ({ ...a, model: i === 0 ? "qwen-x" : "llama3.2" }));
    config.manager = { ...config.manager, model: "mistral" };
    const r = await resolveModels(config, new ServedModels(config));
    expect(autoLine(r)).toBe(`Provider: auto → ollama (Ollama answers at ${ollama.url} and has llama3.2, but does not list qwen-x, mistral)`);
    // the spec records what each named
    expect(r.uses.map((u) => `${u.who}: ${u.provider}/${u.named}`)).toEqual([`agent ${config.agents[0]!.id}: ollama/qwen-x`, `agent ${config.agents[1]!.id}: ollama/llama3.2`, "manager: ollama/mistral"]);
  });

  it("resolveAuto: --model that the server has is the model, and the reason says it has it", async () => {
    const config = ConfigSchema.parse({ ollama: { host: ollama.url }, model: "llama3.2", embedded: { cache_dir: path.join(home, "cache") } });
    expect(await resolveAuto(config)).toEqual({ provider: "ollama", model: "llama3.2", reason: `Ollama answers at ${ollama.url} and has llama3.2` });
  });
});
