/**
 * What `dialogue import` prints of its report (src/import/importer.ts ImportReport): the sessions
 * imported, those there already, those not imported and the bad rows — each capped at SHOWN lines,
 * the rest counted (the totals exact) — and, when something was not imported, the one-line cause
 * (new and already-imported sessions counted apart) with a hint that fits what is wrong. Pure.
 */
import { plural, utcSeconds } from "../analysis/format.js";
import { MAX_BAD_LISTED, type ImportReport } from "../import/importer.js";

/** lines printed at most of each list: sessions imported, already imported, not imported, bad rows (--json lists up to MAX_BAD_LISTED bad rows, every session) */
export const SHOWN = 20;

const iso = utcSeconds;

function span(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
}

/** how the fields were split, when not by "," */
const SPLIT: Record<string, string> = { "\t": "tab-separated", ";": "semicolon-separated", "|": "pipe-separated" };

/** the line after the first SHOWN of `n` sessions: how many more, and where to see them all (`dialogue list` shows 20 unless --limit says more) */
const moreSessions = (n: number, reach: string): string => `  … and ${plural(n - SHOWN, "more session")} (dialogue list --status imported --limit ${n}${reach} shows them; --json lists them)`;

/** `reach`: what the commands it names need to reach the imported conversations (reach.ts) */
export function reportText(r: ImportReport, reach: string): string {
  const split = r.delimiter !== undefined && r.delimiter !== "," ? `, ${SPLIT[r.delimiter] ?? `split by ${JSON.stringify(r.delimiter)}`}` : "";
  const lines = [`${r.file}: ${plural(r.rows, "row")} (${r.format}${split}, sha256 ${r.sha256.slice(0, 12)}…)`];
  if (r.imported.length) {
    lines.push(`Imported ${plural(r.imported.length, "session")} (status imported):`);
    for (const c of r.imported.slice(0, SHOWN)) {
      lines.push(`  ${c.id}  session ${c.session} · ${plural(c.messages, "message")} · ${c.speakers.join(", ")} · ${iso(c.first)} → ${iso(c.last)} UTC (${span(c.last - c.first)})`);
    }
    if (r.imported.length > SHOWN) lines.push(moreSessions(r.imported.length, reach));
  }
  if (r.already.length) {
    lines.push(`Already imported, left as they were (${r.already.length.toLocaleString("en-US")}):`);
    for (const c of r.already.slice(0, SHOWN)) lines.push(`  ${c.id}  session ${c.session}`);
    if (r.already.length > SHOWN) lines.push(moreSessions(r.already.length, reach));
  }
  if (r.rejected.length) {
    lines.push(`Not imported (${r.rejected.length.toLocaleString("en-US")}):`);
    for (const c of r.rejected.slice(0, SHOWN)) lines.push(`  session ${c.session}: ${c.reason}`);
    if (r.rejected.length > SHOWN) lines.push(`  … and ${plural(r.rejected.length - SHOWN, "more session")} (--json lists them all)`);
  }
  if (r.bad_row_count) {
    lines.push(`Bad rows (${r.bad_row_count.toLocaleString("en-US")}):`);
    for (const b of r.bad_rows.slice(0, SHOWN)) lines.push(`  ${b.place}${b.session !== null ? ` (session ${b.session})` : ""}: ${b.problem}`);
    const more = r.bad_row_count - Math.min(SHOWN, r.bad_rows.length);
    if (more > 0) lines.push(`  … and ${plural(more, "more bad row")} (--json lists ${r.bad_row_count > MAX_BAD_LISTED ? `the first ${MAX_BAD_LISTED.toLocaleString("en-US")}` : "them all"})`);
  }
  const first = r.imported[0]?.id ?? r.already[0]?.id;
  if (first) lines.push(`See them: dialogue list --status imported${reach} · dialogue analyze ${first} --window 60s${reach} · dialogue replay ${first} --speed 10${reach}`);
  return lines.join("\n");
}

/** the one-line cause and hint when something was not imported, or null when everything was */
export function failureOf(r: ImportReport): { message: string; hint: string } | null {
  if (r.bad_row_count + r.rejected.length === 0) return null;
  const places = r.bad_rows.slice(0, 5).map((b) => b.place).join(", ");
  const parts = [
    r.bad_row_count ? `${plural(r.bad_row_count, "bad row")} (${places}${r.bad_row_count > 5 ? ", …" : ""})` : "",
    r.rejected.length ? `${plural(r.rejected.length, "session")} not imported` : "",
    [r.imported.length ? `${plural(r.imported.length, "session")} imported` : "", r.already.length ? `${r.already.length.toLocaleString("en-US")} already imported` : ""].filter(Boolean).join(", "),
  ];

  const kinds = new Set(r.rejected.map((x) => x.kind));
  const hints: string[] = [];
  if (r.unreadable > 0) hints.push("a row that is not a JSON object names no session, so nothing was imported: fix that line, then import the file again");
  if (r.unattributed > r.unreadable) hints.push("a row with no session could be any session's, so nothing was imported: give it its session, then import the file again");
  if (r.unattributed === 0 && kinds.has("bad_row")) hints.push("fix the bad rows and import the file again: the sessions already in are found, not added twice");
  if (kinds.has("speakers")) hints.push("a session needs 2 to 8 speakers: check that --session-field and --speaker-field name the right fields, else leave those sessions out (the others are imported)");
  if (kinds.has("exists")) hints.push("a conversation that was not imported holds that id: it is left as it is (dialogue show <id>)");
  return { message: parts.filter(Boolean).join("; "), hint: hints.join("; ") || "import the file again once the rows above are fixed" };
}
