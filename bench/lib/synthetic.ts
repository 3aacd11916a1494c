/**
 * Synthetic conversations for the analysis benchmark: a record made from the default
 * configuration, and valid messages (varied text from a seeded generator, full metadata) written
 * straight into the log with the Store API, as many as asked, in pipelined batches.
 */
import { ConfigSchema } from "../../src/config/schema.js";
import { buildSpec } from "../../src/manager/spec.js";
import type { ConversationSpec } from "../../src/protocol/record.js";
import type { DialogMessage, Persona } from "../../src/protocol/schemas.js";
import type { Store } from "../../src/redis/store.js";

const WORDS = (
  "the a to and of in that is it you for on with as be this was have are but not at we they so if what about " +
  "time place town train rain window coffee table street market museum river bridge evening morning station " +
  "guide map ticket price money bank loan rate payment house home family work plan idea question answer story " +
  "friend stranger city park garden church castle harbour boat walk bus tram square corner shop bakery bread " +
  "think know feel want need like love hate hope wonder remember forget believe understand explain suggest " +
  "good bad great small big old new quiet busy early late warm cold wet dry happy sad worried sure certain " +
  "really very quite rather perhaps maybe always never often sometimes usually today tomorrow yesterday now " +
  "risk benefit cost choice option offer deal term month year week hour minute moment reason result problem"
).split(" ");

/** a small deterministic generator (mulberry32) */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sentence(r: () => number): string {
  const n = 6 + Math.floor(r() * 14);
  const ws: string[] = [];
  for (let i = 0; i < n; i++) ws.push(WORDS[Math.floor(r() * WORDS.length)] as string);
  const s = ws.join(" ");
  return `${s[0]?.toUpperCase() ?? ""}${s.slice(1)}${r() < 0.2 ? "?" : "."}`;
}

const PERSONAS: Persona[] = [
  { name: "Ada Brook", role: "curious traveller", traits: ["curious"], goals: ["see the town"], speaking_style: "brisk" },
  { name: "Ben Stone", role: "local resident", traits: ["warm"], goals: ["share favourite places"], speaking_style: "easy" },
];

/** a conversation record under `store` that looks like a finished simulated run */
export async function createConversation(store: Store): Promise<ConversationSpec> {
  const config = ConfigSchema.parse({ provider: "simulated", limits: { max_turns: 100_000, duration_seconds: 7 * 24 * 3600 } });
  const spec = buildSpec(config, "simulated");
  await store.create(spec);
  await store.setStory(spec.id, {
    title: "A chance meeting",
    setting: "A small cafe near the station.",
    characters: PERSONAS.map((p) => ({ name: p.name, role: p.role })),
    initial_situation: "Two strangers share a table.",
  });
  await store.setPersonas(spec.id, PERSONAS);
  return spec;
}

/** messages `from`..`to` (sequence numbers) of a conversation that started at `t0`, one a second */
export function message(spec: ConversationSpec, seq: number, t0: number, r: () => number): DialogMessage {
  const agent = spec.agents[(seq - 1) % 2] as ConversationSpec["agents"][number];
  const persona = PERSONAS[(seq - 1) % 2] as Persona;
  const text = Array.from({ length: 2 + Math.floor(r() * 4) }, () => sentence(r)).join(" ");
  const tokens = Math.ceil(text.length / 4);
  const started = t0 + (seq - 1) * 1000 + 5;
  const gen = 600 + Math.floor(r() * 300);
  return {
    message_id: `${spec.id}.${seq}`,
    queue_timestamp: started + gen + 1,
    role: persona.role,
    speaker: persona.name,
    content: { message: text, sentiment: Math.round((r() * 2 - 1) * 100) / 100, references: [], end_conversation: false },
    cut: false,
    stalled: false,
    skipped: false,
    failed: false,
    metadata: {
      failed_attempts: [],
      source: "model",
      conversation_id: spec.id,
      sequence_number: seq,
      agent_id: agent.id,
      provider: "simulated",
      model: agent.model.model,
      tokens_generated: tokens,
      prompt_tokens: 300 + seq,
      generation_time_ms: gen,
      time_to_first_token_ms: 100,
      tokens_per_second: tokens / (gen / 1000),
      load_time_ms: 0,
      done_reason: "stop",
      worker: { host: "bench", pid: 1 },
      attempt: 1,
      queue_wait_ms: 3,
      requested_at: started - 3,
      started_at: started,
      finished_at: started + gen,
      truncated: false,
    },
  };
}

/** appends messages up to `to` (from the record's turns + 1), then marks the run completed at the last one */
export async function growTo(store: Store, spec: ConversationSpec, t0: number, to: number): Promise<void> {
  const rec = await store.get(spec.id);
  const from = (rec?.turns ?? 0) + 1;
  const r = rng(from);
  const BATCH = 500;
  for (let seq = from; seq <= to; seq += BATCH) {
    const batch: Promise<boolean>[] = [];
    for (let s = seq; s < Math.min(to + 1, seq + BATCH); s++) batch.push(store.appendMessage(message(spec, s, t0, r)));
    await Promise.all(batch);
  }
  await store.setFields(spec.id, { status: "completed", stop_reason: "max_turns", started_at: t0, ended_at: t0 + to * 1000 });
}
