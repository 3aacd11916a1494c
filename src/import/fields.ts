/**
 * One row of a recorded conversation, read through the field names the user gave (or the
 * defaults that fit a file like `{session_id, timestamp, speaker, text}`): its session, speaker,
 * text and time, or the one problem that makes it a bad row. Pure.
 *
 * Times: ISO 8601 dates ("2024-03-01T09:30:00Z"; one without a zone is read as UTC), or epoch
 * numbers — seconds below 100,000,000,000, milliseconds from there (`--epoch s|ms` says which
 * when a file's numbers could be either).
 */
import { MAX_TEXT } from "../protocol/schemas.js";

export interface FieldNames {
  /** @defaultValue "session_id" */
  session: string;
  /** @defaultValue "speaker" */
  speaker: string;
  /** @defaultValue "text" */
  text: string;
  /** @defaultValue "timestamp" */
  time: string;
  /** a field with each speaker's role (absent: the speaker's value is its role); @defaultValue null */
  role: string | null;
}

export const DEFAULT_FIELDS: FieldNames = { session: "session_id", speaker: "speaker", text: "text", time: "timestamp", role: null };

export type EpochUnit = "auto" | "s" | "ms";

export interface Row {
  session: string;
  speaker: string;
  role: string | null;
  text: string;
  /** epoch ms */
  at: number;
  /** the time as the file wrote it */
  time: string;
}

/** longest speaker, role and session values kept */
const MAX_NAME = 200;
/** epoch numbers below this are seconds (this many seconds is the year 5138; as milliseconds, 1973) */
const SECONDS_BELOW = 100_000_000_000;

/** a field's value: `name` is a key, or a dotted path into nested objects ("meta.session") */
export function fieldOf(row: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(row, name)) return row[name];
  let v: unknown = row;
  for (const part of name.split(".")) {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
    v = Object.hasOwn(v, part) ? (v as Record<string, unknown>)[part] : undefined;
  }
  return v;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** epoch ms of a row's time, or why it is not one */
export function parseTime(raw: unknown, epoch: EpochUnit = "auto"): number | string {
  if (typeof raw === "number" || (typeof raw === "string" && /^\d+(\.\d+)?$/.test(raw.trim()))) {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) return `the time ${JSON.stringify(raw)} is not a positive epoch number`;
    const ms = epoch === "s" || (epoch === "auto" && n < SECONDS_BELOW) ? n * 1000 : n;
    return Math.round(ms);
  }
  if (typeof raw !== "string") return raw === undefined || raw === null ? "no time" : `the time ${JSON.stringify(raw)} is neither a date nor a number`;
  const m = ISO.exec(raw.trim());
  if (!m) return `the time ${JSON.stringify(raw)} is not an ISO 8601 date (2024-03-01T09:30:00Z) or an epoch number`;
  const zone = m[8] ? m[8].toUpperCase() : "Z";
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4] ?? "00"}:${m[5] ?? "00"}:${m[6] ?? "00"}${m[7] ? `.${m[7].slice(0, 3).padEnd(3, "0")}` : ""}${zone === "Z" ? "Z" : zone.length === 3 ? `${zone}:00` : zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`}`;
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return `the time ${JSON.stringify(raw)} is not a real date`;
  return t;
}

/** a text field's value as a string: strings as they are, numbers written out; anything else is not one */
function textOf(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

/** what a value that is not text is, for a problem's line: "an object", "a list", "true", "null" */
function kindOf(v: unknown): string {
  if (v === null || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/** the row through the field names, or the problem with it (one line, naming the field and its option) */
export function readRow(row: Record<string, unknown>, f: FieldNames, epoch: EpochUnit = "auto"): Row | { problem: string } {
  // a field that is not there, or there but not text (a string or a number): each said as it is
  const missing = (what: string, name: string, flag: string): { problem: string } => {
    const v = fieldOf(row, name);
    return { problem: v === undefined ? `no ${what} field "${name}" (${flag} names another)` : `the ${what} field "${name}" is ${kindOf(v)}, not text (${flag} names another field)` };
  };
  const session = textOf(fieldOf(row, f.session));
  if (session === null) return missing("session", f.session, "--session-field");
  if (session.trim() === "") return { problem: `the session field "${f.session}" is empty` };
  const speaker = textOf(fieldOf(row, f.speaker));
  if (speaker === null) return missing("speaker", f.speaker, "--speaker-field");
  if (speaker.trim() === "") return { problem: `the speaker field "${f.speaker}" is empty` };
  const text = textOf(fieldOf(row, f.text));
  if (text === null) return missing("text", f.text, "--text-field");
  if (text.trim() === "") return { problem: `the text field "${f.text}" is empty` };
  if (text.length > MAX_TEXT) {
    return { problem: `the text is ${text.length.toLocaleString("en-US")} characters long, over the ${MAX_TEXT.toLocaleString("en-US")} a message may have: split it over several rows (the same session and speaker; rows with the same time keep the file's order) or shorten it` };
  }
  const rawTime = fieldOf(row, f.time);
  if (rawTime === undefined) return missing("time", f.time, "--time-field");
  const at = parseTime(rawTime, epoch);
  if (typeof at === "string") return { problem: at };
  let role: string | null = null;
  if (f.role !== null) {
    role = textOf(fieldOf(row, f.role));
    if (role === null || role.trim() === "") return { problem: `no role in the field "${f.role}" (--role-field)` };
  }
  if (session.length > MAX_NAME || speaker.length > MAX_NAME || (role?.length ?? 0) > MAX_NAME) return { problem: `a session, speaker or role longer than ${MAX_NAME} characters` };
  return { session: session.trim(), speaker: speaker.trim(), role: role?.trim() ?? null, text, at, time: String(rawTime).slice(0, 100) };
}
