/**
 * What `dialogue import` prints of its report (src/import/importer.ts ImportReport): the sessions
 * imported, those there already, those not imported and the bad rows — the last two capped at
 * SHOWN lines each, the rest counted — and, when something was not imported, the one-line cause
 * (new and already-imported sessions counted apart) with a hint that fits what is wrong. Pure.
 */
import { plural } from "../analysis/format.js";
import { MAX_BAD_LISTED, type ImportReport } from "../import/importer.js";

/** bad rows, and sessions not imported, printed at most (--json lists up to MAX_BAD_LISTED bad rows, every session) */
export const SHOWN = 20;

const iso = (ms: number): string => new Date(ms).toISOString().replace("T", " ").slice(0, 19);

function span(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
}

export function reportText(r: ImportReport): string {
  const lines = [`${r.file}: ${plural(r.rows, "row")} (${r.format}, sha256 ${r.sha256.slice(0, 12)}…)`];
  if (r.imported.length) {
    lines.push(`Imported ${plural(r.imported.length, "session")} (status imported):`);
    for (const c of r.imported) {
      lines.push(`  ${c.id}  session ${c.session} · ${plural(c.messages, "message")} · ${c.speakers.join(", ")} · ${iso(c.first)} → ${iso(c.last)} UTC (${span(c.last - c.first)})`);
    }
  }
  if (r.already.length) {
    lines.push(`Already imported, left as they were (${r.already.length}):`);
    for (const c of r.already) lines.push(`  ${c.id}  session ${c.session}`);
  }
  if (r.rejected.length) {
    lines.push(`Not imported (${r.rejected.length}):`);
    for (const c of r.rejected.slice(0, SHOWN)) lines.push(`  session ${c.session}: ${c.reason}`);
    if (r.rejected.length > SHOWN) lines.push(`  … and ${plural(r.rejected.length - SHOWN, "more session")} (--json lists them all)`);
  }
  if (r.bad_row_count) {
    lines.push(`Bad rows (${r.bad_row_count}):`);
    for (const b of r.bad_rows.slice(0, SHOWN)) lines.push(`  ${b.place}${b.session !== null ? ` (session ${b.session})` : ""}: ${b.problem}`);
    const more = r.bad_row_count - Math.min(SHOWN, r.bad_rows.length);
    if (more > 0) lines.push(`  … and ${plural(more, "more bad row")} (--json lists ${r.bad_row_count > MAX_BAD_LISTED ? `the first ${MAX_BAD_LISTED.toLocaleString("en-US")}` : "them all"})`);
  }
  const first = r.imported[0]?.id ?? r.already[0]?.id;
  if (first) lines.push(`See them: dialogue list --status imported · dialogue analyze ${first} --window 60s · dialogue replay ${first} --speed 10`);
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
