/**
 * `dialogue doctor [--scenario s] [--provider p] [--model m]`: checks what a run of these options
 * needs — Node, the configuration, Redis (reachable, version, persistence, eviction policy) and
 * the provider and model of each agent and the manager, resolved by the code `dialogue run` uses
 * (so the two agree) — and prints each problem with its fix, and each warning (runs that would be
 * simulated) with what to do. Exit 0: no problem (warnings included); 1: a problem.
 */
import { Command, Option } from "commander";
import type { Config } from "../config/schema.js";
import { ConfigError, DialogueError } from "../errors/index.js";
import { checkProviders } from "../manager/health.js";
import { connect, describeRedis, resolveRedis, withTopology } from "../redis/connect.js";
import { liveByPool, readPresence } from "../redis/presence.js";
import type { RedisClient } from "../redis/cluster.js";
import { poolsOf } from "./no-spawn.js";
import { checkRedis, type Finding } from "../redis/health.js";
import { Store } from "../redis/store.js";
import { addCommonOptions } from "./common.js";
import { runConfig, type ModelChoiceOptions } from "./launch.js";
import { reachFlags } from "./reach.js";
import { managerCommand, workerCommand } from "../observer/unserved.js";

const mark = (f: Finding): string => (!f.ok ? "FAIL" : f.warn ? "warn" : "ok  ");
const line = (f: Finding): string => `  ${mark(f)}  ${f.what}${(!f.ok || f.warn) && f.fix ? `\n          ${f.ok ? "" : "fix: "}${f.fix}` : ""}`;

export function doctorCommand(): Command {
  const cmd = new Command("doctor")
    .description("check Node, the configuration, Redis and the provider and model of every agent, as `dialogue run` with the same options would use them; print each problem with its fix")
    .option("-s, --scenario <name>", "check a run of this scenario (as dialogue run --scenario)")
    .addOption(new Option("-p, --provider <provider>", "check a run with this provider (as dialogue run --provider)").choices(["auto", "simulated", "ollama", "openai", "embedded"]))
    .option("-m, --model <model>", "check a run with this model (as dialogue run --model)")
    .option("--model-file <file.gguf>", "check a run of the embedded provider on this GGUF file");
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Exit codes: 0 no problem found (warnings, such as "every agent would be simulated" or "Redis
keeps nothing over a restart", are printed but do not fail), 1 a problem a run would hit (each
printed with its fix).

Examples:
  dialogue doctor                                  # what \`dialogue run\` would use, checked
  dialogue doctor --provider ollama                # the Ollama server, and the model a run would pick
  dialogue doctor --provider openai --model local-model
  dialogue doctor --scenario debate`,
  );
  return cmd.action(async (opts: ModelChoiceOptions) => {
    const out = (s: string): void => {
      process.stdout.write(`${s}\n`);
    };
    let failures = 0;
    let warnings = 0;
    const report = (title: string, findings: Finding[]): void => {
      out(title);
      for (const f of findings) {
        out(line(f));
        if (!f.ok) failures++;
        else if (f.warn) warnings++;
      }
    };

    const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
    report("Node", [
      major > 20 || (major === 20 && minor >= 10)
        ? { ok: true, what: `Node ${process.versions.node}` }
        : { ok: false, what: `Node ${process.versions.node} is too old`, fix: "install Node 20.10 or later" },
    ]);

    let config: Config;
    try {
      config = runConfig(opts);
      report("Configuration", [{ ok: true, what: `valid${opts.scenario ? ` (scenario ${opts.scenario})` : ""}` }]);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      report(
        "Configuration",
        err.problems.map((p) => ({ ok: false, what: `${p.path}${p.source ? ` (${p.source})` : ""}: ${p.message}`, fix: "correct the value" })),
      );
      process.exitCode = 1;
      return;
    }

    try {
      const resolved = await resolveRedis(config);
      const client = await connect(resolved.url, config.redis.connect_timeout_ms, {}, config.redis.cluster);
      client.on("error", () => undefined);
      try {
        report("Redis", [{ ok: true, what: `reachable at ${describeRedis(withTopology(resolved, client))} (${resolved.source})` }, ...(await checkRedis(client))]);
        report("Runs", await runFindings(new Store(client, config.redis.prefix, { leaseMs: config.queues.lock_duration_ms })));
        report("Processes", await processFindings(client, new Store(client, config.redis.prefix), poolsOf(config), reachFlags(config)));
      } finally {
        client.disconnect();
      }
    } catch (err) {
      if (!(err instanceof DialogueError)) throw err;
      report("Redis", [{ ok: false, what: err.message, fix: err.hint ?? "check REDIS_URL" }]);
    }

    report("Providers", await checkProviders(config, { modelFileNamed: Boolean(opts.modelFile) }));
    const warned = warnings > 0 ? `${warnings} warning${warnings === 1 ? "" : "s"} (see above)` : "";
    if (failures > 0) out(`\n${failures} problem${failures === 1 ? "" : "s"} found${warned ? `; ${warned}` : ""}.`);
    else out(warned ? `\nNo problems; ${warned}.` : "\nAll good.");
    process.exitCode = failures === 0 ? 0 : 1;
  });
}

/**
 * the managers and workers that reported under this prefix (dialogue status has the details):
 * informational — `run` starts its own — except that `run --no-spawn` would wait for what is missing
 */
async function processFindings(redis: RedisClient, store: Store, pools: string[], reach: string): Promise<Finding[]> {
  const { processes } = await readPresence(redis, store.keys);
  const { managers, workers } = liveByPool(processes);
  const gone = processes.filter((p) => p.status === "gone");
  const perPool = pools.map((p) => `${p} ${workers.get(p)?.length ?? 0}`).join(", ");
  const missing = [...(managers.length === 0 ? ["a manager"] : []), ...pools.filter((p) => !workers.get(p)?.length).map((p) => `a worker for pool ${p}`)];
  const out: Finding[] = [{ ok: true, what: `${managers.length} live manager${managers.length === 1 ? "" : "s"}; live workers per pool of this run: ${perPool} (dialogue status${reach} lists them)` }];
  if (missing.length > 0) out.push({ ok: true, what: `run --no-spawn would wait for ${missing.join(" and ")} (${managerCommand(reach)} / ${workerCommand("<pool>", reach)}); run without it starts its own` });
  if (gone.length > 0) out.push({ ok: true, warn: true, what: `${gone.length} process${gone.length === 1 ? "" : "es"} stopped sending heartbeats (gone: ${gone.slice(0, 3).map((p) => `${p.role} on ${p.host}, pid ${p.pid}`).join("; ")}${gone.length > 3 ? `; and ${gone.length - 3} more: dialogue status${reach} lists them` : ""})`, fix: "killed, crashed or cut off from Redis: see their hosts; entries go after an hour" });
  return out;
}

/** runs in progress, and runs whose processes are gone (finalized as abandoned now) */
async function runFindings(store: Store): Promise<Finding[]> {
  let live = 0;
  const abandoned: string[] = [];
  for (const id of await store.activeIds()) {
    const rec = await store.get(id).catch(() => null);
    if (!rec) continue;
    const settled = await store.settle(rec, "dialogue doctor");
    if (settled.stop_reason === "abandoned" && settled !== rec) abandoned.push(id);
    else if (settled.status !== "completed" && settled.status !== "stopped" && settled.status !== "failed") live++;
  }
  const out: Finding[] = [{ ok: true, what: `${live} run${live === 1 ? "" : "s"} in progress, each held by a live manager` }];
  if (abandoned.length > 0) {
    out.push({
      ok: true,
      what: `${abandoned.length} run${abandoned.length === 1 ? "" : "s"} whose processes were gone finalized as abandoned (${abandoned.slice(0, 3).join(", ")}${abandoned.length > 3 ? ", …" : ""}); dialogue purge removes them`,
    });
  }
  return out;
}
