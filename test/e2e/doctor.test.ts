/**
 * `dialogue doctor` reports Redis' version, persistence and eviction policy, and the providers,
 * with a fix for each problem; exit 0 when no problem is found (warnings printed), 1 otherwise.
 * Runs that would be simulated without being asked for are a warning with how to get a real model.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnv, runCli } from "../helpers/cli.js";
import { getFreePort } from "../helpers/redis-server.js";
import { startTestRedis, type TestRedis } from "../helpers/redis-server.js";

let server: TestRedis;
let admin: Redis;
beforeAll(async () => {
  server = await startTestRedis({ appendonly: true });
  admin = new Redis(server.url);
});
afterAll(async () => {
  admin.disconnect();
  await server.stop();
});

describe("dialogue doctor", () => {
  it("passes on a well-configured Redis with the simulated provider", async () => {
    await admin.config("SET", "maxmemory-policy", "noeviction");
    const r = await runCli(["doctor", "--set", "provider=\"simulated\""], cliEnv(server.url));
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/ok\s+Redis 7\./);
    expect(r.stdout).toMatch(/ok\s+persistence: append-only file on/);
    expect(r.stdout).toMatch(/ok\s+eviction policy: noeviction/);
    expect(r.stdout).toMatch(/ok\s+agent traveller, agent local, manager: simulated: offline, scripted text, always labelled \[simulated\]/);
    // asked for by name: no warning
    expect(r.stdout).not.toContain("warn");
    expect(r.stdout).toContain("All good.");
  });

  it("names each Redis problem with its fix", async () => {
    await admin.config("SET", "maxmemory-policy", "allkeys-lru");
    await admin.config("SET", "appendonly", "no");
    const r = await runCli(["doctor", "--set", "provider=\"simulated\""], cliEnv(server.url));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+eviction policy is allkeys-lru.*\n\s+fix: CONFIG SET maxmemory-policy noeviction/);
    // no persistence is worth a warning, not a failure: runs work, they are lost on a restart
    expect(r.stdout).toMatch(/warn\s+persistence: .*\n\s+turn on the append-only file/);
    expect(r.stdout).toContain("1 problem found; 1 warning (see above).");
    await admin.config("SET", "appendonly", "yes");
    await admin.config("SET", "maxmemory-policy", "noeviction");
  });

  it("a Redis without persistence is a warning, exit 0: runs work there", async () => {
    await admin.config("SET", "appendonly", "no");
    const save = ((await admin.config("GET", "save")) as string[])[1] ?? "";
    await admin.config("SET", "save", "");
    try {
      const r = await runCli(["doctor", "--set", "provider=\"simulated\""], cliEnv(server.url));
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toMatch(/warn\s+persistence: off; runs work, but retained runs are lost when Redis restarts\n\s+turn on the append-only file: CONFIG SET appendonly yes/);
      expect(r.stdout).toContain("No problems; 1 warning (see above).");
    } finally {
      await admin.config("SET", "save", save);
      await admin.config("SET", "appendonly", "yes");
    }
  });

  it("reports an unreachable Redis and an absent Ollama with their fixes", async () => {
    const r = await runCli(["doctor", "--set", "provider=\"ollama\""], cliEnv("redis://127.0.0.1:1", { OLLAMA_HOST: "http://127.0.0.1:1" }));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    // the very line `dialogue run --provider ollama` stops with
    expect(r.stdout).toMatch(/FAIL\s+no Ollama server answers at http:\/\/127\.0\.0\.1:1\n\s+fix: start Ollama \(`ollama serve`, or the Ollama app\), or point OLLAMA_HOST/);
  });

  it("with nothing reachable, warns that every run would be simulated and says how to get a real model; exit 0, as --help documents", async () => {
    const host = `http://127.0.0.1:${await getFreePort()}`;
    const env = cliEnv(server.url, { OLLAMA_HOST: host, XDG_CACHE_HOME: "/nonexistent-dialogue-cache" });
    for (const k of ["OPENAI_BASE_URL", "OPENAI_API_KEY"]) delete env[k];
    const r = await runCli(["doctor"], env);
    expect(r.stdout).toContain(`ok    auto → simulated: no Ollama server answered at ${host}`);
    expect(r.stdout).toContain("warn  every agent and the manager would be simulated: scripted text, not a model (no real model was found)");
    expect(r.stdout).toMatch(/\n {10}to use a real model: start Ollama .*set OPENAI_BASE_URL .*--model-file <file\.gguf>/);
    expect(r.stdout).not.toContain("All good.");
    expect(r.stdout).toContain("No problems; 1 warning (see above).");
    expect(r.code).toBe(0);
    const help = await runCli(["doctor", "--help"], env);
    expect(help.stdout).toMatch(/Exit codes: 0 no problem found \(warnings, such as "every agent would be simulated" or "Redis\s+keeps nothing over a restart", are printed but do not fail\), 1 a problem a run would\s+hit/);
  });
});
