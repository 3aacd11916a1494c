/**
 * `dialogue run --continue <id>`: a new run whose history is another conversation (an imported
 * one, or a run). Its speakers become the agents — model agents, with the models the
 * configuration gives (an agent of the configuration with the same id lends its provider, model
 * and options) — the manager's model reads the transcript for a story and personas
 * (manager/controller.ts), and the models carry on for the configured limits.
 *
 * Reads: the source's record(ID) and log(ID) (XRANGE pages). Writes: the new run's record(ID)
 * and log(ID): each source message copied as message 1..N of the new run, marked copied_from
 * (HISTORY_LUA: one key slot per command, never the source's and the new run's together), then
 * the manager's `start` job.
 */
import type { AgentConfig, Config } from "../config/schema.js";
import { UsageError } from "../errors/index.js";
import { isFinal, type ConversationRecord, type ConversationSpec } from "../protocol/record.js";
import { DialogMessageSchema, type DialogMessage } from "../protocol/schemas.js";
import type { Queues } from "../queues/index.js";
import { HISTORY_LUA } from "../redis/scripts.js";
import type { Store } from "../redis/store.js";
import type { Chunk } from "../material/load.js";
import { writeMaterial } from "../material/store.js";

/**
 * the source must be over: a live conversation's history is still being written (`reach`: what the
 * commands in the refusal need to reach it, cli/reach.ts)
 */
export function checkSource(rec: ConversationRecord, reach: string): void {
  if (!isFinal(rec.status)) {
    const id = rec.spec.id;
    throw new UsageError(`conversation ${id} is still ${rec.status}`, `continue it once it has ended (dialogue stop ${id}${reach}), or watch it: dialogue watch ${id}${reach}`);
  }
  if (rec.turns === 0) throw new UsageError(`conversation ${rec.spec.id} has no messages to continue from`, "continue a conversation that has some");
}

/** the configuration of the continued run: the source's speakers as its agents, its scenario named after the source */
export function continuedConfig(config: Config, rec: ConversationRecord): Config {
  const byId = new Map(config.agents.map((a) => [a.id, a]));
  const agents: AgentConfig[] = rec.spec.agents.map((a) => {
    const own = byId.get(a.id);
    return {
      ...(own ?? { options: {} }),
      id: a.id,
      role: a.role,
      kind: "model",
      ...(a.goal ? { goal: a.goal } : {}),
      options: own?.options ?? {},
    };
  });
  return {
    ...config,
    agents,
    cast: [],
    scenario: {
      title: `Continued: ${rec.spec.scenario.title}`.slice(0, 200),
      premise: `Carry on conversation ${rec.spec.id} (${rec.spec.scenario.premise}) from where it ends.`,
    },
  };
}

/** the spec with its source named */
export function withSource(spec: ConversationSpec, rec: ConversationRecord): ConversationSpec {
  return { ...spec, source: { kind: "continue", conversation_id: rec.spec.id, status: rec.status, title: rec.spec.scenario.title.slice(0, 500), history: rec.turns } };
}

/** message `m` of the source as message `seq` of the new run, saying where it came from */
function copied(m: DialogMessage, spec: ConversationSpec, seq: number): DialogMessage {
  return DialogMessageSchema.parse({
    ...m,
    message_id: `${spec.id}.${seq}`,
    metadata: { ...m.metadata, conversation_id: spec.id, sequence_number: seq, copied_from: { conversation_id: m.metadata.conversation_id, sequence_number: m.metadata.sequence_number } },
  });
}

/** creates the run, copies the source's log into it as its history, and asks a manager to start it */
export async function startContinued(store: Store, queues: Queues, spec: ConversationSpec, sourceId: string, chunks: readonly Chunk[] = []): Promise<number> {
  await store.create(spec);
  await writeMaterial(store, spec.id, chunks);
  let seq = 0;
  for await (const page of store.pages(sourceId)) {
    for (const { message, recorded_at } of page) {
      const m = copied(message, spec, ++seq);
      await store.redis.eval(HISTORY_LUA, 2, store.keys.log(spec.id), store.keys.record(spec.id), store.keys.logEntryId(seq), JSON.stringify(m), String(recorded_at ?? m.metadata.finished_at));
    }
  }
  await queues.addControl({ type: "start", conversation_id: spec.id }, store.keys.startJobId(spec.id));
  return seq;
}
