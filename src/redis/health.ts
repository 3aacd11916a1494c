/**
 * Health of a Redis for this tool: version, persistence and eviction policy, read from INFO
 * (which managed services allow when CONFIG is disabled); on a Redis Cluster, of every master,
 * and the cluster's state. Returns findings; changes nothing.
 */
import type { Redis } from "ioredis";
import { isCluster, type RedisClient } from "./cluster.js";

export interface Finding {
  ok: boolean;
  /** ok, but worth knowing (e.g. runs would be simulated): shown as "warn" */
  warn?: boolean;
  what: string;
  /** how to fix it, when not ok (or what to do about a warning) */
  fix?: string;
}

export function parseInfo(info: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of info.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

const versionAtLeast = (v: string, major: number, minor: number): boolean => {
  const [a = 0, b = 0] = v.split(".").map(Number);
  return a > major || (a === major && b >= minor);
};

export async function checkRedis(client: RedisClient): Promise<Finding[]> {
  if (!isCluster(client)) return checkNode(client);
  const masters = client.nodes("master");
  const state = parseInfo(String(await client.call("CLUSTER", "INFO"))).cluster_state ?? "unknown";
  const findings: Finding[] = [
    state === "ok"
      ? { ok: true, what: `Redis Cluster: ${masters.length} master${masters.length === 1 ? "" : "s"}, cluster_state ok` }
      : { ok: false, what: `Redis Cluster: cluster_state ${state}`, fix: "see CLUSTER INFO and CLUSTER NODES on a node: every slot needs a master that answers" },
  ];
  for (const node of masters) {
    const where = `${node.options.host ?? "?"}:${node.options.port ?? "?"}`;
    for (const f of await checkNode(node)) findings.push({ ...f, what: `${where}: ${f.what}` });
  }
  return findings;
}

async function checkNode(client: Redis): Promise<Finding[]> {
  const info = parseInfo(await client.info());
  const findings: Finding[] = [];
  const version = info.redis_version ?? "unknown";
  findings.push(
    versionAtLeast(version, 6, 2)
      ? { ok: true, what: `Redis ${version}` }
      : { ok: false, what: `Redis ${version} is older than 6.2, which BullMQ needs`, fix: "upgrade Redis to 6.2 or later (7.x recommended)" },
  );
  const aof = info.aof_enabled === "1";
  let saveRules = "";
  try {
    const r = (await client.config("GET", "save")) as string[];
    saveRules = r[1] ?? "";
  } catch {
    // CONFIG may be disabled on managed Redis; INFO is enough
  }
  // runs work without it, so it is a warning: what is at stake is keeping them over a restart
  if (aof) findings.push({ ok: true, what: "persistence: append-only file on" });
  else if (saveRules.trim() !== "")
    findings.push({
      ok: true,
      warn: true,
      what: `persistence: RDB snapshots only (save ${saveRules}); a crash of Redis can lose the last minutes of a run`,
      fix: "turn on the append-only file: CONFIG SET appendonly yes (and appendonly yes in redis.conf)",
    });
  else
    findings.push({
      ok: true,
      warn: true,
      what: "persistence: off; runs work, but retained runs are lost when Redis restarts",
      fix: "turn on the append-only file: CONFIG SET appendonly yes (and appendonly yes in redis.conf)",
    });
  const policy = info.maxmemory_policy ?? "unknown";
  findings.push(
    policy === "noeviction"
      ? { ok: true, what: "eviction policy: noeviction" }
      : {
          ok: false,
          what: `eviction policy is ${policy}: Redis may delete queue and run keys when memory is full`,
          fix: "CONFIG SET maxmemory-policy noeviction (and maxmemory-policy noeviction in redis.conf)",
        },
  );
  return findings;
}
