/**
 * The battery of bad input at the edges: configuration files, --set, environment and command-line
 * arguments. Every case exits 2 with exactly one `error:` line that names the field or flag at
 * fault, and no stack trace anywhere.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cliEnv, runCli } from "../helpers/cli.js";
import { testRedisUrl } from "../helpers/redis.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "dialogue-bad-"));
const file = (name: string, content: unknown): string => {
  const p = path.join(dir, name);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
};
const twoAgents = (a: object = {}, b: object = {}) => [
  { id: "a", role: "first", ...a },
  { id: "b", role: "second", ...b },
];

interface Case {
  name: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** what the one error line must name */
  names: RegExp;
  /** a hint line it must give too */
  hint?: RegExp;
}

const cases: Case[] = [
  { name: "a Redis database the server does not have", args: ["list", "--redis-url", `${testRedisUrl().replace(/\/\d*$/, "")}/99`], names: /names database 99, which this Redis does not have/, hint: /leave the \/db part out/ },
  { name: "unknown top-level key", args: ["run", "--config", file("k1.json", { bogus: 1 })], names: /bogus/ },
  { name: "unknown nested key", args: ["run", "--config", file("k2.json", { limits: { max_turnz: 3 } })], names: /limits\.max_turnz/ },
  { name: "wrong type", args: ["run", "--config", file("k3.json", { limits: { max_turns: "ten" } })], names: /limits\.max_turns/ },
  { name: "negative duration", args: ["run", "--config", file("k4.json", { limits: { duration_seconds: -5 } })], names: /limits\.duration_seconds/ },
  { name: "zero duration", args: ["run", "--config", file("k5.json", { limits: { duration_seconds: 0 } })], names: /limits\.duration_seconds/ },
  { name: "unknown agent provider", args: ["run", "--config", file("k6.json", { agents: twoAgents({ provider: "gpt-five" }) })], names: /agents\.0\.provider/ },
  { name: "one agent only", args: ["run", "--config", file("k7.json", { agents: [{ id: "a", role: "x" }] })], names: /agents/ },
  { name: "two agents with one id", args: ["run", "--config", file("k8.json", { agents: [{ id: "a", role: "x" }, { id: "a", role: "y" }] })], names: /agents/ },
  { name: "agent id with a space", args: ["run", "--config", file("k9.json", { agents: twoAgents({ id: "a b" }) })], names: /agents\.0\.id/ },
  { name: "empty model name", args: ["run", "--config", file("k10.json", { agents: twoAgents({}, { model: "" }) })], names: /agents\.1\.model/ },
  { name: "prefix with braces", args: ["run", "--config", file("k11.json", { redis: { prefix: "{x}" } })], names: /redis\.prefix/ },
  { name: "zero max_message_chars", args: ["run", "--config", file("k12.json", { limits: { max_message_chars: 0 } })], names: /limits\.max_message_chars/ },
  { name: "unknown log level", args: ["run", "--config", file("k13.json", { log: { level: "loud" } })], names: /log\.level/ },
  { name: "negative token rate", args: ["run", "--config", file("k14.json", { simulated: { tokens_per_second: -1 } })], names: /simulated\.tokens_per_second/ },
  { name: "zero attempts", args: ["run", "--config", file("k15.json", { queues: { attempts: 0 } })], names: /queues\.attempts/ },
  { name: "scenario with an empty title", args: ["run", "--config", file("k16.json", { scenario: { title: "" } })], names: /scenario\.title/ },
  { name: "config file that is not JSON", args: ["run", "--config", file("k17.json", "{ limits: ")], names: /k17\.json/ },
  { name: "config file that is an array", args: ["run", "--config", file("k18.json", [1, 2])], names: /k18\.json/ },
  { name: "missing config file", args: ["run", "--config", path.join(dir, "absent.json")], names: /absent\.json/ },
  { name: "unknown scenario", args: ["run", "--scenario", "nope"], names: /--scenario/ },
  { name: "redis url that is not a URL", args: ["run", "--redis-url", "localhost"], names: /redis\.url/ },
  { name: "ollama host that is not a URL", args: ["run"], env: { OLLAMA_HOST: "ollama:11434" }, names: /ollama\.host.*OLLAMA_HOST/ },
  { name: "--max-turns abc", args: ["run", "--max-turns", "abc"], names: /--max-turns/ },
  { name: "--duration -5", args: ["run", "--duration", "-5"], names: /--duration/ },
  { name: "--duration 0", args: ["run", "--duration", "0"], names: /--duration/, hint: /^hint: dialogue run --help lists its options/m },
  { name: "--provider nope", args: ["run", "--provider", "nope"], names: /--provider/, hint: /^hint: dialogue run --help lists its options/m },
  { name: "--set without =", args: ["run", "--set", "limits.max_turns"], names: /--set/ },
  { name: "--set to a bad value", args: ["run", "--set", "limits.max_turns=0"], names: /limits\.max_turns/ },
  { name: "DIALOGUE_MAX_TURNS not a number", args: ["run"], env: { DIALOGUE_MAX_TURNS: "lots" }, names: /DIALOGUE_MAX_TURNS/ },
  { name: "DIALOGUE_DURATION_SECONDS negative", args: ["run"], env: { DIALOGUE_DURATION_SECONDS: "-1" }, names: /limits\.duration_seconds.*DIALOGUE_DURATION_SECONDS/ },
  { name: "unknown command", args: ["frobnicate"], names: /frobnicate/, hint: /^hint: dialogue --help lists the commands$/m },
  { name: "a command mistyped", args: ["lst"], names: /unknown command 'lst'/, hint: /\(Did you mean list\?\)\nhint: dialogue --help lists the commands$/m },
  { name: "unknown option", args: ["run", "--frob"], names: /--frob/, hint: /^hint: dialogue run --help lists its options/m },
  { name: "a remark that begins with a dash", args: ["say", "20261121-115554-e2d74", "--as", "narrator", "-5 degrees outside"], names: /-5 degrees outside/, hint: /^hint: text that begins with "-" goes after --/m },
  { name: "worker without --pool", args: ["worker"], names: /--pool/, hint: /^hint: dialogue worker --help lists its options/m },
  { name: "worker pool with a space", args: ["worker", "--pool", "a b"], names: /--pool/ },
  { name: "worker --concurrency 0", args: ["worker", "--pool", "a", "--concurrency", "0"], names: /--concurrency/ },
  { name: "list --limit 0", args: ["list", "--limit", "0"], names: /--limit/, hint: /^hint: dialogue list --help lists its options/m },
  { name: "show with a malformed id", args: ["show", "../etc/passwd"], names: /etc\/passwd/ },
  { name: "show without an id", args: ["show"], names: /id/, hint: /^hint: dialogue show --help lists its options/m },
];

async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

describe("bad input battery", () => {
  it(`has at least 25 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it("every case exits 2 with one error line naming its field, and no stack trace", async () => {
    const results = await pool(cases, 4, (c) => runCli(c.args, cliEnv(testRedisUrl(), c.env ?? {}), 20_000));
    const failures: string[] = [];
    for (const [i, r] of results.entries()) {
      const c = cases[i]!;
      const errorLines = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
      const problems: string[] = [];
      if (r.code !== 2) problems.push(`exit ${r.code}`);
      if (errorLines.length !== 1) problems.push(`${errorLines.length} error lines`);
      else if (!c.names.test(errorLines[0]!)) problems.push(`error line does not name ${c.names}`);
      if (c.hint && !c.hint.test(r.stderr)) problems.push(`no hint matching ${c.hint}`);
      if (/^\s+at /m.test(r.stderr + r.stdout) || /node:internal/.test(r.stderr)) problems.push("stack trace");
      if (problems.length) failures.push(`${c.name}: ${problems.join(", ")}\n    ${r.stderr.trim().replace(/\n/g, "\n    ")}`);
    }
    expect(failures, failures.join("\n")).toEqual([]);
  }, 120_000);
});
