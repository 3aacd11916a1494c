/**
 * The names check before an import reads rows (src/import/header.ts): one problem naming every
 * missing field, the names the file has and the options that map them; a one-column CSV header
 * with another separator in it; nothing when every field is there. And what a row over the text
 * limit is told.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_FIELDS, readRow } from "../../src/import/fields.js";
import { guessColumns, headerProblem, shellWord } from "../../src/import/header.js";

const csv = (columns: string[], delimiter = ",") => ({ kind: "columns" as const, columns, delimiter });

describe("headerProblem: a CSV header", () => {
  it("none of the four fields: one line names them all, the columns, and the options with the columns that look like them", () => {
    const p = headerProblem("wrongbig.csv", DEFAULT_FIELDS, csv(["sid", "who", "what", "when"]));
    expect(p?.message).toBe(
      "wrongbig.csv has no column session_id, speaker, text or timestamp (its columns: sid, who, what, when): map them with --session-field sid --speaker-field who --text-field what --time-field when",
    );
    expect(p?.hint).toContain("nothing was read or recorded");
  });

  it("only the missing fields are named; a column used by a field that is there is not proposed; no likely column: a placeholder", () => {
    const p = headerProblem("a.csv", DEFAULT_FIELDS, csv(["session_id", "speaker", "payload", "zz"]));
    expect(p?.message).toBe("a.csv has no column text or timestamp (its columns: session_id, speaker, payload, zz): map them with --text-field <column> --time-field <column>");
    // the name asked for, but for case and separators; one that contains a likely word
    const q = headerProblem("b.csv", DEFAULT_FIELDS, csv(["Session ID", "Speaker", "message_text", "sent_time"]));
    expect(q?.message).toBe(
      "b.csv has no column session_id, speaker, text or timestamp (its columns: Session ID, Speaker, message_text, sent_time): map them with --session-field 'Session ID' --speaker-field Speaker --text-field message_text --time-field sent_time",
    );
  });

  it("a --role-field the header lacks is named too; every field there: no problem", () => {
    const fields = { ...DEFAULT_FIELDS, role: "role" };
    expect(headerProblem("c.csv", fields, csv(["session_id", "timestamp", "speaker", "text"]))?.message).toMatch(/^c\.csv has no column role \(its columns: .*\): map them with --role-field <column>$/);
    expect(headerProblem("c.csv", DEFAULT_FIELDS, csv(["text", "speaker", "timestamp", "session_id", "extra"]))).toBeNull();
  });

  it("a header of one column holding ';', tabs or '|': it says which, and --delimiter", () => {
    const semi = headerProblem("semi.csv", DEFAULT_FIELDS, csv(["session_id;timestamp;speaker;text"]));
    expect(semi?.message).toBe('semi.csv looks semicolon-separated: its header is one column, "session_id;timestamp;speaker;text": import it with --delimiter \';\'');
    expect(semi?.hint).toContain("--delimiter");
    expect(headerProblem("t.csv", DEFAULT_FIELDS, csv(["session_id\ttimestamp\tspeaker\ttext"]))?.message).toMatch(/^t\.csv looks tab-separated: .*: import it with --delimiter tab$/);
    // split, the names still do not match: the mapping comes with it
    expect(headerProblem("p.csv", DEFAULT_FIELDS, csv(["chat|author|body|sent_at"]))?.message).toMatch(
      /looks pipe-separated: .*: import it with --delimiter '\|' --session-field chat --speaker-field author --text-field body --time-field sent_at$/,
    );
    // read with ';' already, the header has commas
    expect(headerProblem("c.csv", DEFAULT_FIELDS, csv(["session_id,timestamp,speaker,text"], ";"))?.message).toMatch(/looks comma-separated: .*--delimiter ,$/);
  });
});

describe("headerProblem: the first rows of JSON", () => {
  it("fields no row has: named, with every field the rows show (nested ones as dotted paths)", () => {
    const rows = [
      { ts: 1, meta: { session: "J" }, author: "x", body: "a" },
      { ts: 2, meta: { session: "J" }, author: "y", body: "b", role: "agent" },
    ];
    expect(headerProblem("arr.json", DEFAULT_FIELDS, { kind: "rows", rows, all: true })?.message).toBe(
      "arr.json has no field session_id, speaker, text or timestamp in any of its 2 rows (their fields: ts, meta.session, author, body, role): map them with --session-field meta.session --speaker-field author --text-field body --time-field ts",
    );
    expect(headerProblem("more.jsonl", DEFAULT_FIELDS, { kind: "rows", rows: rows.slice(0, 1), all: false })?.message).toMatch(/^more\.jsonl has no field .* in its first row \(/);
  });

  it("a field one of the rows has is there (a bad row later, not a mapping); no object rows: nothing to judge", () => {
    const rows = [
      { session_id: "s", timestamp: 1, speaker: "a" },
      { session_id: "s", timestamp: 2, speaker: "b", text: "hi" },
    ];
    expect(headerProblem("x.jsonl", DEFAULT_FIELDS, { kind: "rows", rows, all: false })).toBeNull();
    expect(headerProblem("x.jsonl", { ...DEFAULT_FIELDS, session: "meta.s" }, { kind: "rows", rows: [{ meta: { s: 1 }, timestamp: 1, speaker: "a", text: "t" }], all: true })).toBeNull();
    expect(headerProblem("x.jsonl", DEFAULT_FIELDS, { kind: "rows", rows: [], all: false })).toBeNull();
  });
});

describe("helpers", () => {
  it("guessColumns proposes each column once; shellWord quotes what a shell would split", () => {
    expect(guessColumns([{ key: "session", name: "session_id" }, { key: "text", name: "text" }], ["conv", "content"], [])).toEqual(["conv", "content"]);
    expect(guessColumns([{ key: "speaker", name: "speaker" }, { key: "text", name: "text" }], ["who"], [])).toEqual(["who", null]);
    expect(shellWord("sent_at")).toBe("sent_at");
    expect(shellWord("it's")).toBe("'it'\\''s'");
  });
});

describe("readRow: a text over the limit", () => {
  it("a text over the 200,000-character limit says to split or shorten it", () => {
    const row = readRow({ session_id: "s", speaker: "a", text: "x".repeat(200_001), timestamp: "2024-01-01T00:00:00Z" }, DEFAULT_FIELDS);
    expect(row).toEqual({ problem: expect.stringMatching(/^the text is 200,001 characters long, over the 200,000 a message may have: split it over several rows .* or shorten it$/) });
  });
});

describe("headerProblem: a JSON field that holds an object", () => {
  it("is said in one line before any row is read, with the dotted path that reaches its text", () => {
    const rows = [
      { session_id: "s1", speaker: { name: "Ana" }, text: "hi", timestamp: "2024-03-01T09:00:00Z" },
      { session_id: "s1", speaker: { name: "Bo" }, text: "hello", timestamp: "2024-03-01T09:00:05Z" },
    ];
    expect(headerProblem("obj.jsonl", DEFAULT_FIELDS, { kind: "rows", rows, all: true })?.message).toBe(
      "obj.jsonl has no field speaker that holds text (it holds an object or a list) in any of its 2 rows (their fields: session_id, speaker.name, text, timestamp): map them with --speaker-field speaker.name",
    );
    expect(headerProblem("obj.jsonl", { ...DEFAULT_FIELDS, speaker: "speaker.name" }, { kind: "rows", rows, all: true })).toBeNull();
  });
});

describe("readRow: a field there but not text", () => {
  const base = { session_id: "s", speaker: "a", text: "hello", timestamp: "2024-01-01T00:00:00Z" };
  it("says what the field holds, not that it is missing", () => {
    expect(readRow({ ...base, speaker: { name: "Ana" } }, DEFAULT_FIELDS)).toEqual({ problem: 'the speaker field "speaker" is an object, not text (--speaker-field names another field)' });
    expect(readRow({ ...base, session_id: ["s"] }, DEFAULT_FIELDS)).toEqual({ problem: 'the session field "session_id" is a list, not text (--session-field names another field)' });
    expect(readRow({ ...base, text: null }, DEFAULT_FIELDS)).toEqual({ problem: 'the text field "text" is null, not text (--text-field names another field)' });
    expect(readRow({ ...base, speaker: true }, DEFAULT_FIELDS)).toEqual({ problem: 'the speaker field "speaker" is true, not text (--speaker-field names another field)' });
  });
  it("a field named like an object's own property (constructor) that the row lacks is missing, not a function", () => {
    expect(readRow(base, { ...DEFAULT_FIELDS, speaker: "constructor" })).toEqual({ problem: 'no speaker field "constructor" (--speaker-field names another)' });
    expect(readRow(base, { ...DEFAULT_FIELDS, speaker: "meta.toString" })).toEqual({ problem: 'no speaker field "meta.toString" (--speaker-field names another)' });
  });
  it("a field that is not there is still said missing", () => {
    const { speaker: _speaker, ...noSpeaker } = base;
    expect(readRow(noSpeaker, DEFAULT_FIELDS)).toEqual({ problem: 'no speaker field "speaker" (--speaker-field names another)' });
  });
});
