/**
 * The command line's awkward cases (issue 10): each ends with one `error:` line (and a hint), the
 * right exit code, no stack trace, and nothing left behind — no stray file, no run left pending.
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { BIN, childrenOf, cliEnv, exited, runCli, startCli, waitFor, type CliResult } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { cli, FAST, simulatedRun } from "../helpers/runs.js";

const dir = mkdtempSync(path.join(tmpdir(), "dialogue-cli-cases-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** exit code, exactly one `error:` line that matches `names`, no stack trace */
function expectOneLine(r: CliResult, code: number, names: RegExp): void {
  const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
  expect(r.code, r.stderr).toBe(code);
  expect(errors, r.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(names);
  expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/^\s+at |node:internal|Unhandled/m);
}

describe("export --out", () => {
  const prefix = freshPrefix();
  let id = "";
  beforeAll(async () => {
    id = (await simulatedRun(prefix, ["--max-turns", "2", ...FAST])).id;
  }, 90_000);

  /** the export into `out`, and every file then in `where` */
  const exportTo = async (out: string, where: string): Promise<{ r: CliResult; files: string[] }> => {
    const r = await cli(prefix, ["export", id, "--format", "html", "--out", out]);
    return { r, files: readdirSync(where) };
  };

  it("to a missing directory: one line naming the directory and how to make it, exit 2, nothing written", async () => {
    const where = mkdtempSync(path.join(dir, "missing-"));
    const out = path.join(where, "no", "such", "x.html");
    const { r, files } = await exportTo(out, where);
    expectOneLine(r, 2, new RegExp(`${path.join(where, "no", "such")}.*does not exist`));
    expect(r.stderr).toContain(`hint: create it first (mkdir -p ${path.join(where, "no", "such")})`);
    expect(files).toEqual([]);
  });

  it("to a directory: one line saying so, exit 2, no stray partial file beside it", async () => {
    const where = mkdtempSync(path.join(dir, "dir-"));
    const target = path.join(where, "reports");
    mkdirSync(target);
    const { r, files } = await exportTo(target, where);
    expectOneLine(r, 2, /--out .*reports is a directory/);
    expect(r.stderr).toContain(`hint: name a file in it, e.g. --out ${path.join(target, "run.html")}`);
    expect(files).toEqual(["reports"]);
    expect(readdirSync(target)).toEqual([]);
    // the example names a file of the format asked for
    const md = await cli(prefix, ["export", id, "--format", "md", "--out", target]);
    expectOneLine(md, 2, /--out .*reports is a directory/);
    expect(md.stderr).toContain(`hint: name a file in it, e.g. --out ${path.join(target, "run.md")}`);
  });

  it("to a named pipe: refused at once (never waits for a reader), exit 2, the pipe left as it was", async () => {
    const where = mkdtempSync(path.join(dir, "fifo-"));
    const fifo = path.join(where, "pipe.html");
    execFileSync("mkfifo", [fifo]);
    const { r, files } = await exportTo(fifo, where);
    expectOneLine(r, 2, /is a named pipe, not a regular file/);
    expect(files).toEqual(["pipe.html"]);
    expect(execFileSync("stat", ["-c", "%F", fifo], { encoding: "utf8" }).trim()).toBe("fifo");
  });

  it("to a device: refused, never replaced by a file", async () => {
    // root could rename a file over /dev/null itself (the bug this guards against did): root gets a
    // null device of its own in a temporary directory; anyone else may use /dev/null safely
    const root = process.getuid?.() === 0;
    const device = root ? path.join(mkdtempSync(path.join(dir, "dev-")), "null") : "/dev/null";
    if (root) execFileSync("mknod", ["-m", "666", device, "c", "1", "3"]);
    const r = await cli(prefix, ["export", id, "--out", device]);
    expectOneLine(r, 2, /is a device, not a regular file/);
    expect(execFileSync("stat", ["-c", "%F", device], { encoding: "utf8" }).trim()).toBe("character special file");
  });

  it("to a place it may not write: one line naming the cause, exit 2, nothing written", async () => {
    // root may write anywhere a mode allows, but not into sysfs; others meet a read-only directory
    const root = process.getuid?.() === 0;
    const where = root ? "/sys" : mkdtempSync(path.join(dir, "ro-"));
    if (!root) execFileSync("chmod", ["555", where]);
    const before = readdirSync(where);
    const r = await cli(prefix, ["export", id, "--out", path.join(where, "x.html")]);
    expectOneLine(r, 2, /cannot write .*x\.html: (permission denied|read-only file system)/);
    expect(readdirSync(where)).toEqual(before);
  });

  it("under a path through a regular file: one line, exit 2", async () => {
    const file = path.join(dir, "plain.txt");
    writeFileSync(file, "x");
    const r = await cli(prefix, ["export", id, "--out", path.join(file, "x.html")]);
    expectOneLine(r, 2, /cannot write .*plain\.txt\/x\.html: a part of the path is not a directory/);
  });

  it("to a good file: written whole, with nothing else beside it", async () => {
    const where = mkdtempSync(path.join(dir, "ok-"));
    const { r, files } = await exportTo(path.join(where, "run.html"), where);
    expect(r.code, r.stderr).toBe(0);
    expect(files).toEqual(["run.html"]);
  });
});

describe("--config and --scenario that are not regular files", () => {
  const prefix = freshPrefix();
  const where = mkdtempSync(path.join(dir, "special-"));
  const fifo = path.join(where, "fifo.json");
  const sock = path.join(where, "sock.json");
  let server: Server;
  beforeAll(async () => {
    execFileSync("mkfifo", [fifo]);
    server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const specials: Array<[string, () => string, RegExp]> = [
    ["a named pipe (nobody writes to it)", () => fifo, /is a named pipe, not a JSON file/],
    ["a directory", () => where, /is a directory, not a JSON file/],
    ["/dev/zero (endless)", () => "/dev/zero", /is a device, not a JSON file/],
    ["a socket", () => sock, /is a socket, not a JSON file/],
  ];
  for (const flag of ["--config", "--scenario"]) {
    it.each(specials)(`${flag} naming %s: one line naming the file, exit 2, at once`, async (_, file, says) => {
      const r = await cli(prefix, ["run", "--provider", "simulated", flag, file()], 15_000);
      expectOneLine(r, 2, says);
      expect(r.stderr).toContain(file());
      // no conversation was created
      expect((await cli(prefix, ["list", "--json"])).stdout).toBe("");
    });
  }

  it("DIALOGUE_CONFIG naming a named pipe: the same", async () => {
    const r = await runCli(["run", "--provider", "simulated", "--prefix", prefix], cliEnv(testRedisUrl(), { DIALOGUE_CONFIG: fifo }), 15_000);
    expectOneLine(r, 2, /fifo\.json: is a named pipe/);
  });
});

describe("counts and durations are parsed strictly", () => {
  const NUMBERS = ["0x10", "1e3", "Infinity", "NaN", " 5", "5abc", ""];
  const AGES = ["0x10d", "1e3s", "Infinityd", " 7d", "7 d", "7dx", "07d", ""];
  const WINDOWS = ["0x5t", "1e1s", "Infinityt", " 5t", "5 t", "5tx", "05t", ""];
  const flags: Array<{ flag: string; args: (v: string) => string[]; values: string[] }> = [
    { flag: "--duration", args: (v) => ["run", "--duration", v], values: [...NUMBERS, "-5"] },
    { flag: "--max-turns", args: (v) => ["run", "--max-turns", v], values: [...NUMBERS, "-2", "1.5"] },
    { flag: "--max-tokens", args: (v) => ["run", "--max-tokens", v], values: NUMBERS },
    { flag: "--threads", args: (v) => ["run", "--threads", v], values: [...NUMBERS, "0"] },
    { flag: "--seed", args: (v) => ["run", "--seed", v], values: [...NUMBERS, "4.2"] },
    { flag: "--count", args: (v) => ["run", "--count", v], values: [...NUMBERS, "0"] },
    { flag: "--concurrency", args: (v) => ["worker", "--pool", "a", "--concurrency", v], values: NUMBERS },
    { flag: "--limit", args: (v) => ["list", "--limit", v], values: NUMBERS },
    { flag: "--speed", args: (v) => ["replay", "20261121-143005-k3f9a", "--speed", v], values: [...NUMBERS, "-1"] },
    { flag: "--since", args: (v) => ["list", "--since", v], values: [...AGES, "2026-02-30"] },
    { flag: "--older-than", args: (v) => ["purge", "--older-than", v, "--yes"], values: AGES },
    { flag: "--window", args: (v) => ["analyze", "20261121-143005-k3f9a", "--window", v], values: WINDOWS },
  ];
  const prefix = freshPrefix();

  it(`every number flag refuses every non-decimal form with one line naming the flag and its form, exit 2 (${flags.length} flags)`, async () => {
    const cases = flags.flatMap((f) => f.values.map((v) => ({ ...f, value: v })));
    const failures: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        while (next < cases.length) {
          const c = cases[next++]!;
          const r = await cli(prefix, c.args(c.value), 20_000);
          const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
          const wrong: string[] = [];
          if (r.code !== 2) wrong.push(`exit ${r.code}`);
          if (errors.length !== 1) wrong.push(`${errors.length} error lines`);
          else if (!errors[0]!.includes(c.flag)) wrong.push("the error does not name the flag");
          else if (!/like \d|e\.g\. |use /.test(r.stderr)) wrong.push("no accepted form given");
          if (/^\s+at /m.test(r.stderr)) wrong.push("stack trace");
          if (wrong.length > 0) failures.push(`${c.flag} ${JSON.stringify(c.value)}: ${wrong.join(", ")}\n    ${r.stderr.trim().replace(/\n/g, "\n    ")}`);
        }
      }),
    );
    expect(failures, failures.join("\n")).toEqual([]);
  }, 180_000);

  it("--duration 0x10 (accepted as 16 before) names --duration and the plain form", async () => {
    const r = await cli(prefix, ["run", "--provider", "simulated", "--duration", "0x10"]);
    expectOneLine(r, 2, /--duration must be a positive number like 30 or 2\.5 .*got "0x10"/);
    expect((await cli(prefix, ["list", "--json"])).stdout).toBe("");
  });

  it("--set and env numbers too: --set limits.max_turns=0x10 and DIALOGUE_MAX_TURNS=1e3 are refused", async () => {
    const set = await cli(prefix, ["run", "--provider", "simulated", "--set", "limits.max_turns=0x10"]);
    expectOneLine(set, 2, /limits\.max_turns .*plain decimal digits/);
    const env = await runCli(["run", "--provider", "simulated", "--prefix", prefix], cliEnv(testRedisUrl(), { DIALOGUE_MAX_TURNS: "1e3" }));
    expectOneLine(env, 2, /DIALOGUE_MAX_TURNS: expected a whole number like 12/);
  });
});

describe("no secret echoed in any error", () => {
  const SECRET = "sk-live-NEVER-SHOWN-4c1a9e";
  const DIGITS = "740019932551846";
  const PW = "pw-NEVER-SHOWN-77x";
  const prefix = freshPrefix();
  const where = mkdtempSync(path.join(dir, "secrets-"));
  const conf = (name: string, text: string): string => {
    const file = path.join(where, name);
    writeFileSync(file, text);
    return file;
  };
  const cases: Array<{ name: string; args: string[]; env?: NodeJS.ProcessEnv; names: RegExp }> = [
    { name: "--set openai.api_key of the wrong type (digits)", args: ["--set", `openai.api_key=${DIGITS}`], names: /openai\.api_key \(from --set openai\.api_key=\*\*\*\)/ },
    { name: "--set openai.api_key of the wrong type (a list)", args: ["--set", `openai.api_key=["${SECRET}"]`], names: /openai\.api_key/ },
    { name: "--set openai.api_key without =", args: ["--set", `openai.api_key:${SECRET}`], names: /--set: expected path=value, got "openai\.api_key:\*\*\*"/ },
    { name: "--set openai.api_key with a space for =", args: ["--set", `openai.api_key ${SECRET}`], names: /--set/ },
    { name: "--set a future *_token setting", args: ["--set", `openai.access_token=${SECRET}`], names: /openai\.access_token: unknown setting/ },
    { name: "--set redis.url with a password, not a URL", args: ["--set", `redis.url=redis://:${PW}@no host`], names: /redis\.url \(from --set redis\.url=redis:\/\/:\*\*\*@no host\)/ },
    { name: "--redis-url with a password, not a URL", args: ["--redis-url", `redis://:${PW}@no host`], names: /redis\.url \(from the command line\)/ },
    { name: "REDIS_URL with a password, not a URL", args: [], env: { REDIS_URL: `redis://:${PW}@no host` }, names: /redis\.url \(from REDIS_URL\)/ },
    { name: "OPENAI_API_KEY beside a bad variable", args: [], env: { OPENAI_API_KEY: SECRET, DIALOGUE_MAX_TURNS: SECRET }, names: /DIALOGUE_MAX_TURNS/ },
    { name: "a config file with the key of the wrong type", args: ["--config", conf("type.json", `{"openai":{"api_key":${DIGITS}}}`)], names: /openai\.api_key/ },
    {
      name: "a config file with a JSON mistake right after the key",
      args: ["--config", conf("syntax.json", `{\n  "openai": {"api_key": ${SECRET}}\n}`)],
      names: /syntax\.json: not valid JSON: Unexpected token 's' at line 2, column 25/,
    },
    {
      name: "a config file with a JSON mistake further on",
      args: ["--config", conf("syntax2.json", `{"openai": {"api_key": "${SECRET}"} "limits": {}}`)],
      names: /syntax2\.json: not valid JSON: .* at line 1, column \d+/,
    },
    { name: "a config file with a good key and a bad limit", args: ["--config", conf("limit.json", JSON.stringify({ openai: { api_key: SECRET }, limits: { max_turns: -1 } }))], names: /limits\.max_turns/ },
    {
      name: "a config file with a Redis password in a bad URL",
      args: ["--config", conf("url.json", JSON.stringify({ redis: { url: `redis://:${PW}@no host` } }))],
      env: { REDIS_URL: "" }, // the file's URL, not the test Redis
      names: /redis\.url/,
    },
  ];

  it(`${cases.length} ways to get the configuration wrong with a secret in it: one line, exit 2, the secret on no output and in no log`, async () => {
    const failures: string[] = [];
    for (const [i, c] of cases.entries()) {
      const log = path.join(where, `case-${i}.log`);
      for (const command of [["run", "--provider", "simulated"], ["doctor"]]) {
        const env = cliEnv(testRedisUrl(), { DIALOGUE_LOG_FILE: log, ...c.env });
        const r = await runCli([...command, "--prefix", prefix, ...c.args], env, 20_000);
        const all = `${r.stdout}\n${r.stderr}`;
        const wrong: string[] = [];
        if (command[0] === "run") {
          const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
          if (r.code !== 2) wrong.push(`exit ${r.code}`);
          if (errors.length !== 1 || !c.names.test(errors[0]!)) wrong.push(`error line does not name ${c.names}`);
        } else if (r.code === 0) wrong.push("doctor found nothing wrong");
        for (const secret of [SECRET, DIGITS, PW]) if (all.includes(secret)) wrong.push(`${secret} shown`);
        if (existsSync(log) && /NEVER-SHOWN|740019932551846/.test(readFileSync(log, "utf8"))) wrong.push("the secret is in the log");
        if (wrong.length > 0) failures.push(`${command[0]}: ${c.name}: ${wrong.join(", ")}\n    ${r.stderr.trim().replace(/\n/g, "\n    ")}`);
      }
    }
    expect(failures, failures.join("\n")).toEqual([]);
  }, 180_000);
});

describe("configurations of any size reach the children", () => {
  const KEY = "sk-config-file-KEY-5e7d0b";
  const where = mkdtempSync(path.join(dir, "big-"));
  /** a legal configuration of over 1 MB: a long premise, as a pasted briefing would make it */
  const big = path.join(where, "big.json");
  writeFileSync(
    big,
    JSON.stringify({
      scenario: { title: "The long briefing", premise: `Two colleagues go through a long briefing. ${"The figures for each quarter follow. ".repeat(30_000)}` },
      openai: { api_key: KEY },
    }),
  );
  const FAST_STALL = ["--set", "queues.lock_duration_ms=1500", "--set", "queues.stalled_interval_ms=500"];
  const SLOW_SIM = ["--set", "simulated.tokens_per_second=40", "--set", "simulated.time_to_first_token_ms=50"];
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(testRedisUrl());
  });
  afterAll(async () => {
    await redis.quit();
  });

  it("is over 1 MB (an environment variable stops at 128 KB)", () => {
    expect(statSync(big).size).toBeGreaterThan(1_000_000);
  });

  it("dialogue run: the children get it (not in their environment or arguments), a restarted worker too, and the run completes", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const run = startCli(["run", "--config", big, "--provider", "simulated", "--max-turns", "4", "--plain", "--prefix", prefix, ...SLOW_SIM, ...FAST_STALL], cliEnv(testRedisUrl()));
    const id = await waitFor("the conversation", async () => (await store.listIds())[0], 30_000);
    await waitFor("turn 2 generating", async () => (await redis.xlen(store.keys.tokens(id))) > 0 && (await store.readLog(id)).length >= 1, 60_000, 20);
    const children = await childrenOf(run.pid!);
    expect(children.length).toBe(3);
    for (const c of children) {
      // what `ps` and /proc show of a child: no configuration, no key
      expect(c.args).not.toContain(KEY);
      expect(readFileSync(`/proc/${c.pid}/environ`, "utf8")).not.toContain(KEY);
      expect(readFileSync(`/proc/${c.pid}/environ`, "utf8")).not.toContain("The figures for each quarter");
    }
    const rec = (await store.get(id))!;
    const worker = children.find((c) => c.args.includes(`--pool ${rec.spec.agents[1]!.pool}`))!;
    process.kill(worker.pid, "SIGKILL");

    const { code } = await exited(run, 90_000);
    expect(code, run.err()).toBe(0);
    expect(run.err()).toMatch(/worker .* exited \(SIGKILL\); restarting/);
    const msgs = await store.readLog(id);
    expect(msgs.map((m) => m.metadata.sequence_number)).toEqual([1, 2, 3, 4]);
    // the restarted worker (another pid) was configured: it served this prefix
    expect(msgs.filter((m) => m.metadata.agent_id === rec.spec.agents[1]!.id).some((m) => m.metadata.worker.pid !== worker.pid)).toBe(true);
    expect((await store.get(id))!.stop_reason).toBe("max_turns");
    expect(rec.spec.scenario.premise.length).toBeGreaterThan(1_000_000);
  }, 150_000);

  it("dialogue run --count 2: both conversations complete", async () => {
    const prefix = freshPrefix();
    const r = await cli(prefix, ["run", "--count", "2", "--config", big, "--provider", "simulated", "--max-turns", "2", ...FAST], 120_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 conversations: 2 completed/);
  }, 150_000);
});

describe("when the launcher cannot start its children", () => {
  it("the run it created ends with stop reason error and the cause (never left pending), exit 1, one line; purge removes it", async () => {
    const prefix = freshPrefix();
    const where = mkdtempSync(path.join(dir, "node-"));
    // a Node binary that is gone by the time the launcher starts its children, as after an upgrade:
    // a second name for it (a copy where a hard link is not allowed), removed once it is running
    const node = path.join(where, "node");
    try {
      linkSync(process.execPath, node);
    } catch {
      copyFileSync(process.execPath, node);
      chmodSync(node, 0o755);
    }
    const p = spawn(node, [BIN, "run", "--provider", "simulated", "--plain", "--prefix", prefix], { env: cliEnv(testRedisUrl()), stdio: ["ignore", "pipe", "pipe"] });
    rmSync(node);
    let stderr = "";
    p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const { code } = await exited(p, 60_000);
    const errors = stderr.split("\n").filter((l) => l.startsWith("error:"));
    expect(code, stderr).toBe(1);
    expect(errors).toEqual([expect.stringMatching(/^error: could not start the (manager|worker \w+) process: spawn .*ENOENT$/)]);
    expect(stderr).toMatch(/hint: conversation \S+ ended with stop reason "error"/);

    const listed = (await cli(prefix, ["list", "--json"])).stdout.trim().split("\n").map((l) => JSON.parse(l) as { id: string; status: string; stop_reason: string });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ status: "failed", stop_reason: "error" });
    const shown = await cli(prefix, ["show", listed[0]!.id]);
    expect(shown.stdout).toMatch(/error: could not start the .* process: spawn .*ENOENT/);
    const purged = await cli(prefix, ["purge", listed[0]!.id, "--yes"]);
    expect(purged.code, purged.stderr).toBe(0);
    expect((await cli(prefix, ["list", "--json"])).stdout).toBe("");
  }, 90_000);
});
