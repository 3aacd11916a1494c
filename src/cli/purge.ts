/**
 * `dialogue purge <id…> | --older-than 7d`: remove finished runs from Redis on purpose. Asks
 * first on a terminal; without a terminal it needs --yes. An age counts from when a run was
 * created, or a conversation imported (protocol/record.ts addedAt), never from imported rows' times. Running conversations are never
 * purged (stop them first); one whose processes are gone (its lease ran out) is first finalized
 * as abandoned, and can then be purged.
 */
import { createInterface } from "node:readline/promises";
import { Command } from "commander";
import { UsageError } from "../errors/index.js";
import { addedAt, isFinal, type ConversationRecord } from "../protocol/record.js";
import { Queues } from "../queues/index.js";
import { purgeConversation } from "../redis/purge.js";
import type { Store } from "../redis/store.js";
import { addCommonOptions, stderr, type CommonOptions } from "./common.js";
import { checkId, getOrThrow, openStore, out } from "./conversation.js";
import { parseAge } from "./when.js";
import { now } from "../redis/clock.js";

interface PurgeOptions extends CommonOptions {
  olderThan?: string;
  yes?: boolean;
}

export function purgeCommand(): Command {
  const cmd = new Command("purge")
    .description("remove finished conversations from Redis: record, log, token stream, analysis and their queue jobs")
    .argument("[ids...]", "conversation ids (see dialogue list)")
    .option("--older-than <age>", "every finished conversation created more than this long ago (an imported one: imported more than this long ago, whatever its rows' dates): 7d, 12h, 30m, 2w")
    .option("-y, --yes", "do not ask (needed when stdin is not a terminal)");
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  dialogue purge 20261121-143005-k3f9a
  dialogue purge --older-than 7d
  dialogue purge --older-than 30d --yes        # from a script or cron

A run's age counts from when it was created; an imported conversation's from when it was
imported (dialogue import), not from its rows' own times: old call logs imported today are
kept by --older-than 30d for 30 days.`,
  );
  return cmd.action(async (ids: string[], opts: PurgeOptions) => {
    if (ids.length === 0 && opts.olderThan === undefined) throw new UsageError("purge needs conversation ids or --older-than", "e.g. dialogue purge <id>, or dialogue purge --older-than 7d");
    if (ids.length > 0 && opts.olderThan !== undefined) throw new UsageError("give either conversation ids or --older-than, not both", "run purge twice");
    const age = opts.olderThan === undefined ? null : parseAge(opts.olderThan);
    if (opts.olderThan !== undefined && age === null) throw new UsageError(`--older-than ${JSON.stringify(opts.olderThan)} is not an age`, "use a number and a unit (s, m, h, d or w), like 7d, 12h, 30m or 2w");
    ids.forEach(checkId);
    if (!opts.yes && !process.stdin.isTTY) {
      throw new UsageError("purge deletes runs and stdin is not a terminal to ask on", "add --yes to purge without asking");
    }
    const { store, close, prefix, config, reach } = await openStore(opts);
    const queues = new Queues(store.redis, prefix, config.queues);
    try {
      const targets = age === null ? await named(store, ids, prefix, reach) : await olderThan(store, now() - age);
      if (targets.length === 0) {
        out(age === null ? "nothing to purge" : `no finished conversation under prefix "${prefix}" is older than ${opts.olderThan}`);
        return;
      }
      const what = `${targets.length} conversation${targets.length === 1 ? "" : "s"} under prefix "${prefix}"`;
      if (!opts.yes && !(await confirm(`Purge ${what} (${targets.slice(0, 3).map((r) => r.spec.id).join(", ")}${targets.length > 3 ? ", …" : ""})? This cannot be undone. [y/N] `))) {
        out("nothing purged");
        return;
      }
      let jobs = 0;
      for (const rec of targets) jobs += (await purgeConversation(store, queues, rec)).jobs;
      out(`purged ${what} (and ${jobs} queue jobs)`);
    } finally {
      await queues.close();
      close();
    }
  });
}

/** `reach`: what the command in a refusal needs to reach the run (reach.ts) */
async function named(store: Store, ids: string[], prefix: string, reach: string): Promise<ConversationRecord[]> {
  const recs: ConversationRecord[] = [];
  for (const id of new Set(ids)) {
    const rec = await store.settle(await getOrThrow(store, id, prefix), "dialogue purge");
    if (!isFinal(rec.status)) throw new UsageError(`conversation ${id} is ${rec.status}; only finished runs are purged`, `stop it first: dialogue stop ${id}${reach}`);
    recs.push(rec);
  }
  return recs;
}

/**
 * Finished conversations added at or before `before`: runs created then, and imported ones imported
 * then (protocol/record.ts addedAt) — never by their rows' own times, which may be weeks before
 * the import. Each is judged by its record: one that cannot be read is left alone.
 */
async function olderThan(store: Store, before: number): Promise<ConversationRecord[]> {
  const recs: ConversationRecord[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  const consider = async (id: string): Promise<void> => {
    if (seen.has(id)) return;
    seen.add(id);
    const found = await store.get(id).catch(() => null);
    if (!found || addedAt(found.spec) > before) return;
    const rec = await store.settle(found, "dialogue purge");
    if (isFinal(rec.status)) recs.push(rec);
    else skipped++;
  };
  // the index holds each conversation by its own time (an imported one's: its first row's), the
  // imported index by when it was imported (rows dated later than that are found there)
  for (const page of [store.idsBetween.bind(store), store.importedBetween.bind(store)]) {
    for (let offset = 0; ; offset += 500) {
      const ids = await page(Number.NEGATIVE_INFINITY, before, offset, 500);
      for (const id of ids) await consider(id);
      if (ids.length < 500) break;
    }
  }
  if (skipped) stderr(`skipping ${skipped} conversation${skipped === 1 ? "" : "s"} still running (stop them first)`);
  return recs;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
