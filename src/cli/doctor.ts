/**
 * `dialogue doctor`: checks what a run needs — Node, the configuration, Redis (reachable,
 * version, persistence, eviction policy) and each configured provider and model — and prints
 * each problem with its fix. Exit 0 when all is well, 1 otherwise.
 */
import { Command } from "commander";
import type { Config } from "../config/schema.js";
import { ConfigError, DialogueError } from "../errors/index.js";
import { checkProviders } from "../llm/health.js";
import { redactUrl } from "../logger.js";
import { connect, resolveRedis } from "../redis/connect.js";
import { checkRedis, type Finding } from "../redis/health.js";
import { Store } from "../redis/store.js";
import { addCommonOptions, loadConfig, type CommonOptions } from "./common.js";

const line = (f: Finding): string => `  ${f.ok ? "ok  " : "FAIL"}  ${f.what}${f.ok || !f.fix ? "" : `\n          fix: ${f.fix}`}`;

export function doctorCommand(): Command {
  const cmd = new Command("doctor").description("check Node, the configuration, Redis and the configured providers; print each problem with its fix");
  addCommonOptions(cmd);
  return cmd.action(async (opts: CommonOptions) => {
    const out = (s: string): void => {
      process.stdout.write(`${s}\n`);
    };
    let failures = 0;
    const report = (title: string, findings: Finding[]): void => {
      out(title);
      for (const f of findings) {
        out(line(f));
        if (!f.ok) failures++;
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
      config = loadConfig(opts);
      report("Configuration", [{ ok: true, what: "valid" }]);
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
      const client = await connect(resolved.url, config.redis.connect_timeout_ms);
      client.on("error", () => undefined);
      try {
        report("Redis", [{ ok: true, what: `reachable at ${redactUrl(resolved.url)} (${resolved.source})` }, ...(await checkRedis(client))]);
        report("Runs", await runFindings(new Store(client, config.redis.prefix, { leaseMs: config.queues.lock_duration_ms })));
      } finally {
        client.disconnect();
      }
    } catch (err) {
      if (!(err instanceof DialogueError)) throw err;
      report("Redis", [{ ok: false, what: err.message, fix: err.hint ?? "check REDIS_URL" }]);
    }

    report("Providers", await checkProviders(config));
    out(failures === 0 ? "\nAll good." : `\n${failures} problem${failures === 1 ? "" : "s"} found.`);
    process.exitCode = failures === 0 ? 0 : 1;
  });
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
