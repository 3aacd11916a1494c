/**
 * `dialogue import`, end to end with the real CLI: a JSONL like the seed's sample (two sessions
 * of 14 messages, 30 s apart, interleaved as a contact centre records them) becomes two
 * conversations that list, show, analyze (time windows from the rows' own times), replay (a
 * tenth of the recorded time at ×10), export and compare like runs; importing it again adds
 * nothing. Bad rows are reported by line and keep their whole session out; a line that is not
 * JSON keeps everything out. CSV and JSON arrays with other field names and epoch times.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Analysis } from "../../src/analysis/schema.js";
import type { DialogMessage } from "../../src/protocol/schemas.js";
import { ROOT } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { cli } from "../helpers/runs.js";

const SEED = path.join(ROOT, "test", "fixtures", "import", "seed.jsonl");
const documented = z.fromJSONSchema(JSON.parse(readFileSync(path.join(ROOT, "docs", "analysis.schema.json"), "utf8")) as Parameters<typeof z.fromJSONSchema>[0]);
const seedRows = readFileSync(SEED, "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as { session_id: string; timestamp: string; speaker: string; text: string });

let dir: string;
let redis: Redis;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "dialogue-import-"));
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

/** the ids `dialogue list --json` shows under `prefix`, with their records' summaries */
async function listed(prefix: string): Promise<Array<{ id: string; status: string; turns: number; started_at: number; ended_at: number; scenario: string }>> {
  const r = await cli(prefix, ["list", "--json", "--limit", "100"]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim() ? r.stdout.trim().split("\n").map((l) => JSON.parse(l)) : [];
}

const idsIn = (stdout: string): string[] => [...stdout.matchAll(/^ {2}(imp-\S+)\s+session/gm)].map((m) => m[1] as string);

describe("dialogue import: a JSONL like the seed's sample", () => {
  const prefix = freshPrefix();
  let ids: string[] = [];

  it("imports as 2 conversations (status imported, speakers recorded, times from the rows); again, it adds nothing", async () => {
    const first = await cli(prefix, ["import", SEED]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("Imported 2 sessions");
    ids = idsIn(first.stdout);
    expect(ids).toHaveLength(2);

    const runs = await listed(prefix);
    expect(runs.map((r) => r.id).sort()).toEqual([...ids].sort());
    for (const r of runs) {
      const rows = seedRows.filter((x) => r.scenario.endsWith(x.session_id));
      expect(rows).toHaveLength(14);
      expect(r.status).toBe("imported");
      expect(r.turns).toBe(14);
      expect(r.started_at).toBe(Date.parse(rows[0]!.timestamp));
      expect(r.ended_at).toBe(Date.parse(rows[13]!.timestamp));
    }
    const byStatus = await cli(prefix, ["list", "--status", "imported"]);
    expect(byStatus.stdout).toMatch(/ imported  +seed\.jsonl · S-100\d +recorded · imported from seed\.jsonl/);

    // each message: the row's text, speaker and time, and nothing a model would have measured
    const shown = await cli(prefix, ["show", ids[0]!, "--json"]);
    const { record, messages } = JSON.parse(shown.stdout) as { record: { spec: { source: { kind: string; file: string; session_id: string; sha256: string } } }; messages: DialogMessage[] };
    expect(record.spec.source).toMatchObject({ kind: "import", file: "seed.jsonl" });
    expect(record.spec.source.sha256).toMatch(/^[0-9a-f]{64}$/);
    const rows = seedRows.filter((x) => x.session_id === record.spec.source.session_id);
    expect(messages.map((m) => m.content.message)).toEqual(rows.map((x) => x.text));
    expect(messages.map((m) => m.speaker)).toEqual(rows.map((x) => x.speaker));
    expect(messages.map((m) => m.metadata.finished_at)).toEqual(rows.map((x) => Date.parse(x.timestamp)));
    for (const m of messages) {
      expect(m.metadata.source).toBe("imported");
      expect(m.metadata.tokens_generated).toBe(0);
      expect(m.metadata.time_to_first_token_ms).toBeNull();
      expect(m.metadata.prompt_tokens).toBeNull();
    }
    // the seed interleaves the sessions: session S-1001's rows are the odd lines
    expect(messages.map((m) => m.metadata.imported?.line)).toEqual(record.spec.source.session_id === "S-1001" ? [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27] : [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28]);
    const text = await cli(prefix, ["show", ids[0]!]);
    expect(text.stdout).toContain("imported from seed.jsonl");
    expect(text.stdout).toMatch(/recorded 2024-03-01T\d\d:\d\d:\d\d.000Z · line \d+ · imported: no tokens or speed/);
    // an import ran under no limit of this tool: there is no stop reason to miss
    expect(text.stdout).toMatch(/^Ended: imported · /m);
    // its rows carry no tokens: none are counted, not a made-up 0 (the summary, and each speaker)
    expect(text.stdout).toMatch(/^Ended: imported · 14 turns · no tokens recorded · /m);
    expect(text.stdout).toMatch(/^ {2}rm \(rm, recorded\): 7 turns$/m);
    expect(text.stdout).not.toMatch(/\b0 tokens\b/);

    const again = await cli(prefix, ["import", SEED]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("Already imported, left as they were (2)");
    expect(again.stdout).not.toContain("Imported ");
    expect((await listed(prefix)).map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(await redis.keys(`${prefix}:*staging*`)).toEqual([]);
  });

  it("analyze --window 60s: per session, 7 windows of 60 s from the rows' times, 2 turns each; the JSON fits the schema", async () => {
    for (const id of ids) {
      const r = await cli(prefix, ["analyze", id, "--window", "60s", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      const a = JSON.parse(r.stdout) as Analysis;
      expect(documented.safeParse(a).success).toBe(true);
      expect(a.run.status).toBe("imported");
      expect(a.run.source).toMatchObject({ kind: "import", file: "seed.jsonl" });
      expect(a.run.duration_s).toBe(390);
      expect(a.windows.map((w) => [w.start_s, w.end_s, w.turns, w.from_turn, w.to_turn])).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => [60 * i, 60 * (i + 1), 2, 2 * i + 1, 2 * i + 2]));
      expect(a.agents.map((g) => [g.agent_id, g.kind, g.turns, g.tokens_per_second.mean])).toEqual([
        ["rm", "recorded", 7, null],
        ["customer", "recorded", 7, null],
      ]);
      expect(a.orchestration.handoff_ms.n).toBe(0);
      expect(a.run.models.map((m) => m.role)).toEqual(["rm", "customer"]);
    }
    const text = await cli(prefix, ["analyze", ids[0]!, "--window", "60s"]);
    expect(text.stdout).toContain("Over time: 7 windows of 1m");
    expect(text.stdout).toMatch(/^ {2}imported · 14 turns · no tokens recorded · 390\.0 s$/m);
    expect(text.stdout).toContain("imported from seed.jsonl");
    // its speakers came as the file has them: no turn order of this tool chose them
    expect(text.stdout).toContain("turn order as recorded (imported)");
    expect(text.stdout).not.toContain("round robin");
  });

  it("--notes with the simulated provider: a note per window, labelled, stored with the run, in the report, --json (schema), Markdown and the HTML export", async () => {
    const id = ids[0]!;
    const r = await cli(prefix, ["analyze", id, "--window", "60s", "--notes", "--json", "--set", "provider=simulated"]);
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout) as Analysis;
    expect(documented.safeParse(a).success).toBe(true);
    expect(a.notes).toMatchObject({ provider: "simulated", simulated: true, window: "1m", notes: 7 });
    for (const w of a.windows) {
      expect(w.note?.simulated).toBe(true);
      expect(w.note?.summary).toMatch(new RegExp(`^\\[simulated note\\] window ${w.index + 1} of 7, ${60 * w.index}\\.0-${60 * (w.index + 1)}\\.0 s: 2 messages`));
      expect(w.note!.sentiment).toBeGreaterThanOrEqual(-1);
    }
    // the customer's question in the second window is open there
    expect(a.windows[1]!.note!.open_questions).toEqual(["customer: What would the monthly payment be on the two-year fix compared with now?"]);

    // stored: a later analyze of the same window size shows them without asking again
    const text = await cli(prefix, ["analyze", id, "--window", "60s"]);
    expect(text.stdout).toMatch(/Notes\n {2}by simulated-1 \[simulated\] on 7 windows of 1m — simulated, not a real model's notes\n {2}window 1 \(0\.0-60\.0 s, sentiment [+-]?\d\.\d\d\): \[simulated note\]/);
    const md = await cli(prefix, ["analyze", id, "--window", "60s", "--md"]);
    expect(md.stdout).toContain("## Notes");
    // another window size has none of them
    expect((JSON.parse((await cli(prefix, ["analyze", id, "--window", "2m", "--json"])).stdout) as Analysis).notes).toBeNull();

    // notes on the default windows go with the stored analysis, into the HTML export
    const auto = await cli(prefix, ["analyze", id, "--notes", "--set", "provider=simulated"]);
    expect(auto.code, auto.stderr).toBe(0);
    const out = path.join(dir, "notes.html");
    expect((await cli(prefix, ["export", id, "--format", "html", "--out", out])).code).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html).toContain('<ul data-list="notes">');
    expect(html.match(/\[simulated note\]/g)?.length).toBeGreaterThanOrEqual(7);
  });

  it("replay --speed 10 takes about a tenth of the recorded 390 s (both sessions at once)", async () => {
    const instant = await cli(prefix, ["replay", ids[0]!, "--speed", "0", "--plain"]);
    expect(instant.code, instant.stderr).toBe(0);
    const runs = await Promise.all(ids.map((id) => cli(prefix, ["replay", id, "--speed", "10", "--plain"], 120_000)));
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      const replayed = r.ms - instant.ms;
      // 39 s, measured loosely (a busy machine starts processes slowly)
      expect(replayed).toBeGreaterThan(0.07 * 390_000);
      expect(replayed).toBeLessThan(0.15 * 390_000);
    }
    expect(runs[0]!.stdout).toBe(instant.stdout);
  }, 150_000);

  it("export --format html: one page with the 14 recorded messages; compare takes the two sessions side by side", async () => {
    const out = path.join(dir, "imported.html");
    const r = await cli(prefix, ["export", ids[0]!, "--format", "html", "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.trimEnd()).toMatch(/<\/html>$/);
    expect(html.match(/data-source="imported"/g)).toHaveLength(14);
    expect(html).toContain("imported from seed.jsonl");
    expect(html).toContain("recorded at 2024-03-01T");
    const md = await cli(prefix, ["export", ids[0]!, "--format", "md"]);
    expect(md.stdout).toContain("imported, no tokens or speed");

    const cmp = await cli(prefix, ["compare", ...ids]);
    expect(cmp.code, cmp.stderr).toBe(0);
    expect(cmp.stdout).toMatch(/source\s+imported: seed.jsonl · S-100\d\s+imported: seed.jsonl · S-100\d/);
    expect(cmp.stdout).toMatch(/turn order\s+as recorded \(imported\)\s+as recorded \(imported\)/);
  });
});

describe("dialogue import: bad rows", () => {
  it("3 bad rows: their lines are reported, nothing of their sessions is imported, the whole session is; exit 2", async () => {
    const prefix = freshPrefix();
    const rows = [...seedRows.map((r) => ({ ...r })), ...seedRows.slice(0, 4).map((r) => ({ ...r, session_id: "S-2000" }))];
    // S-1001's line 5: no text; S-1002's line 10: a time that is no date; S-1001's line 21: an empty speaker
    delete (rows[4] as Partial<(typeof rows)[number]>).text;
    rows[9]!.timestamp = "yesterday at noon";
    rows[20]!.speaker = "";
    const file = path.join(dir, "bad.jsonl");
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const r = await cli(prefix, ["import", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("Bad rows (3):");
    expect(r.stdout).toContain('line 5 (session S-1001): no text field "text" (--text-field names another)');
    expect(r.stdout).toMatch(/line 10 \(session S-1002\): the time "yesterday at noon" is not an ISO 8601 date/);
    expect(r.stdout).toContain('line 21 (session S-1001): the speaker field "speaker" is empty');
    expect(r.stdout).toMatch(/session S-1001: its line 5 is bad/);
    expect(r.stdout).toMatch(/session S-1002: its line 10 is bad/);
    const errLines = r.stderr.trim().split("\n").filter((l) => l.startsWith("error:"));
    expect(errLines).toEqual(["error: 3 bad rows (line 5, line 10, line 21); 2 sessions not imported; 1 session imported"]);
    const runs = await listed(prefix);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.scenario).toBe("bad.jsonl · S-2000");
    expect(runs[0]!.turns).toBe(4);
    expect(await redis.keys(`${prefix}:*staging*`)).toEqual([]);

    // the rows fixed, the file imported again: the fixed sessions come in, S-2000 is found
    writeFileSync(file, [...seedRows, ...seedRows.slice(0, 4).map((x) => ({ ...x, session_id: "S-2000" }))].map((x) => JSON.stringify(x)).join("\n") + "\n");
    const fixed = await cli(prefix, ["import", file]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain("Imported 2 sessions");
    expect(fixed.stdout).toContain("Already imported, left as they were (1)");
    expect(await listed(prefix)).toHaveLength(3);
  });

  it("a line that is not JSON could be any session's: nothing is imported, and it says so", async () => {
    const prefix = freshPrefix();
    const file = path.join(dir, "broken.jsonl");
    const lines = seedRows.map((x) => JSON.stringify(x));
    lines.splice(6, 0, '{"session_id": "S-1001", "timestamp": ');
    writeFileSync(file, lines.join("\n") + "\n");
    const r = await cli(prefix, ["import", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/line 7: not JSON/);
    expect(r.stdout).toContain("a row whose session cannot be told is bad, and it may be this session's");
    expect(r.stderr).toContain("hint: a row that is not a JSON object names no session, so nothing was imported");
    expect(await listed(prefix)).toEqual([]);
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  });

  it("a session with 9 speakers or 1 is not a conversation; a missing file or an unknown format is one line, exit 2", async () => {
    const prefix = freshPrefix();
    const file = path.join(dir, "crowd.jsonl");
    const t0 = Date.parse("2024-05-01T10:00:00Z");
    const crowd = Array.from({ length: 9 }, (_, i) => ({ session_id: "crowd", timestamp: new Date(t0 + i * 1000).toISOString(), speaker: `p${i}`, text: `hello from ${i}` }));
    const alone = [0, 1].map((i) => ({ session_id: "alone", timestamp: new Date(t0 + i * 1000).toISOString(), speaker: "solo", text: `line ${i}` }));
    writeFileSync(file, [...crowd, ...alone].map((x) => JSON.stringify(x)).join("\n"));
    const r = await cli(prefix, ["import", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/session crowd: more than 8 speakers \(from line 9, "p8"\)/);
    expect(r.stdout).toMatch(/session alone: it has 1 speaker: a conversation has 2 to 8/);
    expect(await listed(prefix)).toEqual([]);

    const missing = await cli(prefix, ["import", path.join(dir, "nope.jsonl")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: no file at .*nope.jsonl\nhint: /);
    const unknown = await cli(prefix, ["import", path.join(dir, "calls.txt")]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: cannot tell the format of .*calls.txt from its name/);
  });
});

describe("dialogue import: CSV and a JSON array, with other field names", () => {
  it("CSV with a header (quoted commas, epoch seconds) and a JSON array (nested session, epoch ms) import with the fields named", async () => {
    const prefix = freshPrefix();
    const t0 = Date.parse("2024-06-01T08:00:00Z");
    const csv = path.join(dir, "chats.csv");
    writeFileSync(
      csv,
      ["chat,author,body,sent_at", ...[0, 1, 2, 3].map((i) => `c1,${i % 2 ? "agent" : "client"},"hello, it's message ${i}",${t0 / 1000 + 20 * i}`), "c1,agent,too,many,fields", ""].join("\n"),
    );
    const r = await cli(prefix, ["import", csv, "--session-field", "chat", "--speaker-field", "author", "--text-field", "body", "--time-field", "sent_at"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("line 6 (session c1): its number of fields differs from the header's");
    // c1 had a bad row: not imported; fixed, it is
    writeFileSync(csv, ["chat,author,body,sent_at", ...[0, 1, 2, 3].map((i) => `c1,${i % 2 ? "agent" : "client"},"hello, it's message ${i}",${t0 / 1000 + 20 * i}`)].join("\n"));
    const ok = await cli(prefix, ["import", csv, "--session-field", "chat", "--speaker-field", "author", "--text-field", "body", "--time-field", "sent_at"]);
    expect(ok.code, ok.stderr).toBe(0);
    const [id] = idsIn(ok.stdout);
    const shown = JSON.parse((await cli(prefix, ["show", id!, "--json"])).stdout) as { messages: DialogMessage[] };
    expect(shown.messages.map((m) => [m.speaker, m.content.message, m.metadata.finished_at])).toEqual([0, 1, 2, 3].map((i) => [i % 2 ? "agent" : "client", `hello, it's message ${i}`, t0 + 20_000 * i]));

    const json = path.join(dir, "export.json");
    writeFileSync(
      json,
      JSON.stringify(
        [3, 1, 0, 2].map((i) => ({ meta: { conv: "j1" }, who: i % 2 ? "bot" : "user", role: i % 2 ? "assistant" : "customer", msg: `m${i}`, ts: t0 + 1000 * i })),
        null,
        2,
      ),
    );
    const j = await cli(prefix, ["import", json, "--session-field", "meta.conv", "--speaker-field", "who", "--text-field", "msg", "--time-field", "ts", "--role-field", "role", "--epoch", "ms"]);
    expect(j.code, j.stderr).toBe(0);
    const [jid] = idsIn(j.stdout);
    const js = JSON.parse((await cli(prefix, ["show", jid!, "--json"])).stdout) as { record: { spec: { agents: Array<{ id: string; role: string; kind: string }> } }; messages: DialogMessage[] };
    // in time order, whatever the file's order; each row's place in the array kept
    expect(js.messages.map((m) => [m.content.message, m.metadata.imported?.item])).toEqual([
      ["m0", 3],
      ["m1", 2],
      ["m2", 4],
      ["m3", 1],
    ]);
    expect(js.record.spec.agents.map((a) => [a.id, a.role, a.kind])).toEqual([
      ["bot", "assistant", "recorded"],
      ["user", "customer", "recorded"],
    ]);
  });
});
