/**
 * Creating a run: the one way a conversation comes into being, for the CLI launcher (`dialogue
 * run`, `run --count`) and the web server (`POST /api/conversations`) alike. It sits on a floor
 * below the CLI, the server and the manager (see STYLE.md, "(spec)").
 *
 * Writes: record(ID) and the index (Store.create), the material's chunks (material(ID), when the
 * run has material), then the manager's `start` job on the control
 * queue (job id startJobId(ID), so a repeated start is a no-op). A manager serving the prefix takes
 * the job, writes the story and the personas, and drives the turns.
 * Returns nothing; throws what Redis throws.
 */
import type { ConversationSpec } from "../protocol/record.js";
import type { Queues } from "../queues/index.js";
import type { Store } from "../redis/store.js";
import type { Chunk } from "../material/load.js";
import { writeMaterial } from "../material/store.js";

export { buildSpec, needsAuto, newConversationId, redactedConfig, type AutoResolved } from "../manager/spec.js";

/** `chunks`: the run's material (material/load.ts), stored with it before a manager is asked to start it */
export async function startRun(store: Store, queues: Queues, spec: ConversationSpec, chunks: readonly Chunk[] = []): Promise<void> {
  await store.create(spec);
  await writeMaterial(store, spec.id, chunks);
  await queues.addControl({ type: "start", conversation_id: spec.id }, store.keys.startJobId(spec.id));
}
