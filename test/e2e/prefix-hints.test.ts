/**
 * The commands `dialogue run` prints for the user to copy work as printed when the run used a key
 * prefix other than the default (`--prefix`), or a Redis named on the command line
 * (`--redis-url`): the ones at the end (show, analyze, list), the `dialogue say` a person's turn
 * offers (plain text and JSON lines), and the one the hint names after Redis was lost. Each is run
 * here exactly as printed, by a shell, with `dialogue` on its PATH (only the placeholder "…" of
 * the say command is filled in). With the default prefix and Redis from REDIS_URL nothing is added.
 * Before, none of them named the prefix, so each looked for the run under the default one.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { BIN, cliEnv, exited, ROOT, runCli, startCli, waitFor } from "../helpers/cli.js";
import { startTestRedis, type TestRedis } from "../helpers/redis-server.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

let redis: Redis;
/** a directory holding a `dialogue` command (this checkout's CLI), put first on the shell's PATH */
let shim: string;
let servers: TestRedis[] = [];
let clients: Redis[] = [];
beforeAll(() => {
  redis = new Redis(testRedisUrl());
  shim = mkdtempSync(path.join(tmpdir(), "dialogue-prefix-hints-"));
  const dialogue = path.join(shim, "dialogue");
  writeFileSync(dialogue, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(dialogue, 0o755);
});
afterEach(async () => {
  for (const c of clients) c.disconnect();
  for (const s of servers) await s.stop();
  servers = [];
  clients = [];
});
afterAll(async () => {
  await redis.quit();
  rmSync(shim, { recursive: true, force: true });
});

const FAST = ["--provider", "simulated", "--set", "simulated.tokens_per_second=200"];

/** `command` as a user pastes it into a shell (bash), `dialogue` being this checkout's CLI */
function runPrinted(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawn("bash", ["-c", command], { cwd: ROOT, env: { ...env, PATH: `${shim}:${env["PATH"] ?? ""}` }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  p.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return exited(p, 60_000).then(({ code }) => ({ code, stdout, stderr }));
}

/** the commands `run` prints at the end, by their labels */
function keptCommands(stderr: string): { id: string; show: string; analysis: string; list: string } {
  const id = /^Kept in .+, conversation (\S+)$/m.exec(stderr)?.[1];
  const line = (label: string): string | undefined => new RegExp(`^ {2}${label}:\\s+(dialogue .+)$`, "m").exec(stderr)?.[1];
  const [show, analysis, list] = [line("see it again"), line("analysis"), line("all runs")];
  expect(id && show && analysis && list, stderr).toBeTruthy();
  return { id: id!, show: show!, analysis: analysis!, list: list! };
}

async function ownRedis(): Promise<{ server: TestRedis; client: Redis }> {
  const server = await startTestRedis({ appendonly: true });
  servers.push(server);
  const client = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
  client.on("error", () => undefined);
  clients.push(client);
  return { server, client };
}

describe("the commands dialogue run prints, under another prefix", () => {
  it("at the end: show, analyze and list name --prefix, and each shows this run as printed", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const r = await runCli(["run", ...FAST, "--max-turns", "2", "--plain", "--prefix", prefix], env, 90_000);
    expect(r.code, r.stderr).toBe(0);
    const { id, show, analysis, list } = keptCommands(r.stderr);
    expect(show).toBe(`dialogue show ${id} --prefix ${prefix}`);
    expect(analysis).toBe(`dialogue analyze ${id} --prefix ${prefix}`);
    expect(list).toBe(`dialogue list --prefix ${prefix}`);

    const shown = await runPrinted(show, env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`Conversation ${id} — `);
    expect(shown.stdout).toContain("completed (max_turns)");
    const analyzed = await runPrinted(analysis, env);
    expect(analyzed.code, analyzed.stderr).toBe(0);
    expect(analyzed.stdout).toContain(`Analysis of ${id} — `);
    const listed = await runPrinted(list, env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${id} .+completed \\(max_turns\\)`, "m"));
  }, 120_000);

  it("a person's turn in plain text: `answer with dialogue say <id> --prefix P \"…\"` answers it as printed", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const store = new Store(redis, prefix);
    const run = startCli(["run", ...FAST, "--person", "local", "--max-turns", "3", "--plain", "--prefix", prefix], env);
    const id = await waitFor("the conversation", async () => (await store.listIds())[0], 30_000);
    const offered = await waitFor("the person's turn offered", async () => /answer with (dialogue say .+ "…") \(skipped after/.exec(run.out())?.[1], 60_000);
    expect(offered).toBe(`dialogue say ${id} --turn 2 --prefix ${prefix} "…"`);

    const text = "I would take the early tram, then walk along the river.";
    const said = await runPrinted(offered.replace('"…"', `"${text}"`), env);
    expect(said.code, said.stderr).toBe(0);
    expect(said.stdout.trim()).toBe(`said as local (turn 2 of ${id})`);
    expect((await exited(run, 60_000)).code, run.err()).toBe(0);
    const human = (await store.readLog(id))[1];
    expect(human?.content.message).toBe(text);
    expect(human?.metadata.source).toBe("human");
  }, 120_000);

  it("a person's turn in JSON lines: the `say` field names --prefix and answers it as printed", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const store = new Store(redis, prefix);
    const run = startCli(["run", ...FAST, "--person", "local", "--max-turns", "3", "--json", "--prefix", prefix], env);
    const event = await waitFor(
      "the waiting_for_person event",
      async () =>
        run
          .out()
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as { type: string; say?: string })
          .find((e) => e.type === "waiting_for_person"),
      60_000,
    );
    const id = (await store.listIds())[0];
    expect(event.say).toBe(`dialogue say ${id} --as local --turn 2 --prefix ${prefix} "…"`);

    const text = "The tram, then the river walk.";
    const said = await runPrinted(event.say!.replace('"…"', `"${text}"`), env);
    expect(said.code, said.stderr).toBe(0);
    expect(said.stdout.trim()).toBe(`said as local (turn 2 of ${id})`);
    expect((await exited(run, 60_000)).code, run.err()).toBe(0);
    expect((await store.readLog(id!))[1]?.content.message).toBe(text);
  }, 120_000);

  it("Redis lost for good: the hint's command names --prefix and shows the run once Redis is back", async () => {
    const { server, client } = await ownRedis();
    const prefix = freshPrefix();
    const env = cliEnv(server.url);
    const store = new Store(client, prefix);
    const run = startCli(
      ["run", "--provider", "simulated", "--set", "simulated.tokens_per_second=20", "--max-turns", "30", "--plain", "--prefix", prefix, "--set", "redis.unavailable_timeout_ms=2000"],
      env,
    );
    const id = await waitFor("the conversation", async () => (await store.listIds())[0], 30_000);
    await waitFor("a turn recorded", async () => ((await store.get(id))?.turns ?? 0) >= 1, 60_000);
    await server.shutdown();
    expect((await exited(run, 30_000)).code, run.err()).toBe(1);
    const hint = /^hint: restart Redis \(or check the network\), then see it with: (.+)$/m.exec(run.err())?.[1];
    expect(hint, run.err()).toBe(`dialogue show ${id} --prefix ${prefix}`);

    await server.restart();
    const shown = await runPrinted(hint!, env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`Conversation ${id} — `);
    expect(shown.stdout).toMatch(/^\[1\] /m);
  }, 120_000);
});

describe("the Redis of the run", () => {
  it("named by --redis-url: the printed commands carry it and work without REDIS_URL; from REDIS_URL, with the default prefix, nothing is added", async () => {
    // a Redis of the test's own: runs under the default prefix touch no other test's
    const { server } = await ownRedis();

    // REDIS_URL and the default prefix: the commands are as they always were
    const byEnv = cliEnv(server.url);
    const plain = await runCli(["run", ...FAST, "--max-turns", "2", "--plain"], byEnv, 90_000);
    expect(plain.code, plain.stderr).toBe(0);
    const first = keptCommands(plain.stderr);
    expect(first.show).toBe(`dialogue show ${first.id}`);
    expect(first.list).toBe("dialogue list");
    expect(plain.stderr).not.toContain("--prefix");
    expect(plain.stderr).not.toContain("--redis-url");
    const again = await runPrinted(first.show, byEnv);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`Conversation ${first.id} — `);

    // no REDIS_URL: Redis named by --redis-url. The shell that runs the printed command has no
    // REDIS_URL either, and starts no Redis of its own (a configuration that says so)
    const config = path.join(shim, "no-managed-redis.json");
    writeFileSync(config, JSON.stringify({ redis: { managed: { autostart: false } } }));
    const byFlag = cliEnv(server.url, { DIALOGUE_CONFIG: config });
    delete byFlag["REDIS_URL"];
    const flagged = await runCli(["run", ...FAST, "--max-turns", "2", "--plain", "--redis-url", server.url], byFlag, 90_000);
    expect(flagged.code, flagged.stderr).toBe(0);
    const second = keptCommands(flagged.stderr);
    expect(second.show).toBe(`dialogue show ${second.id} --redis-url ${server.url}`);
    const shown = await runPrinted(second.show, byFlag);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`Conversation ${second.id} — `);
  }, 150_000);
});
