/**
 * A model file that cannot be run stops `dialogue run` before anything starts, the way a missing
 * one does: one line naming the file and what is wrong, a hint, exit 2, no run recorded, and never
 * a raw control byte. The same check makes `dialogue doctor` fail and `dialogue models` tell the
 * truth, and a --model-file named with the provider left to "auto" is never passed over (a file
 * from the environment still is: auto falls back to the simulator, as the README says).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnv, runCli, type CliResult } from "../helpers/cli.js";
import { getFreePort } from "../helpers/redis-server.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { buildTinyGguf, tinyGgufPath } from "../helpers/tiny-gguf.mjs";

const tmp = mkdtempSync(path.join(os.tmpdir(), "model-file-errors-"));
const file = (name: string, data: Buffer | string): string => {
  const f = path.join(tmp, name);
  writeFileSync(f, data);
  return f;
};
const textFile = file("notgguf.gguf", "hello world\n");
const emptyFile = file("empty.gguf", "");
const headOnly = file("head.gguf", buildTinyGguf().subarray(0, 100));
const missing = path.join(tmp, "nope.gguf");
// every control character but the newline
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/;

let redis: Redis;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  // no Ollama, no OpenAI-compatible server, an empty model cache
  env = cliEnv(testRedisUrl(), { OLLAMA_HOST: `http://127.0.0.1:${await getFreePort()}`, XDG_CACHE_HOME: path.join(tmp, "cache") });
  for (const k of ["OPENAI_BASE_URL", "OPENAI_API_KEY"]) delete env[k];
});
afterAll(async () => {
  await redis.quit();
});

/** `dialogue run` under a fresh prefix; what it left in Redis */
async function run(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliResult & { keys: string[] }> {
  const prefix = freshPrefix();
  const r = await runCli(["run", "--plain", "--max-turns", "1", "--prefix", prefix, ...args], { ...env, ...extra }, 60_000);
  return { ...r, keys: await redis.keys(`${prefix}*`) };
}

/** the output is exactly `error: <what>` and a hint */
function oneLine(r: CliResult, what: string): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe("");
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines, r.stderr).toHaveLength(2);
  expect(lines[0]).toBe(`error: ${what}`);
  expect(lines[1]).toMatch(/^hint: pass a(n existing| complete) GGUF (model )?file with --model-file <file\.gguf>/);
  expect(r.stderr).not.toMatch(CONTROL);
}

describe("dialogue run --provider embedded with a file that is not a GGUF model", () => {
  it("a text file: one line saying what it starts with, exit 2, no run recorded", async () => {
    const r = await run(["--provider", "embedded", "--model-file", textFile, "--threads", "1"]);
    oneLine(r, `${textFile} is not a GGUF model file (it starts with "hell"; llama.cpp loads GGUF only)`);
    expect(r.keys).toEqual([]);
  });

  it("an empty file: one line, exit 2, no NUL bytes anywhere, no run recorded", async () => {
    const r = await run(["--provider", "embedded", "--model-file", emptyFile, "--threads", "1"]);
    oneLine(r, `${emptyFile} is empty (0 bytes), not a GGUF model file`);
    expect(r.keys).toEqual([]);
  });

  it("the first 100 bytes of a model: cut short, exit 2, no run recorded", async () => {
    const r = await run(["--provider", "embedded", "--model-file", headOnly, "--threads", "1"]);
    oneLine(r, `${headOnly} is cut short: its GGUF header runs past the end of the file (100 bytes; a download or a copy that did not finish?)`);
    expect(r.keys).toEqual([]);
  });
});

describe("--model-file with the provider left to auto", () => {
  it("a named file that does not exist is not passed over for the simulator: one line, exit 2, no run", async () => {
    const r = await run(["--model-file", missing]);
    oneLine(r, `no model file at ${missing}`);
    expect(r.stderr).not.toContain("Provider: auto");
    expect(r.keys).toEqual([]);
  });

  it("a named file that is not a GGUF model: the same", async () => {
    const r = await run(["--provider", "auto", "--model-file", textFile]);
    oneLine(r, `${textFile} is not a GGUF model file (it starts with "hell"; llama.cpp loads GGUF only)`);
    expect(r.keys).toEqual([]);
  });

  it("a file from DIALOGUE_MODEL_FILE that does not exist: auto still falls back to the simulator and says why", async () => {
    const r = await run(["--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"], { DIALOGUE_MODEL_FILE: missing });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`no model file at ${missing}: using the offline simulated provider`);
  });
});

describe("dialogue doctor and dialogue models, with the same check", () => {
  it("doctor fails a file that is not a GGUF model, with the line run stops with", async () => {
    const r = await runCli(["doctor", "--provider", "embedded", "--model-file", headOnly], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}.*is cut short: /);
    expect(r.stdout).toContain(`${headOnly} is cut short: its GGUF header runs past the end of the file`);
    expect(r.stdout).toMatch(/\n\s+fix: pass a complete GGUF model file with --model-file/);
    const auto = await runCli(["doctor", "--model-file", missing], env);
    expect(auto.code).toBe(1);
    expect(auto.stdout).toContain(`FAIL  no model file at ${missing}`);
  });

  it("models: a missing --model-file is listed as not usable and fails (exit 2); a real one is listed, exit 0", async () => {
    const bad = await runCli(["models", "--provider", "embedded", "--model-file", missing], env);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe(`embedded:\n  ${missing}  --model-file\n    not usable: no model file at ${missing}\n`);
    expect(bad.stderr).toMatch(new RegExp(`^error: no model file at ${missing.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\n`));
    const text = await runCli(["models", "--model-file", emptyFile, "--json"], env);
    expect(text.code).toBe(2);
    expect(JSON.parse(text.stdout).embedded).toEqual([{ name: emptyFile, size: 0, details: "--model-file", problem: `${emptyFile} is empty (0 bytes), not a GGUF model file` }]);
    const good = await runCli(["models", "--provider", "embedded", "--model-file", tinyGgufPath()], env);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).not.toContain("not usable");
  });
});
