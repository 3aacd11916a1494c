import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configDir, load, type LoadOptions, type Problem } from "../../src/config/load.js";
import { runConfig } from "../../src/cli/launch.js";
import { ConfigSchema } from "../../src/config/schema.js";
import { applyCastFlags } from "../../src/config/cast-flags.js";

const dir = mkdtempSync(path.join(tmpdir(), "dialogue-config-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
/** writes `content` (an object is JSON-encoded) to a fresh temp file and returns its path */
function tempFile(content: unknown): string {
  const file = path.join(dir, `config-${++fileCount}.json`);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

/** load() with an empty environment unless the test passes one */
const loadClean = (opts: LoadOptions = {}) => load({ env: {}, ...opts });

function configOf(opts: LoadOptions = {}) {
  const r = loadClean(opts);
  expect(r.problems).toEqual([]);
  expect(r.config).not.toBeNull();
  return r.config!;
}

const paths = (problems: Problem[]): string[] => problems.map((p) => p.path).sort();

const defaultJson = JSON.parse(readFileSync(path.join(configDir(), "default.json"), "utf8")) as {
  agents: Array<{ id: string }>;
  scenario: { title: string; premise: string };
};

describe("load(): defaults and config/default.json", () => {
  it("gives a complete configuration with zod defaults when nothing is given", () => {
    const r = loadClean();
    expect(r.problems).toEqual([]);
    const c = r.config!;
    // not in config/default.json, so these come from the schema's defaults
    expect(c.redis.connect_timeout_ms).toBe(5000);
    expect(c.queues.worker_concurrency).toBe(1);
    expect(c.queues.manager_concurrency).toBe(50);
    expect(c.openai).toEqual({ base_url: null, api_key: null, max_retries: 0, timeout_ms: 600_000 });
    expect(c.embedded).toMatchObject({ model_file: null, threads: null, context_size: 4096, max_tokens: 1024 });
    expect(c.context).toEqual({ strategy: "summarize", reserve_tokens: 512, window_tokens: null });
    expect(c.manager).toEqual({ options: {} });
    // in both
    expect(c.provider).toBe("auto");
    expect(c.limits).toEqual({
      duration_seconds: 120,
      max_turns: 12,
      max_total_tokens: null,
      max_message_chars: 4000,
      history_turns: 40,
      stop_on_loop: true,
      loop_threshold: 0.6,
      loop_turns: 3,
      human_turn_seconds: 120,
    });
    expect(c.redis.url).toBeNull();
    expect(c.redis.prefix).toBe("dialogue");
    expect(c.ollama.host).toBe("http://127.0.0.1:11434");
  });

  it("the schema alone (no files) fills every section", () => {
    const c = ConfigSchema.parse({});
    expect(c.agents.map((a) => a.id)).toEqual(["a", "b"]);
    expect(c.limits.max_turns).toBe(12);
    expect(c.redis.managed).toEqual({ port: 6479, data_dir: null, autostart: null });
    expect(c.redis.cluster).toBe("auto");
    expect(c.presence).toEqual({ heartbeat_ms: 2000, wait_seconds: 60, check_timeout_ms: 10_000 });
    expect(c.log).toEqual({ level: "info", file: null });
  });

  it("layers config/default.json over the schema defaults and reports it as a source", () => {
    const r = loadClean();
    expect(r.sources).toEqual([path.join(configDir(), "default.json")]);
    // default.json's agents and scenario differ from the schema's built-in ones
    expect(r.config!.agents.map((a) => a.id)).toEqual(defaultJson.agents.map((a) => a.id));
    expect(r.config!.agents.map((a) => a.id)).not.toEqual(["a", "b"]);
    expect(r.config!.scenario.premise).toBe(defaultJson.scenario.premise);
    expect(r.config!.scenario.setting).toBeTruthy();
  });

  it("does not read the machine's environment when env is given", () => {
    const saved = process.env.DIALOGUE_MAX_TURNS;
    process.env.DIALOGUE_MAX_TURNS = "77";
    try {
      expect(configOf().limits.max_turns).toBe(12);
      expect(load({ env: { DIALOGUE_MAX_TURNS: "77" } }).config!.limits.max_turns).toBe(77);
    } finally {
      if (saved === undefined) delete process.env.DIALOGUE_MAX_TURNS;
      else process.env.DIALOGUE_MAX_TURNS = saved;
    }
  });
});

describe("load(): precedence flags > env > file > defaults", () => {
  it("a config file beats config/default.json, and objects merge key by key", () => {
    const file = tempFile({ limits: { max_turns: 20 }, scenario: { title: "From the file", premise: "p" } });
    const r = loadClean({ configFile: file });
    expect(r.problems).toEqual([]);
    expect(r.sources).toEqual([path.join(configDir(), "default.json"), file]);
    expect(r.config!.limits.max_turns).toBe(20);
    // keys the file does not name keep their default.json values
    expect(r.config!.limits.duration_seconds).toBe(120);
    expect(r.config!.limits.max_message_chars).toBe(4000);
    expect(r.config!.scenario.title).toBe("From the file");
    expect(r.config!.redis.prefix).toBe("dialogue");
  });

  it("a relative config path resolves against the working directory", () => {
    const file = tempFile({ limits: { max_turns: 21 } });
    const rel = path.relative(process.cwd(), file);
    expect(configOf({ configFile: rel }).limits.max_turns).toBe(21);
  });

  it("DIALOGUE_CONFIG names the file when no configFile is given", () => {
    const file = tempFile({ limits: { max_turns: 22 } });
    expect(load({ env: { DIALOGUE_CONFIG: file } }).config!.limits.max_turns).toBe(22);
  });

  const fileValues = {
    redis: { url: "redis://file:6379" },
    ollama: { host: "http://file:11434" },
    provider: "ollama",
    model: "file-model",
    limits: { max_turns: 20, duration_seconds: 60 },
  };
  const envValues = {
    REDIS_URL: "redis://env:6379",
    OLLAMA_HOST: "http://env:11434",
    DIALOGUE_PROVIDER: "simulated",
    DIALOGUE_MODEL: "env-model",
    DIALOGUE_MAX_TURNS: "30",
    DIALOGUE_DURATION_SECONDS: "45.5",
  };

  it("env beats the config file", () => {
    const c = configOf({ configFile: tempFile(fileValues), env: envValues });
    expect(c.redis.url).toBe("redis://env:6379");
    expect(c.ollama.host).toBe("http://env:11434");
    expect(c.provider).toBe("simulated");
    expect(c.model).toBe("env-model");
    expect(c.limits.max_turns).toBe(30);
    expect(c.limits.duration_seconds).toBe(45.5);
  });

  it("the file's values stand where env says nothing (empty variables count as unset)", () => {
    const c = configOf({ configFile: tempFile(fileValues), env: { REDIS_URL: "", DIALOGUE_MAX_TURNS: "" } });
    expect(c.redis.url).toBe("redis://file:6379");
    expect(c.ollama.host).toBe("http://file:11434");
    expect(c.provider).toBe("ollama");
    expect(c.limits.max_turns).toBe(20);
  });

  it("the other env variables reach their settings", () => {
    const c = configOf({
      env: {
        OPENAI_BASE_URL: "http://127.0.0.1:1234/v1",
        OPENAI_API_KEY: "sk-test",
        DIALOGUE_PREFIX: "other",
        DIALOGUE_MAX_TOTAL_TOKENS: "900",
        DIALOGUE_SEED: "42",
        DIALOGUE_LOG_LEVEL: "debug",
        DIALOGUE_LOG_FILE: "/tmp/x.log",
        DIALOGUE_REDIS_DATA_DIR: "/tmp/redis-data",
        DIALOGUE_REDIS_PORT: "7000",
        DIALOGUE_MODEL_FILE: "/models/small.gguf",
        DIALOGUE_THREADS: "3",
        DIALOGUE_REDIS_CLUSTER: "yes",
      },
    });
    expect(c.openai).toMatchObject({ base_url: "http://127.0.0.1:1234/v1", api_key: "sk-test" });
    expect(c.embedded.model_file).toBe("/models/small.gguf");
    expect(c.embedded.threads).toBe(3);
    expect(c.redis.prefix).toBe("other");
    expect(c.limits.max_total_tokens).toBe(900);
    expect(c.seed).toBe(42);
    expect(c.log).toEqual({ level: "debug", file: "/tmp/x.log" });
    expect(c.redis.managed).toEqual({ port: 7000, data_dir: "/tmp/redis-data", autostart: null });
    expect(c.redis.cluster).toBe("yes");
  });

  it("flags (overrides) beat env", () => {
    const c = configOf({
      configFile: tempFile(fileValues),
      env: envValues,
      overrides: {
        "redis.url": "redis://flag:6379",
        "ollama.host": "http://flag:11434",
        provider: "embedded",
        model: "flag-model",
        "limits.max_turns": 40,
      },
    });
    expect(c.redis.url).toBe("redis://flag:6379");
    expect(c.ollama.host).toBe("http://flag:11434");
    expect(c.provider).toBe("embedded");
    expect(c.model).toBe("flag-model");
    expect(c.limits.max_turns).toBe(40);
    // env still wins where no flag was given
    expect(c.limits.duration_seconds).toBe(45.5);
  });

  it("an override whose value is undefined (flag not given) changes nothing", () => {
    const c = configOf({ env: { DIALOGUE_MAX_TURNS: "30" }, overrides: { "limits.max_turns": undefined } });
    expect(c.limits.max_turns).toBe(30);
  });

  it("arrays (agents) from a later layer replace the earlier array instead of merging", () => {
    const agents = [
      { id: "x", role: "first role" },
      { id: "y", role: "second role" },
    ];
    const c = configOf({ configFile: tempFile({ agents }) });
    expect(c.agents).toEqual([
      { id: "x", role: "first role", kind: "model", options: {} },
      { id: "y", role: "second role", kind: "model", options: {} },
    ]);
    // none of default.json's agent fields (goal) leaked into the replacement
    expect(c.agents.some((a) => a.goal !== undefined)).toBe(false);
  });

  it("a one-agent array replaces (not merges into) the two default agents, so it is a problem", () => {
    const r = loadClean({ configFile: tempFile({ agents: [{ id: "solo", role: "alone" }] }) });
    expect(r.config).toBeNull();
    expect(paths(r.problems)).toEqual(["agents"]);
  });
});

describe("load(): --set", () => {
  it("sets a dotted path to a typed value", () => {
    const c = configOf({ sets: ["limits.max_turns=6", "limits.max_total_tokens=null", "provider=simulated"] });
    expect(c.limits.max_turns).toBe(6);
    expect(c.limits.max_total_tokens).toBeNull();
    expect(c.provider).toBe("simulated");
  });

  it("reaches into arrays by index without dropping the other elements", () => {
    const c = configOf({ sets: ["agents.1.provider=simulated"] });
    expect(c.agents[1]!.provider).toBe("simulated");
    expect(c.agents.map((a) => a.id)).toEqual(defaultJson.agents.map((a) => a.id));
    expect(c.agents[0]!.provider).toBeUndefined();
  });

  it("an agent the configuration does not list is one problem that says where the others come from, not a half agent", () => {
    const r = loadClean({ sets: ["agents.2.options.end_after_turns=3"] });
    expect(r.config).toBeNull();
    expect(r.problems).toEqual([
      expect.objectContaining({ path: "agents.2.options.end_after_turns", message: expect.stringMatching(/^the configuration lists 2 agents \(traveller, local\), numbered from 0; .+ set it as cast\.0\./) }),
    ]);
  });

  it("beats env", () => {
    expect(configOf({ env: { DIALOGUE_MAX_TURNS: "30" }, sets: ["limits.max_turns=6"] }).limits.max_turns).toBe(6);
  });

  it.each(["limits.max_turns", "=6", ""])("a malformed --set %j is a problem on --set", (s) => {
    const r = loadClean({ sets: [s] });
    expect(r.config).toBeNull();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.path).toBe("--set");
    if (s) expect(r.problems[0]!.message).toContain(s);
  });

  it("a --set value of the wrong type is a problem on that path", () => {
    const r = loadClean({ sets: ["limits.max_turns=many"] });
    expect(paths(r.problems)).toEqual(["limits.max_turns"]);
  });
});

describe("load(): problems name the field", () => {
  it.each([
    ["limits.max_turns", { limits: { max_turns: "many" } }],
    ["provider", { provider: 5 }],
    ["redis.url", { redis: { url: 42 } }],
    ["log.level", { log: { level: "loud" } }],
    ["agents.1.role", { agents: [{ id: "a", role: "r" }, { id: "b", role: 3 }] }],
  ])("a wrong type at %s", (where, content) => {
    const r = loadClean({ configFile: tempFile(content) });
    expect(r.config).toBeNull();
    expect(paths(r.problems)).toEqual([where]);
  });

  it.each([
    ["limits.duration_seconds", -5],
    ["limits.duration_seconds", 0],
    ["queues.lock_duration_ms", 0],
    ["queues.stalled_interval_ms", -1],
    ["redis.connect_timeout_ms", -1000],
    ["limits.max_turns", 0],
  ])("%s = %d is rejected", (where, value) => {
    const r = loadClean({ sets: [`${where}=${value}`] });
    expect(r.config).toBeNull();
    expect(paths(r.problems)).toEqual([where]);
  });

  it.each([
    ["provider", { provider: "nope" }],
    ["manager.provider", { manager: { provider: "nope" } }],
    ["agents.0.provider", { agents: [{ id: "a", role: "r", provider: "nope" }, { id: "b", role: "s" }] }],
  ])("an unknown provider at %s", (where, content) => {
    const r = loadClean({ configFile: tempFile(content) });
    expect(r.config).toBeNull();
    expect(paths(r.problems)).toEqual([where]);
  });

  it("an unknown provider from DIALOGUE_PROVIDER is a problem on provider", () => {
    const r = loadClean({ env: { DIALOGUE_PROVIDER: "nope" } });
    expect(r.config).toBeNull();
    expect(paths(r.problems)).toEqual(["provider"]);
  });

  it.each(["3.5", "abc", "1e400"])("DIALOGUE_MAX_TURNS=%s is a problem naming the variable", (raw) => {
    const r = loadClean({ env: { DIALOGUE_MAX_TURNS: raw } });
    expect(r.config).toBeNull();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.path).toBe("DIALOGUE_MAX_TURNS");
    expect(r.problems[0]!.message).toContain(raw);
  });

  it("DIALOGUE_DURATION_SECONDS must be a number", () => {
    const r = loadClean({ env: { DIALOGUE_DURATION_SECONDS: "soon" } });
    expect(paths(r.problems)).toEqual(["DIALOGUE_DURATION_SECONDS"]);
  });

  // A problem's path is "the dotted path of the offending value": for an unknown key that is
  // the key itself, not the object that holds it.
  it.each([
    ["bogus", { bogus: 1 }],
    ["limits.bogus", { limits: { bogus: 1 } }],
    ["agents.0.bogus", { agents: [{ id: "a", role: "r", bogus: 1 }, { id: "b", role: "s" }] }],
  ])("an unknown key is a problem at %s", (where, content) => {
    const r = loadClean({ configFile: tempFile(content) });
    expect(r.config).toBeNull();
    expect(paths(r.problems)).toEqual([where]);
  });

  it("two unknown keys in one object are two problems", () => {
    const r = loadClean({ configFile: tempFile({ limits: { foo: 1, bar: 2 } }) });
    expect(paths(r.problems)).toEqual(["limits.bar", "limits.foo"]);
  });

  it("a file with three mistakes yields exactly those three problems", () => {
    const file = tempFile({
      bogus: true,
      limits: { max_turns: -3 },
      agents: [
        { id: "a", role: "r", provider: "nope" },
        { id: "b", role: "s" },
      ],
    });
    const r = loadClean({ configFile: file });
    expect(r.config).toBeNull();
    expect(paths(r.problems)).toEqual(["agents.0.provider", "bogus", "limits.max_turns"]);
  });

  it("problems from env and from the schema are all reported together", () => {
    const r = loadClean({ env: { DIALOGUE_MAX_TURNS: "x" }, sets: ["limits.duration_seconds=0", "broken"] });
    expect(paths(r.problems)).toEqual(["--set", "DIALOGUE_MAX_TURNS", "limits.duration_seconds"]);
  });

  it("a missing file is a problem naming the file", () => {
    const missing = path.join(dir, "does-not-exist.json");
    const r = loadClean({ configFile: missing });
    expect(r.config).toBeNull();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.path).toBe(missing);
    expect(r.problems[0]!.message).toMatch(/not found/);
  });

  it("invalid JSON is a problem naming the file", () => {
    const file = tempFile("{ \"limits\": { max_turns: 3 } ");
    const r = loadClean({ configFile: file });
    expect(r.config).toBeNull();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.path).toBe(file);
    expect(r.problems[0]!.message).toMatch(/JSON/);
  });

  it("a file holding a JSON array instead of an object is a problem naming the file", () => {
    const file = tempFile([1, 2]);
    const r = loadClean({ configFile: file });
    expect(r.config).toBeNull();
    expect(r.problems.map((p) => p.path)).toEqual([file]);
  });
});

describe("load(): scenarios", () => {
  const shipped = readdirSync(configDir())
    .filter((f) => f.endsWith(".json") && f !== "config.schema.json")
    .map((f) => f.slice(0, -".json".length));

  it("ships the example scenarios", () => {
    expect(shipped).toEqual(expect.arrayContaining(["default", "debate", "job-interview", "mortgage-refinance"]));
  });

  it('scenario "debate" resolves to config/debate.json', () => {
    const file = path.join(configDir(), "debate.json");
    const debate = JSON.parse(readFileSync(file, "utf8")) as {
      scenario: { title: string };
      agents: Array<{ id: string }>;
      limits: { max_turns: number; duration_seconds: number };
    };
    const r = loadClean({ scenario: "debate" });
    expect(r.problems).toEqual([]);
    expect(r.sources).toContain(file);
    expect(r.config!.scenario.title).toBe(debate.scenario.title);
    expect(r.config!.agents.map((a) => a.id)).toEqual(debate.agents.map((a) => a.id));
    expect(r.config!.limits.duration_seconds).toBe(debate.limits.duration_seconds);
  });

  it("an unknown scenario name is a problem on --scenario that lists the scenarios there are", () => {
    const r = loadClean({ scenario: "no-such-scenario" });
    expect(r.config).toBeNull();
    expect(r.problems.map((p) => p.path)).toEqual(["--scenario"]);
    expect(r.problems[0]!.message).toContain(configDir());
    for (const name of shipped.filter((n) => n !== "default")) expect(r.problems[0]!.message).toContain(name);
  });

  it.each(shipped)("config/%s.json loads without problems", (name) => {
    const r = loadClean({ scenario: name });
    expect(r.problems).toEqual([]);
    expect(r.config).not.toBeNull();
    expect(r.sources).toContain(path.join(configDir(), `${name}.json`));
  });

  it("a scenario that lists its agents and no cast brings none: --agents N does not borrow the default scene's characters", () => {
    expect(configOf({}).cast.length).toBeGreaterThan(0); // the default scene's cast
    const hall = configOf({ scenario: "town-hall" });
    expect(hall.cast).toEqual([]);
    expect(() => applyCastFlags(hall, { agents: 6 })).toThrow(/^--agents 6: this scenario has 5 agents in all \(chair, /);
    expect(applyCastFlags(configOf({ scenario: "debate" }), { agents: 2 }).agents.map((a) => a.id)).toEqual(["pro", "con"]);
    expect(() => applyCastFlags(configOf({ scenario: "debate" }), { agents: 3 })).toThrow(/this scenario has 2 agents in all \(pro, con\)/);
    // a file that names a cast of its own keeps it
    const own = configOf({ configFile: tempFile({ agents: [{ id: "a", role: "one" }, { id: "b", role: "two" }], cast: [{ id: "c", role: "three" }] }) });
    expect(applyCastFlags(own, { agents: 3 }).agents.map((a) => a.id)).toEqual(["a", "b", "c"]);
  });

  it("the default scene's premise counts the agents taking part ({Count}): two by default, four with --agents 4", () => {
    expect(applyCastFlags(configOf({}), {}).scenario.premise).toMatch(/^Two strangers share the last free table/);
    expect(applyCastFlags(configOf({}), { agents: 4 }).scenario.premise).toMatch(/^Four strangers share the last free table/);
    expect(applyCastFlags(configOf({}), { agents: 8 }).scenario.premise).toMatch(/^Eight strangers /);
  });

  it("--topic gives every agent a goal about the topic, as its role; goals of the user's own file are kept", () => {
    const topic = "whether the town should build a tram line";
    const c = applyCastFlags(configOf({}), { agents: 4, topic });
    expect(c.scenario.premise).toBe(topic);
    expect(c.agents.map((a) => a.goal)).toEqual([
      `weigh up ${topic} as a curious traveller`,
      `weigh up ${topic} as a local resident`,
      `weigh up ${topic} as a cafe owner`,
      `weigh up ${topic} as an exchange student`,
    ]);
    // a built-in scenario's goals were written for its own premise
    expect(applyCastFlags(configOf({ scenario: "debate" }), { topic }).agents[0]!.goal).toBe(`weigh up ${topic} as an urban planner arguing for car-free centres`);
    // the user's own: kept, and an agent without one gets one about the topic
    const own = configOf({ configFile: tempFile({ agents: [{ id: "a", role: "Mayor", goal: "win the vote" }, { id: "b", role: "voter" }] }) });
    expect(applyCastFlags(own, { topic, ownGoals: new Set(["a"]) }).agents.map((a) => a.goal)).toEqual(["win the vote", `weigh up ${topic} as a voter`]);
    expect(applyCastFlags(own, { topic }).agents[0]!.goal).toBe(`weigh up ${topic} as a mayor`);
  });

  it("run --topic: the goals that come with dialogue give way to the topic, whatever file is layered over them; the user's own are kept", () => {
    const topic = "whether the library should open on Sundays";
    // the user's file lists no agents: the default scene's agents, and their goals, are dialogue's
    const noAgents = tempFile({ limits: { max_turns: 3 } });
    expect(runConfig({ config: noAgents, topic }).agents.map((a) => a.goal)).toEqual([`weigh up ${topic} as a curious traveller`, `weigh up ${topic} as a local resident`]);
    // a built-in scenario under the user's file: its goals were written for its own premise
    expect(runConfig({ config: noAgents, scenario: "debate", topic }).agents[0]!.goal).toBe(`weigh up ${topic} as an urban planner arguing for car-free centres`);
    // the user's own goals are kept; an agent without one gets one about the topic
    const own = tempFile({ agents: [{ id: "a", role: "Mayor", goal: "win the vote" }, { id: "b", role: "voter" }] });
    expect(runConfig({ config: own, topic }).agents.map((a) => a.goal)).toEqual(["win the vote", `weigh up ${topic} as a voter`]);
    // a goal set on the command line is the user's own too
    expect(runConfig({ set: ["agents.0.goal=find a compromise"], topic }).agents.map((a) => a.goal)).toEqual(["find a compromise", `weigh up ${topic} as a local resident`]);
    // a copy of a built-in scenario, as the user's own file: its goals are theirs now, and kept
    const copy = tempFile(JSON.parse(readFileSync(path.join(configDir(), "debate.json"), "utf8")));
    const debate = configOf({ scenario: "debate" });
    expect(runConfig({ scenario: copy, topic }).agents.map((a) => a.goal)).toEqual(debate.agents.map((a) => a.goal));
    // the user's file lists agents, the built-in scenario under it does not count
    expect(runConfig({ scenario: "debate", config: own, topic }).agents.map((a) => a.goal)).toEqual(["win the vote", `weigh up ${topic} as a voter`]);
  });

  it("a config file layered over a scenario wins over it", () => {
    const c = configOf({ scenario: "debate", configFile: tempFile({ limits: { max_turns: 3 } }) });
    expect(c.limits.max_turns).toBe(3);
    expect(c.agents.map((a) => a.id)).toEqual(["pro", "con"]);
  });
});

describe("config/config.schema.json", () => {
  it("exists and describes every top-level key of the schema", () => {
    const file = path.join(configDir(), "config.schema.json");
    expect(existsSync(file)).toBe(true);
    const json = JSON.parse(readFileSync(file, "utf8")) as { properties?: Record<string, unknown> };
    expect(Object.keys(json.properties ?? {}).sort()).toEqual(Object.keys(ConfigSchema.shape).sort());
  });
});

describe("load(): the configuration a launcher hands its children", () => {
  it("is used alone: the child's environment and files change nothing", () => {
    const handed = { ...configOf({ sets: ["limits.max_turns=6", "simulated.seed=11"] }), redis: { ...configOf().redis, prefix: "handed" } };
    const r = load({ handed, env: { DIALOGUE_MAX_TURNS: "30", DIALOGUE_SEED: "5", DIALOGUE_PREFIX: "other", DIALOGUE_CONFIG: tempFile({ limits: { max_turns: 40 } }) } });
    expect(r.problems).toEqual([]);
    expect(r.config?.limits.max_turns).toBe(6);
    expect(r.config?.simulated.seed).toBe(11);
    expect(r.config?.redis.prefix).toBe("handed");
  });

  it("is still checked: a bad one is a problem, never a crash", () => {
    const r = loadClean({ handed: { limits: { max_turns: -1 } } });
    expect(r.config).toBeNull();
    expect(paths(r.problems)).toEqual(["limits.max_turns"]);
  });
});
