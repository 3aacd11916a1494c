import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import { decide, unservedHint, unservedSpec } from "../../src/cli/no-spawn.js";
import type { CheckReply } from "../../src/protocol/presence.js";
import { mergeChoice, modelChoice } from "../../src/spec/checks.js";

const config = (over: Record<string, unknown> = {}) => ConfigSchema.parse({ agents: [{ id: "a", role: "asker" }, { id: "b", role: "answerer", pool: "gpu" }], ...over });

const reply = (over: Partial<CheckReply>): CheckReply => ({
  process: "h/1/worker/a",
  role: "worker",
  host: "h",
  pid: 1,
  pool: "a",
  auto: null,
  notes: [],
  uses: [],
  checks: [],
  problems: [],
  ...over,
});

describe("a run never served is recorded with no model it did not choose", () => {
  it("auto stays auto, a server model nobody named is 'not chosen', named and simulated ones are kept", () => {
    const spec = unservedSpec(config({ provider: "auto", agents: [{ id: "a", role: "asker", provider: "ollama", model: "llama3.2" }, { id: "b", role: "answerer", provider: "ollama" }], manager: { provider: "simulated" } }), 7);
    expect(spec.agents.map((a) => [a.model.provider, a.model.model])).toEqual([
      ["ollama", "llama3.2"],
      ["ollama", "(not chosen: nothing served the run)"],
    ]);
    expect([spec.manager.provider, spec.manager.model]).toEqual(["simulated", "simulated-1"]);
    expect(spec.seed).toBe(7);
    const auto = unservedSpec(config(), 1);
    expect(auto.agents.map((a) => [a.model.provider, a.model.model])).toEqual([
      ["auto", "(not chosen: nothing served the run)"],
      ["auto", "(not chosen: nothing served the run)"],
    ]);
  });
});

describe("the run's models, as the serving processes answered", () => {
  const c = config({ provider: "ollama" });
  const replies = [
    reply({ pool: "a", uses: [{ who: "agent a", agent_id: "a", fallback: false, provider: "ollama", model: "qwen2.5:0.5b" }], checks: [{ who: "agent a", provider: "ollama", model: "qwen2.5:0.5b", level: "ok", what: "ollama qwen2.5:0.5b at http://x", hint: null }] }),
    reply({ process: "g/2/worker/gpu", host: "g", pid: 2, pool: "gpu", uses: [{ who: "agent b", agent_id: "b", fallback: false, provider: "ollama", model: "llama3.2" }], checks: [{ who: "agent b", provider: "ollama", model: "llama3.2", level: "ok", what: "ollama llama3.2 at http://y", hint: null }] }),
    reply({ process: "m/3/manager", role: "manager", host: "m", pid: 3, pool: null, uses: [{ who: "manager", agent_id: null, fallback: false, provider: "ollama", model: "llama3.2" }], checks: [{ who: "manager", provider: "ollama", model: "llama3.2", level: "ok", what: "ollama llama3.2 at http://y", hint: null }] }),
  ];

  it("each agent gets what its pool's worker chose on its host, the manager what a manager chose", () => {
    const d = decide(c, replies, 1000);
    expect(d.config.agents.map((a) => [a.id, a.provider, a.model])).toEqual([
      ["a", "ollama", "qwen2.5:0.5b"],
      ["b", "ollama", "llama3.2"],
    ]);
    expect([d.config.manager.provider, d.config.manager.model]).toEqual(["ollama", "llama3.2"]);
    expect(d.lines).toContain("Checked on g (worker gpu, pid 2): agent b: ollama llama3.2 at http://y");
  });

  it("a pool with no answer, or only answers that cannot serve, fails naming the host", () => {
    expect(() => decide(c, replies.filter((r) => r.pool !== "gpu"), 3000)).toThrow(/^no worker of pool gpu answered the model check within 3 s$/);
    const cannot = reply({ process: "g/2/worker/gpu", host: "g", pid: 2, pool: "gpu", checks: [{ who: "agent b", provider: "ollama", model: "x", level: "fail", what: 'Ollama at http://y has no model "x"', hint: "pull it" }] });
    expect(() => decide(c, [replies[0]!, cannot, replies[2]!], 1000)).toThrow('checked on the serving host: worker gpu on g (pid 2): agent b: Ollama at http://y has no model "x"');
    // another worker of the pool can: a warning for the one that cannot
    const d = decide(c, [...replies, { ...cannot, process: "z/9/worker/gpu", host: "z", pid: 9 }], 1000);
    expect(d.lines.some((l) => l.startsWith("warning: worker gpu on z (pid 9) cannot serve this run"))).toBe(true);
  });
});

describe("the model choice a serving host merges into its own configuration", () => {
  it("takes the run's providers and models, keeps its own servers and, unless the run names one, its own GGUF file", () => {
    const own = ConfigSchema.parse({ ollama: { host: "http://gpu:11434" }, embedded: { model_file: "/models/own.gguf" } });
    const run = config({ provider: "embedded", ollama: { host: "http://launcher:11434" } });
    const merged = mergeChoice(own, modelChoice(run, null));
    expect(merged.provider).toBe("embedded");
    expect(merged.agents.map((a) => a.id)).toEqual(["a", "b"]);
    expect(merged.ollama.host).toBe("http://gpu:11434");
    expect(merged.embedded.model_file).toBe("/models/own.gguf");
    expect(mergeChoice(own, modelChoice(run, "/models/run.gguf")).embedded.model_file).toBe("/models/run.gguf");
  });
});

describe("the hint when --no-spawn gave up waiting", () => {
  it("names only what was missing: the pools no live worker served, and the manager only if none was live", () => {
    const c = config({ redis: { prefix: "lab" } });
    expect(unservedHint(c, { no_manager: false, pools: ["gpu"] })).toBe(
      "start `dialogue worker --pool gpu --prefix lab` against this Redis (see them with dialogue status --prefix lab), then run again; --wait <seconds> waits longer",
    );
    expect(unservedHint(c, { no_manager: true, pools: [] })).toMatch(/^start `dialogue manager --prefix lab` against this Redis /);
    expect(unservedHint(c, { no_manager: true, pools: ["a", "gpu"] })).toMatch(/^start `dialogue manager --prefix lab` and `dialogue worker --pool a --prefix lab` and `dialogue worker --pool gpu --prefix lab` against /);
  });
});
