/**
 * `dialogue run --no-spawn` with managers and workers started as separate processes (standing in
 * for other hosts): it says at once what is missing, waits up to --wait, then records the run as
 * failed (unserved) and exits 1; a manager that comes while it waits serves the run; SIGTERM while
 * it waits records the run as stopped, never leaves it hanging. The providers and models are
 * checked by the serving processes on their own "hosts": a launcher that reaches no Ollama starts
 * a run on workers that do, and an embedded model nobody named is each worker's own file.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { cliEnv, exited, runCli, startCli, waitFor } from "../helpers/cli.js";
import { managerReplies, startFakeOllama, type FakeOllama } from "../helpers/fake-ollama.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { getFreePort } from "../helpers/redis-server.js";
import { tinyGgufPath } from "../helpers/tiny-gguf.mjs";

let redis: Redis;
const tmp = mkdtempSync(path.join(os.tmpdir(), "dialogue-nospawn-"));
const stopAll: Array<ReturnType<typeof startCli>> = [];
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  for (const p of stopAll) if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM");
  await Promise.all(stopAll.map((p) => exited(p, 15_000).catch(() => undefined)));
  await redis.quit();
});

/** no machine settings leak in: no Ollama, no OpenAI, an empty model cache of its own */
const isolated = (extra: NodeJS.ProcessEnv = {}, cache = "cache") => {
  const env = cliEnv(testRedisUrl(), { XDG_CACHE_HOME: path.join(tmp, cache), ...extra });
  for (const k of ["OPENAI_BASE_URL", "OPENAI_API_KEY", "OLLAMA_HOST"]) if (!(k in extra)) delete env[k];
  return env;
};
const HB = ["--set", "presence.heartbeat_ms=300"];
const SIM = ["--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"];

function serve(args: string[], env: NodeJS.ProcessEnv): ReturnType<typeof startCli> {
  const p = startCli(args, env);
  stopAll.push(p);
  return p;
}
const ready = (ps: Array<ReturnType<typeof startCli>>) => waitFor("processes ready", async () => ps.every((p) => /ready/.test(p.err())), 30_000);
const stop = async (ps: Array<ReturnType<typeof startCli>>) => {
  for (const p of ps) p.kill("SIGTERM");
  await Promise.all(ps.map((p) => exited(p, 15_000)));
};

describe("run --no-spawn with no manager running", () => {
  it("says so within 2 s, exits 1 after --wait, and the run is recorded as failed (unserved) with the reason", async () => {
    const prefix = freshPrefix();
    const env = isolated();
    const workers = ["traveller", "local"].map((pool) => serve(["worker", "--pool", pool, "--prefix", prefix, ...HB], env));
    await ready(workers);

    const t0 = Date.now();
    const run = startCli(["run", "--no-spawn", "--provider", "simulated", "--wait", "4", "--plain", "--prefix", prefix], env);
    await waitFor("the line saying what is missing", async () => /no live manager/.test(run.err()), 5_000, 20);
    const saidAfter = Date.now() - t0;
    expect(saidAfter).toBeLessThan(2_000);
    const firstLine = run.err().split("\n").find((l) => /no live manager/.test(l))!;
    expect(firstLine).toMatch(/^--no-spawn: no live manager under prefix "[^"]+" at redis:\/\/127\.0\.0\.1:\d+ \(dialogue status --prefix t\w+ lists every process\); waiting up to 4 s \(--wait\) for them to start: dialogue manager --prefix t\w+$/);
    expect(firstLine).not.toMatch(/worker/); // the workers are there

    const { code } = await exited(run, 20_000);
    const took = Date.now() - t0;
    expect(code, run.err()).toBe(1);
    expect(took).toBeGreaterThanOrEqual(4_000);
    expect(run.err()).toMatch(/^error: no live manager came under prefix "[^"]+" within 4 s \(run --no-spawn\); conversation (\S+) is recorded as failed \(unserved\)$/m);
    // only what was missing: the workers of both pools were there
    expect(run.err()).toContain(`hint: start \`dialogue manager --prefix ${prefix}\` against this Redis (see them with dialogue status --prefix ${prefix})`);
    expect(run.err()).not.toMatch(/^hint: .*dialogue worker/m);

    const store = new Store(redis, prefix);
    const ids = await store.listIds();
    expect(ids).toHaveLength(1);
    const rec = (await store.get(ids[0]!))!;
    expect(rec.status).toBe("failed");
    expect(rec.stop_reason).toBe("unserved");
    expect(rec.error).toMatch(/no live manager came .* within 4 s/);
    expect(rec.turns).toBe(0);
    expect(await store.activeIds()).toEqual([]);
    const list = await runCli(["list", "--prefix", prefix], env);
    expect(list.stdout).toMatch(/failed \(unserved\)/);
    await stop(workers);
  }, 60_000);

  it("SIGTERM while it waits: the run is recorded as stopped, not left waiting; exit 143", async () => {
    const prefix = freshPrefix();
    const env = isolated();
    const run = startCli(["run", "--no-spawn", "--provider", "simulated", "--wait", "60", "--plain", "--prefix", prefix], env);
    await waitFor("the waiting line", async () => /no live manager and no live worker for pools traveller, local/.test(run.err()), 5_000, 20);
    run.kill("SIGTERM");
    const { code } = await exited(run, 10_000);
    expect(code).toBe(143);
    const store = new Store(redis, prefix);
    const rec = (await store.get((await store.listIds())[0]!))!;
    expect(rec.status).toBe("stopped");
    expect(rec.stop_reason).toBe("user_stop");
    expect(rec.error).toMatch(/stopped \(SIGTERM\) while waiting/);
  }, 30_000);

  it("a manager and workers that start while it waits serve the run", async () => {
    const prefix = freshPrefix();
    const env = isolated();
    const run = startCli(["run", "--no-spawn", "--provider", "simulated", "--max-turns", "2", "--wait", "30", "--plain", "--prefix", prefix, ...SIM], env);
    await waitFor("the waiting line", async () => /no live manager and no live worker/.test(run.err()), 5_000, 20);
    const procs = [serve(["manager", "--prefix", prefix, ...HB], env), ...["traveller", "local"].map((pool) => serve(["worker", "--pool", pool, "--prefix", prefix, ...HB], env))];
    const { code } = await exited(run, 40_000);
    expect(code, run.err()).toBe(0);
    expect(run.err()).toMatch(/--no-spawn: found them after [\d.]+ s/);
    const store = new Store(redis, prefix);
    const rec = (await store.get((await store.listIds())[0]!))!;
    expect(rec.status).toBe("completed");
    expect(rec.turns).toBe(2);
    await stop(procs);
  }, 60_000);
});

describe("run --no-spawn: the models are checked on the serving hosts", () => {
  let ollama: FakeOllama;
  beforeAll(async () => {
    ollama = await startFakeOllama({ models: ["qwen2.5:0.5b"] });
    ollama.fallback = { kind: "reply", pieces: [JSON.stringify({ message: "From the workers' Ollama.", sentiment: 0.1, references: [], end_conversation: false })] };
  });
  afterAll(async () => {
    await ollama.close();
  });

  it("a launcher that reaches no Ollama starts --provider ollama on workers (and a manager) that do", async () => {
    const prefix = freshPrefix();
    // the serving "hosts" reach the Ollama server; the launcher's OLLAMA_HOST answers nothing
    const servingEnv = isolated({ OLLAMA_HOST: ollama.url, DIALOGUE_HOSTNAME: "gpu-box" });
    const procs = [serve(["manager", "--prefix", prefix, ...HB], servingEnv), ...["traveller", "local"].map((pool) => serve(["worker", "--pool", pool, "--prefix", prefix, ...HB], servingEnv))];
    await ready(procs);
    const nowhere = `http://127.0.0.1:${await getFreePort()}`;
    ollama.script = [
      ...managerReplies(),
    ];
    // on its own host, the launcher cannot run it: nothing answers there
    const alone = await runCli(["run", "--provider", "ollama", "--max-turns", "2", "--plain", "--prefix", freshPrefix()], isolated({ OLLAMA_HOST: nowhere }));
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain(`no Ollama server answers at ${nowhere}`);

    const r = await runCli(["run", "--no-spawn", "--provider", "ollama", "--max-turns", "2", "--plain", "--prefix", prefix], isolated({ OLLAMA_HOST: nowhere }), 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(nowhere);
    expect(r.stderr).toMatch(/^Model: ollama → qwen2\.5:0\.5b \(no model named for .*the only model the server has, at http:\/\/127\.0\.0\.1:\d+; --model picks another\) — on gpu-box$/m);
    expect(r.stderr).toMatch(/^Checked on gpu-box \(worker traveller, pid \d+\): agent traveller: ollama qwen2\.5:0\.5b at /m);
    expect(r.stderr).toMatch(/^Checked on gpu-box \(manager, pid \d+\): manager: ollama qwen2\.5:0\.5b at /m);
    const store = new Store(redis, prefix);
    const rec = (await store.get((await store.listIds())[0]!))!;
    expect(rec.status).toBe("completed");
    expect([...rec.spec.agents.map((a) => `${a.model.provider}/${a.model.model}`), `${rec.spec.manager.provider}/${rec.spec.manager.model}`]).toEqual(["ollama/qwen2.5:0.5b", "ollama/qwen2.5:0.5b", "ollama/qwen2.5:0.5b"]);
    const msgs = await store.readLog(rec.spec.id);
    expect(msgs.map((m) => m.content.message)).toEqual(["From the workers' Ollama.", "From the workers' Ollama."]);
    expect(msgs.every((m) => m.metadata.worker.host === "gpu-box")).toBe(true);

    // a model the workers' server does not have: one line naming the serving host, nothing recorded
    const before = await store.listIds();
    const bad = await runCli(["run", "--no-spawn", "--provider", "ollama", "--model", "nosuch", "--max-turns", "2", "--plain", "--prefix", prefix], isolated({ OLLAMA_HOST: nowhere }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: checked on the serving host: worker (traveller|local) on gpu-box \(pid \d+\): agent \w+: Ollama at http:\/\/127\.0\.0\.1:\d+ has no model "nosuch"; it has: qwen2\.5:0\.5b$/m);
    expect(await store.listIds()).toEqual(before);
    await stop(procs);
  }, 90_000);

  it("--provider embedded with no --model-file: each worker runs its own file; the launcher downloads nothing", async () => {
    const prefix = freshPrefix();
    const servingEnv = isolated({ DIALOGUE_MODEL_FILE: tinyGgufPath(), DIALOGUE_HOSTNAME: "cpu-box", DIALOGUE_THREADS: "1" }, "serving-cache");
    const procs = [serve(["manager", "--prefix", prefix, ...HB], servingEnv), ...["traveller", "local"].map((pool) => serve(["worker", "--pool", pool, "--prefix", prefix, ...HB], servingEnv))];
    await ready(procs);
    const launcherEnv = isolated({}, "launcher-cache");
    const r = await runCli(["run", "--no-spawn", "--provider", "embedded", "--max-turns", "2", "--plain", "--prefix", prefix], launcherEnv, 120_000);
    expect(r.stderr).not.toMatch(/downloading/);
    expect(r.stderr).toMatch(new RegExp(`^Checked on cpu-box \\(worker traveller, pid \\d+\\): agent traveller: embedded ${tinyGgufPath().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
    const store = new Store(redis, prefix);
    const rec = (await store.get((await store.listIds())[0]!))!;
    // "default": each serving host's own file, not a path of the launcher's
    expect(rec.spec.agents.map((a) => `${a.model.provider}/${a.model.model}`)).toEqual(["embedded/default", "embedded/default"]);
    const msgs = await store.readLog(rec.spec.id);
    // the tiny random model may end the conversation in a reply that fits the schema
    expect(["max_turns", "agent_ended"]).toContain(rec.stop_reason);
    if (rec.stop_reason === "max_turns") expect(msgs).toHaveLength(2);
    else expect(msgs.at(-1)!.content.end_conversation).toBe(true);
    for (const m of msgs) expect(m.metadata.tokens_generated).toBeGreaterThan(0); // llama.cpp ran the workers' file
    // a relative --model-file names nothing on the serving hosts: refused, exit 2
    const rel = await runCli(["run", "--no-spawn", "--provider", "embedded", "--model-file", "models/x.gguf", "--plain", "--prefix", prefix], launcherEnv);
    expect(rel.code).toBe(2);
    expect(rel.stderr).toMatch(/^error: --model-file "models\/x\.gguf" is a relative path, and with --no-spawn it names a file on the serving hosts$/m);
    await stop(procs);
  }, 150_000);
});
