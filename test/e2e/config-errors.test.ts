/**
 * The real CLI (`node bin/dialogue.js`) on bad input: exit codes, one-line causes, no stack traces.
 * Every case talks to the test Redis (REDIS_URL) or to none, so no managed redis-server starts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = path.join(root, "bin", "dialogue.js");
const dir = mkdtempSync(path.join(tmpdir(), "dialogue-e2e-config-"));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** runs the CLI with a clean environment: nothing from this machine's DIALOGUE_* or REDIS_URL leaks in */
function dialogue(args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Result {
  const base: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? dir, TMPDIR: tmpdir() };
  const started = Date.now();
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...base, REDIS_URL: testRedisUrl(), DIALOGUE_LOG_LEVEL: "silent", ...env },
    encoding: "utf8",
    timeout: timeoutMs,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

function expectNoStack(r: Result): void {
  const all = `${r.stdout}\n${r.stderr}`;
  expect(all).not.toMatch(/^\s+at /m);
  expect(all).not.toContain("node:internal");
}

const errorLines = (stderr: string): string[] => stderr.split("\n").filter((l) => l.startsWith("error:"));

beforeAll(() => {
  if (existsSync(path.join(root, "dist", "cli", "index.js"))) return;
  const build = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, encoding: "utf8", timeout: 120_000 });
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
}, 130_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("dialogue run: bad configuration", () => {
  it("a config file with three mistakes exits 2 and lists all three, without a stack trace", () => {
    const file = path.join(dir, "three-mistakes.json");
    writeFileSync(
      file,
      JSON.stringify({
        bogus: true,
        limits: { max_turns: -3 },
        agents: [
          { id: "a", role: "first", provider: "nope" },
          { id: "b", role: "second" },
        ],
      }),
    );
    const r = dialogue(["run", "--config", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("3 problems");
    expect(r.stderr).toContain("limits.max_turns");
    expect(r.stderr).toContain("agents.0.provider");
    expect(r.stderr).toMatch(/^  bogus: unknown setting/m);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expectNoStack(r);
  });

  it("a missing config file exits 2 naming the file", () => {
    const missing = path.join(dir, "nowhere.json");
    const r = dialogue(["run", "--config", missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(missing);
    expectNoStack(r);
  });

  it("a bad DIALOGUE_MAX_TURNS exits 2 naming the variable", () => {
    const r = dialogue(["run"], { DIALOGUE_MAX_TURNS: "3.5" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("DIALOGUE_MAX_TURNS");
    expectNoStack(r);
  });

  it("a malformed --set exits 2", () => {
    const r = dialogue(["list", "--set", "limits.max_turns"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--set");
    expectNoStack(r);
  });
});

describe("dialogue run: bad flags", () => {
  it("--max-turns abc exits 2 with a message naming --max-turns", () => {
    const r = dialogue(["run", "--max-turns", "abc"]);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr).join("\n")).toContain("--max-turns");
    expect(r.stderr).toContain("abc");
    expectNoStack(r);
  });

  it.each(["0", "-2", "1.5"])("--max-turns %s exits 2", (value) => {
    const r = dialogue(["run", "--max-turns", value]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--max-turns");
  });

  it("--duration soon exits 2 naming --duration", () => {
    const r = dialogue(["run", "--duration", "soon"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--duration");
  });

  it("--provider nope exits 2 and names the choices", () => {
    const r = dialogue(["run", "--provider", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("nope");
    expect(r.stderr).toContain("simulated");
    expectNoStack(r);
  });

  it("an unknown command exits 2", () => {
    const r = dialogue(["frobnicate"]);
    expect(r.code).toBe(2);
    expectNoStack(r);
  });
});

describe("dialogue show / list against the test Redis", () => {
  it("show of an unknown id exits 3 with one error line naming the id", () => {
    const prefix = freshPrefix();
    const r = dialogue(["show", "does-not-exist", "--prefix", prefix]);
    expect(r.code).toBe(3);
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("does-not-exist");
    expect(r.stdout).toBe("");
    expectNoStack(r);
  });

  it("show of an id that cannot be an id exits 2", () => {
    const r = dialogue(["show", "bad id!", "--prefix", freshPrefix()]);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain("bad id!");
    expectNoStack(r);
  });

  it("list under a fresh prefix exits 0 and says there are no conversations", () => {
    const prefix = freshPrefix();
    const r = dialogue(["list", "--prefix", prefix]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/no conversations/i);
    expect(r.stdout).toContain(prefix);
  });

  it("list --json under a fresh prefix prints nothing and exits 0", () => {
    const r = dialogue(["list", "--json", "--prefix", freshPrefix()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
  });

  it("an invalid --prefix exits 2 naming redis.prefix", () => {
    const r = dialogue(["list", "--prefix", "has space"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("redis.prefix");
    expectNoStack(r);
  });
});

describe("help", () => {
  it("--help exits 0 and lists the commands", () => {
    const r = dialogue(["--help"]);
    expect(r.code).toBe(0);
    for (const cmd of ["run", "list", "show", "manager", "worker"]) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, "m"));
    }
  });

  it("run --help exits 0 and mentions --duration and --max-turns", () => {
    const r = dialogue(["run", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--duration");
    expect(r.stdout).toContain("--max-turns");
  });

  it("--version exits 0 and prints a version", () => {
    const r = dialogue(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("unreachable Redis", () => {
  it("list exits 1 within 6 s with one error line naming the URL", () => {
    const url = "redis://127.0.0.1:1";
    const r = dialogue(["list"], { REDIS_URL: url }, 10_000);
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(6_000);
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(url);
    expectNoStack(r);
  });
});

describe("dialogue run: a hint that fits the problem", () => {
  it.each([
    ["a config file that is not there", () => ["--config", path.join(dir, "nope.json")], /^error: invalid configuration: .*nope\.json: file not found$/m, /^hint: check the path \(read from .+\); dialogue scenarios lists the scenarios that come with dialogue$/m],
    [
      "a config file with a trailing comma",
      () => {
        const file = path.join(dir, "trailing-comma.json");
        writeFileSync(file, '{\n  "limits": {\n    "max_turns": 6,\n  }\n}\n');
        return ["--config", file];
      },
      /^error: invalid configuration: .*trailing-comma\.json: not valid JSON: .*line 4, column 3$/m,
      /^hint: fix the JSON there \(often a comma too many or missing, or a quote\), then run again$/m,
    ],
    ["a directory as the config file", () => ["--config", dir], /^error: invalid configuration: .*: is a directory, not a JSON file$/m, /^hint: name a JSON file$/m],
    ["--set without =", () => ["--set", "bogus"], /^error: invalid configuration: --set: expected path=value, got "bogus"$/m, /^hint: write --set path=value, e.g\. --set limits\.max_turns=6$/m],
    ["an unknown scenario", () => ["--scenario", "nope"], /^error: invalid configuration: --scenario: no scenario "nope" in .*; available: .*town-hall/m, /^hint: dialogue scenarios lists them with their agents; a file of your own: --scenario \.\/my-scene\.json$/m],
  ])("%s: the error and a hint for it, exit 2", (_what, args, error, hint) => {
    const r = dialogue(["run", "--provider", "simulated", "--plain", "--prefix", freshPrefix(), ...args()]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(error);
    expect(r.stderr).toMatch(hint);
    expect(r.stderr.trim().split("\n")).toHaveLength(2);
    expectNoStack(r);
  });
});
