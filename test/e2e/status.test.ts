/**
 * `dialogue status` across "hosts": a manager and workers started as separate processes with
 * different host names (DIALOGUE_HOSTNAME), each listed with its pool and what its host serves
 * (the models of the Ollama server it reaches); one killed with SIGKILL is shown GONE within its
 * heartbeat bound (3 heartbeats), one stopped cleanly is shown stopped.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Presence } from "../../src/protocol/presence.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { startFakeOllama, type FakeOllama } from "../helpers/fake-ollama.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
let ollama: FakeOllama;
beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  ollama = await startFakeOllama({ models: ["llama3.2:latest", "qwen2.5:0.5b"] });
});
afterAll(async () => {
  await ollama.close();
  await redis.quit();
});

const HEARTBEAT_MS = 400;
type Row = Presence & { status: "live" | "gone" | "stopped"; age_ms: number };

describe("dialogue status", () => {
  it("lists processes of three hosts with their pools and models, and a SIGKILLed one as gone within 3 heartbeats", async () => {
    const prefix = freshPrefix();
    const common = ["--prefix", prefix, "--set", `presence.heartbeat_ms=${HEARTBEAT_MS}`];
    const host = (name: string, extra: NodeJS.ProcessEnv = {}) => cliEnv(testRedisUrl(), { DIALOGUE_HOSTNAME: name, ...extra });
    const manager = startCli(["manager", ...common], host("alpha"));
    const traveller = startCli(["worker", "--pool", "traveller", ...common], host("beta", { OLLAMA_HOST: ollama.url }));
    const local = startCli(["worker", "--pool", "local", "--concurrency", "2", ...common], host("gamma", { OLLAMA_HOST: ollama.url }));
    const all = [manager, traveller, local];
    await waitFor("processes ready", async () => all.every((p) => /ready/.test(p.err())), 30_000);
    // the first line of each names the Redis it uses, and where it is
    expect(manager.err().split("\n")[0]).toBe(`manager: Redis ${testRedisUrl()} · prefix "${prefix}" · host alpha · pid ${manager.pid}`);
    expect(local.err().split("\n")[0]).toBe(`worker: Redis ${testRedisUrl()} · prefix "${prefix}" · host gamma · pid ${local.pid}`);

    const env = cliEnv(testRedisUrl());
    const rows = async (): Promise<Row[]> => {
      const r = await runCli(["status", "--json", "--prefix", prefix], env);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Row);
    };
    // what the workers' hosts serve is looked at once they start
    await waitFor("the workers' models in their heartbeats", async () => (await rows()).filter((p) => p.serves?.ollama.ok).length >= 2, 15_000, 100);
    const seen = await rows();
    expect(seen.map((p) => [p.role, p.host, p.pool, p.status])).toEqual([
      ["manager", "alpha", null, "live"],
      ["worker", "gamma", "local", "live"],
      ["worker", "beta", "traveller", "live"],
    ]);
    const gamma = seen.find((p) => p.host === "gamma")!;
    expect(gamma.pid).toBe(local.pid);
    expect(gamma.load.concurrency).toBe(2);
    expect(gamma.serves?.ollama).toMatchObject({ where: ollama.url, ok: true, models: ["llama3.2:latest", "qwen2.5:0.5b"] });
    expect(seen.find((p) => p.host === "alpha")!.serves?.ollama.ok).toBe(false); // the manager's host has no Ollama

    const text = await runCli(["status", "--prefix", prefix], env);
    expect(text.stdout).toMatch(/^ {2}worker +local +gamma +\d+ +live, seen [\d.]+ s ago +load 0\/2, 0 done/m);
    expect(text.stdout).toContain(`serves: ollama at ${ollama.url}: llama3.2:latest, qwen2.5:0.5b`);
    expect(text.stdout).toContain("Managers: 1 live");
    expect(text.stdout).toMatch(/^Pools: local: 1 live worker · traveller: 1 live worker$/m);

    // SIGKILL: no goodbye; gone once 3 heartbeats pass unheard
    const killedAt = Date.now();
    local.kill("SIGKILL");
    await exited(local);
    const gone = await waitFor("gamma gone", async () => (await rows()).find((p) => p.host === "gamma" && p.status === "gone"), 10_000, 50);
    const after = Date.now() - killedAt;
    expect(after).toBeLessThan(3 * HEARTBEAT_MS + 1_500); // the bound, and the time one status takes
    expect(gone.age_ms).toBeGreaterThan(3 * HEARTBEAT_MS);
    const shown = await runCli(["status", "--prefix", prefix], env);
    expect(shown.stdout).toMatch(/^ {2}worker +local +gamma +\d+ +GONE, last seen [\d.]+ s ago/m);
    expect(shown.stdout).toContain(`local: no live worker (dialogue worker --pool local --prefix ${prefix})`);
    const live = await runCli(["status", "--live", "--json", "--prefix", prefix], env);
    expect(live.stdout).not.toContain('"gamma"');

    // SIGTERM: a clean exit says goodbye; shown with --all
    traveller.kill("SIGTERM");
    await exited(traveller, 15_000);
    expect((await rows()).find((p) => p.host === "beta")).toBeUndefined();
    const withStopped = await runCli(["status", "--all", "--json", "--prefix", prefix], env);
    expect(withStopped.stdout.trim().split("\n").map((l) => JSON.parse(l) as Row).find((p) => p.host === "beta")!.status).toBe("stopped");
    expect((await runCli(["status", "--prefix", prefix], env)).stdout).toContain("(1 process that exited cleanly in the last hour not shown: --all)");
    manager.kill("SIGTERM");
    await exited(manager, 15_000);
  }, 60_000);
});
