/**
 * Secrets never reach the logs or the retained record; Redis passwords and TLS work, and wrong
 * ones fail with one line; two prefixes on one Redis never see each other's runs.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnv, runCli } from "../helpers/cli.js";
import { startTestRedis, type TestRedis } from "../helpers/redis-server.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

const PASSWORD = "s3cret-REDIS-pw-7731";
const API_KEY = "sk-test-DIALOGUE-SECRET-4242";
const FAST = ["--set", "simulated.tokens_per_second=0", "--set", "simulated.time_to_first_token_ms=0"];

/** every value of every key in the Redis (a `redis-cli --scan` dump, by type) */
async function dumpAll(client: Redis): Promise<string> {
  const parts: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "COUNT", 500);
    cursor = next;
    for (const key of keys) {
      const type = await client.type(key);
      parts.push(key);
      if (type === "string") parts.push((await client.get(key)) ?? "");
      else if (type === "hash") parts.push(JSON.stringify(await client.hgetall(key)));
      else if (type === "list") parts.push(JSON.stringify(await client.lrange(key, 0, -1)));
      else if (type === "set") parts.push(JSON.stringify(await client.smembers(key)));
      else if (type === "zset") parts.push(JSON.stringify(await client.zrange(key, "0", "-1", "WITHSCORES")));
      else if (type === "stream") parts.push(JSON.stringify(await client.xrange(key, "-", "+")));
    }
  } while (cursor !== "0");
  return parts.join("\n");
}

describe("secrets", () => {
  let server: TestRedis;
  let admin: Redis;
  beforeAll(async () => {
    server = await startTestRedis({ appendonly: false });
    admin = new Redis(server.url);
    await admin.config("SET", "requirepass", PASSWORD);
    await admin.auth(PASSWORD);
  });
  afterAll(async () => {
    admin.disconnect();
    await server.stop();
  });

  it("the API key and the Redis password appear in no log, no output and no key of the run", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "dialogue-secrets-"));
    const logFile = path.join(dir, "run.log");
    const url = `redis://:${PASSWORD}@127.0.0.1:${server.port}`;
    const r = await runCli(
      ["run", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", freshPrefix(), "--log-level", "trace", "--set", `log.file="${logFile}"`, ...FAST],
      cliEnv(url, { OPENAI_API_KEY: API_KEY }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(logFile)).toBe(true);
    const log = readFileSync(logFile, "utf8");
    expect(log.length).toBeGreaterThan(0);
    const dump = await dumpAll(admin);
    expect(dump).toContain(":record"); // the run is there
    for (const [where, text] of [["log", log], ["stdout", r.stdout], ["stderr", r.stderr], ["redis", dump]] as const) {
      expect(text.includes(PASSWORD), `password in ${where}`).toBe(false);
      expect(text.includes(API_KEY), `API key in ${where}`).toBe(false);
    }
    // the same with redis-cli, as an operator would check
    const scan = execFileSync("redis-cli", ["-p", String(server.port), "--no-auth-warning", "-a", PASSWORD, "--scan"], { encoding: "utf8" });
    expect(scan).not.toContain(PASSWORD);
  }, 60_000);

  it("a wrong Redis password fails with one line and exit 1", async () => {
    const r = await runCli(["list"], cliEnv(`redis://:wrong-password@127.0.0.1:${server.port}`), 15_000);
    expect(r.code).toBe(1);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/rejected the credentials/);
    expect(r.stderr).not.toContain("wrong-password");
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe("rediss:// (TLS)", () => {
  let server: TestRedis;
  let tlsPort = 0;
  let ca = "";
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "dialogue-tls-"));
    ca = path.join(dir, "cert.pem");
    const key = path.join(dir, "key.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", ca, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    const { getFreePort } = await import("../helpers/redis-server.js");
    tlsPort = await getFreePort();
    server = await startTestRedis({
      appendonly: false,
      extraArgs: ["--tls-port", String(tlsPort), "--tls-cert-file", ca, "--tls-key-file", key, "--tls-ca-cert-file", ca, "--tls-auth-clients", "no"],
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("runs a dialogue over TLS when the CA is trusted", async () => {
    const prefix = freshPrefix();
    const env = cliEnv(`rediss://127.0.0.1:${tlsPort}`, { NODE_EXTRA_CA_CERTS: ca });
    const r = await runCli(["run", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", prefix, ...FAST], env);
    expect(r.code, r.stderr).toBe(0);
    const list = await runCli(["list", "--prefix", prefix], env);
    expect(list.stdout).toContain("completed (max_turns)");
  }, 60_000);

  it("an untrusted certificate fails with one line that says how to trust it", async () => {
    const r = await runCli(["list"], cliEnv(`rediss://127.0.0.1:${tlsPort}`), 15_000);
    expect(r.code).toBe(1);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/TLS failed/);
    expect(r.stderr).toMatch(/hint: .*NODE_EXTRA_CA_CERTS/);
  });
});

describe("prefixes", () => {
  it("two prefixes on one Redis never see each other's runs", async () => {
    const a = freshPrefix();
    const b = freshPrefix();
    const env = cliEnv(testRedisUrl());
    const run = await runCli(["run", "--provider", "simulated", "--max-turns", "2", "--plain", "--prefix", a, ...FAST], env);
    expect(run.code).toBe(0);
    const id = /conversation (\S+)/.exec(run.stderr)![1]!;
    expect((await runCli(["list", "--prefix", a], env)).stdout).toContain(id);
    expect((await runCli(["list", "--prefix", b], env)).stdout).not.toContain(id);
    const show = await runCli(["show", id, "--prefix", b], env);
    expect(show.code).toBe(3);
    expect(show.stderr).toMatch(/no conversation .* under prefix/);
  }, 60_000);
});
