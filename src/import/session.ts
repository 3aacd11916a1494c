/**
 * What one imported session becomes: a conversation id that the file's hash and the session id
 * decide (so a re-import finds it), agent ids from its speakers, the spec (status "imported", its
 * source recorded, speakers of kind "recorded" with no model), and one message per row, with the
 * row's own time and nothing a model would have measured. Pure.
 */
import { createHash } from "node:crypto";
import os from "node:os";
import type { AgentSpec, ConversationSpec, Limits, Source } from "../protocol/record.js";
import { IMPORTED, MAX_AGENTS, MIN_AGENTS, NARRATOR_ID, type DialogMessage } from "../protocol/schemas.js";
import type { FieldNames } from "./fields.js";
import type { ImportFormat } from "./rows.js";

const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

/** letters, digits, '_', '.', '-' only, at most `max` */
export function slug(s: string, max: number): string {
  return s
    .replace(/[^A-Za-z0-9_.-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, max)
    .replace(/[-.]+$/g, "");
}

/**
 * The conversation id of a session: its id and a hash of its rows (`rowsSha`, see importer.ts),
 * so the same session imported again — from the same file, or from a file in which only other
 * sessions changed — has the same id, and a session whose rows changed gets another.
 */
export function importedId(session: string, rowsSha: string): string {
  const s = slug(session, 40);
  return `imp-${s ? `${s}-` : ""}${sha(`${session}\u0000${rowsSha}`).slice(0, 12)}`;
}

/** where a session's rows wait while the file is read: a staging key of its own (import `run`, a fresh nonce per import) */
export function stagingId(run: string, session: string): string {
  return `imp-stage-${run}-${sha(session).slice(0, 12)}`;
}

/** an agent id for each speaker, in the order they first spoke: the speaker made safe, unique, never the narrator's */
export function agentIds(speakers: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  speakers.forEach((sp, i) => {
    let base = slug(sp, 60) || `speaker-${i + 1}`;
    if (base === NARRATOR_ID) base = `${base}-speaker`;
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    taken.add(id);
    out.set(sp, id);
  });
  return out;
}

/** why a session of these speakers cannot be a conversation, or null */
export function speakersProblem(n: number): string | null {
  if (n < MIN_AGENTS) return `it has ${n} speaker: a conversation has ${MIN_AGENTS} to ${MAX_AGENTS}`;
  if (n > MAX_AGENTS) return `it has more than ${MAX_AGENTS} speakers: a conversation has ${MIN_AGENTS} to ${MAX_AGENTS}`;
  return null;
}

export interface SessionFacts {
  id: string;
  session: string;
  /** speaker -> role, in the order they first spoke */
  speakers: Map<string, string>;
  rows: number;
  first: number;
  last: number;
}

export interface FileFacts {
  name: string;
  sha256: string;
  format: ImportFormat;
  fields: FieldNames;
  imported_at: number;
  limits: Limits;
}

const RECORDED = { provider: IMPORTED, model: "recorded", options: {} } as const;

export function importedSpec(s: SessionFacts, f: FileFacts): ConversationSpec {
  const ids = agentIds([...s.speakers.keys()]);
  const agents: AgentSpec[] = [...s.speakers].map(([speaker, role]) => ({
    id: ids.get(speaker) as string,
    role,
    kind: "recorded",
    pool: IMPORTED,
    model: { ...RECORDED, options: {} },
    fallback: null,
  }));
  const source: Source = {
    kind: "import",
    file: f.name,
    sha256: f.sha256,
    format: f.format,
    session_id: s.session,
    rows: s.rows,
    fields: { ...f.fields },
    imported_at: f.imported_at,
  };
  return {
    id: s.id,
    // when the conversation happened: `list` shows and sorts it by its first message
    created_at: s.first,
    scenario: { title: `${f.name} · ${s.session}`.slice(0, 160), premise: `a recorded conversation, session ${s.session} of ${f.name}` },
    agents,
    turn_order: "round_robin",
    manager: { provider: IMPORTED, model: "none", options: {} },
    limits: f.limits,
    token_stream_maxlen: 0,
    context: { strategy: "summarize", reserve_tokens: 512, window_tokens: null },
    config: { import: { file: f.name, format: f.format, fields: { ...f.fields } } },
    source,
  };
}

/** a staged row, as kept until its session is committed */
export interface StagedRow {
  speaker: string;
  text: string;
  at: number;
  time: string;
  line: number | null;
  item: number | null;
}

/** message `seq` of the imported conversation: the row's text and time; no tokens, speed or first token (nothing was generated) */
export function importedMessage(spec: ConversationSpec, speakers: { ids: ReadonlyMap<string, string>; roles: ReadonlyMap<string, string> }, row: StagedRow, seq: number): DialogMessage {
  const agentId = speakers.ids.get(row.speaker) ?? row.speaker;
  return {
    message_id: `${spec.id}.${seq}`,
    queue_timestamp: row.at,
    role: speakers.roles.get(row.speaker) ?? row.speaker,
    speaker: row.speaker,
    content: { message: row.text, references: [], end_conversation: false },
    cut: false,
    stalled: false,
    skipped: false,
    failed: false,
    metadata: {
      conversation_id: spec.id,
      sequence_number: seq,
      agent_id: agentId,
      provider: IMPORTED,
      model: "recorded",
      tokens_generated: 0,
      prompt_tokens: null,
      generation_time_ms: 0,
      time_to_first_token_ms: null,
      tokens_per_second: 0,
      load_time_ms: 0,
      done_reason: "stop",
      // who wrote it into Redis: the importing process
      worker: { host: os.hostname().slice(0, 200), pid: process.pid },
      attempt: 1,
      queue_wait_ms: 0,
      requested_at: row.at,
      started_at: row.at,
      finished_at: row.at,
      truncated: false,
      failed_attempts: [],
      source: "imported",
      imported: { line: row.line, item: row.item, time: row.time },
    },
  };
}
