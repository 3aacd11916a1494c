/**
 * `dialogue list`, `dialogue show <id>` and `dialogue stop <id>`: read (or, for stop, flag) retained
 * conversations. They read Redis only and work while a run is live or long after it ended.
 */
import { Command } from "commander";
import { summarize } from "../analysis/summary.js";
import { NotFoundError, UsageError } from "../errors/index.js";
import { requestStop } from "../manager/stop.js";
import { headerText, messageText, modelLabel, personasText, storyText, summaryText } from "../observer/plain.js";
import { isSafeId } from "../protocol/keys.js";
import type { ConversationRecord } from "../protocol/record.js";
import { Queues } from "../queues/index.js";
import { Store } from "../redis/store.js";
import { addCommonOptions, loadConfig, openRedis, positiveInt, stderr, type CommonOptions } from "./common.js";

const out = (s: string): void => {
  process.stdout.write(s.endsWith("\n") ? s : `${s}\n`);
};

export async function openStore(opts: CommonOptions): Promise<{ store: Store; close: () => void; prefix: string }> {
  const config = loadConfig(opts);
  const { redis } = await openRedis(config, stderr);
  return { store: new Store(redis, config.redis.prefix), close: () => redis.disconnect(), prefix: config.redis.prefix };
}

export async function getOrThrow(store: Store, id: string, prefix: string): Promise<ConversationRecord> {
  if (!isSafeId(id)) throw new UsageError(`"${id}" is not a conversation id`, "ids look like 20261121-143005-k3f9a; see dialogue list");
  const rec = await store.get(id);
  if (!rec) throw new NotFoundError(`no conversation ${id} under prefix "${prefix}"`, "see dialogue list (or pass the --prefix it ran with)");
  return rec;
}

const iso = (ms: number | null): string => (ms === null ? "–" : new Date(ms).toISOString().replace("T", " ").slice(0, 19));

export function listCommand(): Command {
  const cmd = new Command("list")
    .description("list retained conversations, newest first")
    .option("-n, --limit <n>", "how many", positiveInt("--limit"), 20)
    .option("--json", "one JSON object per line");
  addCommonOptions(cmd);
  return cmd.action(async (opts: CommonOptions & { limit: number; json?: boolean }) => {
    const { store, close, prefix } = await openStore(opts);
    try {
      const ids = await store.listIds(opts.limit);
      if (ids.length === 0 && !opts.json) {
        out(`no conversations under prefix "${prefix}" yet — start one with: dialogue run`);
        return;
      }
      if (!opts.json) out(["ID".padEnd(22), "STARTED (UTC)".padEnd(19), "DURATION".padStart(8), "TURNS".padStart(5), "STATUS".padEnd(24), "MODELS"].join("  "));
      for (const id of ids) {
        let rec: ConversationRecord | null;
        try {
          rec = await store.get(id);
        } catch (err) {
          if (!opts.json) out(`${id.padEnd(22)}  (unreadable record: ${(err as Error).message.split("\n")[0]})`);
          continue;
        }
        if (!rec) continue;
        const dur = rec.started_at === null ? null : ((rec.ended_at ?? Date.now()) - rec.started_at) / 1000;
        const models = [...new Set(rec.spec.agents.map((a) => modelLabel(a.model.provider, a.model.model)))].join(", ");
        const status = rec.stop_reason ? `${rec.status} (${rec.stop_reason})` : rec.status;
        if (opts.json) {
          out(JSON.stringify({ id, created_at: rec.spec.created_at, started_at: rec.started_at, ended_at: rec.ended_at, duration_s: dur, turns: rec.turns, status: rec.status, stop_reason: rec.stop_reason, scenario: rec.spec.scenario.title, agents: rec.spec.agents.map((a) => ({ id: a.id, provider: a.model.provider, model: a.model.model })) }));
        } else {
          out([id.padEnd(22), iso(rec.spec.created_at).padEnd(19), (dur === null ? "–" : `${dur.toFixed(1)}s`).padStart(8), String(rec.turns).padStart(5), status.padEnd(24), models].join("  "));
        }
      }
    } finally {
      close();
    }
  });
}

export function showCommand(): Command {
  const cmd = new Command("show")
    .description("show a conversation: story, personas, transcript with metadata, summary")
    .argument("<id>", "conversation id (see dialogue list)")
    .option("--json", "the record and every message as one JSON document")
    .option("--no-meta", "transcript without the per-message metadata lines");
  addCommonOptions(cmd);
  return cmd.action(async (id: string, opts: CommonOptions & { json?: boolean; meta: boolean }) => {
    const { store, close, prefix } = await openStore(opts);
    try {
      const rec = await getOrThrow(store, id, prefix);
      const messages = await store.readLog(id);
      if (opts.json) {
        out(JSON.stringify({ record: rec, messages, summary: summarize(rec, messages) }, null, 2));
        return;
      }
      out(headerText(rec));
      out(`  status: ${rec.status}${rec.stop_reason ? ` (${rec.stop_reason})` : ""} · created ${iso(rec.spec.created_at)} UTC`);
      if (rec.story) out(`\n${storyText(rec.story)}`);
      if (rec.personas) out(`\n${personasText(rec.personas)}`);
      out("");
      for (const m of messages) out(messageText(m, opts.meta));
      out(`\n${summaryText(summarize(rec, messages))}`);
      if (rec.error) out(`  error: ${rec.error}`);
    } finally {
      close();
    }
  });
}

export function stopCommand(): Command {
  const cmd = new Command("stop")
    .description("ask a running conversation to stop (recorded as a user stop; the turn in flight is kept, cut)")
    .argument("<id>", "conversation id");
  addCommonOptions(cmd);
  return cmd.action(async (id: string, opts: CommonOptions) => {
    const config = loadConfig(opts);
    const { store, close, prefix } = await openStore(opts);
    try {
      await getOrThrow(store, id, prefix);
      const queues = new Queues(store.redis, prefix, config.queues);
      const r = await requestStop(store, queues, id);
      await queues.close();
      out(r === "stopping" ? `stopping ${id}` : `${id} has already ended`);
    } finally {
      close();
    }
  });
}
