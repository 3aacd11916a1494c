/**
 * `dialogue doctor` reports Redis' version, persistence and eviction policy, and the providers,
 * with a fix for each problem; exit 0 when all is well, 1 otherwise.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnv, runCli } from "../helpers/cli.js";
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
    expect(r.stdout).toMatch(/ok\s+agent \S+: simulated/);
    expect(r.stdout).toContain("All good.");
  });

  it("names each Redis problem with its fix", async () => {
    await admin.config("SET", "maxmemory-policy", "allkeys-lru");
    await admin.config("SET", "appendonly", "no");
    const r = await runCli(["doctor", "--set", "provider=\"simulated\""], cliEnv(server.url));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+eviction policy is allkeys-lru.*\n\s+fix: CONFIG SET maxmemory-policy noeviction/);
    expect(r.stdout).toMatch(/FAIL\s+persistence: .*\n\s+fix: turn on the append-only file/);
    expect(r.stdout).toContain("2 problems found.");
    await admin.config("SET", "appendonly", "yes");
    await admin.config("SET", "maxmemory-policy", "noeviction");
  });

  it("reports an unreachable Redis and an absent Ollama with their fixes", async () => {
    const r = await runCli(["doctor", "--set", "provider=\"ollama\""], cliEnv("redis://127.0.0.1:1", { OLLAMA_HOST: "http://127.0.0.1:1" }));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(r.stdout).toMatch(/FAIL\s+agent \S+: no Ollama server answers at http:\/\/127\.0\.0\.1:1\n\s+fix: start it \(ollama serve\) or set OLLAMA_HOST/);
  });
});
