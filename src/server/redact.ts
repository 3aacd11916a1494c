/**
 * What the server shows of a record: the spec's configuration is kept with secrets removed when
 * a run is created (spec/start.ts, redactedConfig); this checks again on the way out, so a record
 * written by an older or foreign process cannot leak an API key, a password or a URL's
 * credentials through a page or the API.
 */
import { redactUrl } from "../logger.js";
import type { ConversationRecord } from "../protocol/record.js";

const SECRET_KEY = /(api_?key|password|secret|token|authorization)$/i;

function scrub(v: unknown, key = ""): unknown {
  if (typeof v === "string") return SECRET_KEY.test(key) && v !== "" && v !== "***" ? "***" : redactUrl(v);
  if (Array.isArray(v)) return v.map((x) => scrub(x));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x, k)]));
  return v;
}

export function redactRecord(rec: ConversationRecord): ConversationRecord {
  return {
    ...rec,
    spec: { ...rec.spec, config: scrub(rec.spec.config) as Record<string, unknown> },
    error: rec.error === null ? null : rec.error.replace(/\b(\w+:\/\/)([^:@/\s]*):([^@/\s]*)@/g, "$1$2:***@"),
  };
}
