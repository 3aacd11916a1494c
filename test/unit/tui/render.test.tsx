/**
 * The TUI as text (Ink's renderToString): what a viewer reads in the header, the streaming turn,
 * the stats and the summary, at 100 and 80 columns and narrower, with long, Unicode and hostile
 * text — and that the live area always stays shorter than the terminal.
 */
import { renderToString, Text } from "ink";
import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { summarize } from "../../../src/analysis/summary.js";
import type { FeedEvent } from "../../../src/observer/feed.js";
import { Header } from "../../../src/observer/tui/Header.js";
import { LiveArea } from "../../../src/observer/tui/LiveArea.js";
import { initialState, reduce, type ViewState } from "../../../src/observer/tui/state.js";
import { agentStats } from "../../../src/observer/tui/stats.js";
import { StatsPanel } from "../../../src/observer/tui/StatsPanel.js";
import { SummaryScreen } from "../../../src/observer/tui/SummaryScreen.js";
import { CAST, makeCastRecord, makeTurn } from "../../helpers/cast.js";
import { chunksFor, ID, makeMessage, makeRecord, T0 } from "../../helpers/conversation.js";

const lines = (s: string): string[] => s.split("\n");
const widest = (s: string): number => Math.max(...lines(s).map((l) => stringWidth(l)));

const LONG = Array.from({ length: 60 }, (_, i) => `Sentence ${i + 1} about the rate, the term and the fees.`).join(" ");

function streaming(text: string, fraction = 1): ViewState {
  const m1 = makeMessage(1, "Good morning, Arjun.", { tps: 20 });
  const m2 = makeMessage(2, "Morning, Elena.", { tps: 30 });
  const m3 = makeMessage(3, text);
  const chunks = chunksFor(m3, 16);
  return reduce(initialState, [
    { type: "record", record: makeRecord({ turns: 2 }), previous: null },
    { type: "message", message: m1 },
    { type: "message", message: m2 },
    ...chunks.slice(0, Math.ceil(chunks.length * fraction)).map((chunk): FeedEvent => ({ type: "tokens", chunk })),
  ]);
}

describe("header", () => {
  const record = makeRecord({ turns: 2 });
  const out = renderToString(<Header record={record} turn={3} now={T0 + 42_000} width={100} />, { columns: 100 });

  it("names the scenario, the conversation, the time, the turn and the status", () => {
    expect(out).toContain("Refinancing the mortgage");
    expect(out).toContain(ID);
    expect(out).toMatch(/00:42 [█░]+ 01:18 left/);
    expect(out).toContain("turn 3 of 12");
    expect(out).toContain("running");
  });

  it("shows each agent's persona, provider and model, labelling the simulated one", () => {
    expect(out).toMatch(/Elena Nakamura \(customer\) · simulated-1 \[simulated\]/);
    expect(out).toMatch(/Arjun Mehta \(advisor\) · ollama\/llama3\.2:3b/);
  });

  it("shows how a run ended", () => {
    const ended = makeRecord({ status: "stopped", stop_reason: "user_stop", ended_at: T0 + 30_000, turns: 5 });
    const s = renderToString(<Header record={ended} turn={5} now={T0 + 99_000} width={100} />, { columns: 100 });
    expect(s).toContain("stopped (user_stop)");
    expect(s).toMatch(/00:30 [█░]+ of 02:00 ·/);
  });

  it("keeps to one row per line at 80 and 50 columns", () => {
    for (const columns of [80, 50]) {
      const s = renderToString(<Header record={record} turn={3} now={T0 + 42_000} width={columns} />, { columns });
      expect(lines(s)).toHaveLength(5);
      expect(widest(s)).toBeLessThanOrEqual(columns);
    }
  });

  it("says SIMULATED, naming who is, and cuts a long title rather than the conversation id", () => {
    expect(lines(out)[0]).toBe(`DialogueLLM · SIMULATED: customer · Refinancing the mortgage · ${ID}`);
    const long = makeRecord({ turns: 2 });
    long.spec.scenario.title = "A very long scenario title about refinancing the family home before the fixed rate ends";
    for (const columns of [80, 60, 40]) {
      const first = lines(renderToString(<Header record={long} turn={3} now={T0} width={columns} />, { columns }))[0]!;
      expect(first.endsWith(` · ${ID}`), first).toBe(true);
      expect(first).toContain(columns > 40 ? "SIMULATED: customer" : "SIMULATED");
      expect(stringWidth(first)).toBeLessThanOrEqual(columns);
    }
    const allSimulated = makeRecord({ turns: 2 });
    allSimulated.spec.agents[1]!.model = { provider: "simulated", model: "simulated-1", options: {} };
    expect(lines(renderToString(<Header record={allSimulated} turn={3} now={T0} width={100} />, { columns: 100 }))[0]).toContain("DialogueLLM · SIMULATED · Refinancing");
    const real = makeRecord({ turns: 2 });
    real.spec.agents[0]!.model = { provider: "ollama", model: "llama3.2:3b", options: {} };
    real.spec.manager = { provider: "ollama", model: "llama3.2:3b", options: {} };
    expect(renderToString(<Header record={real} turn={3} now={T0} width={100} />, { columns: 100 })).not.toContain("SIMULATED");
  });
});

describe("the turn being generated", () => {
  it("streams under its speaker's name, without the JSON around it", () => {
    const s = streaming("Let me show you the competing offer I received from another bank.", 0.6);
    const out = renderToString(<LiveArea state={s} mode="run" columns={100} rows={30} now={T0 + 9000} />, { columns: 100 });
    expect(out).toMatch(/▍Elena Nakamura · customer · turn 3 · \d+ tok/);
    expect(out).toContain(s.live!.text.trim());
    expect(s.live!.text.length).toBeGreaterThan(10);
    expect(out).not.toContain('{"message"');
  });

  it("shows the latest rows of a long message and stays shorter than an 80×24 terminal", () => {
    const s = streaming(LONG);
    const out = renderToString(<LiveArea state={s} mode="run" columns={80} rows={24} now={T0 + 9000} />, { columns: 80 });
    expect(lines(out).length).toBeLessThanOrEqual(22);
    expect(widest(out)).toBeLessThanOrEqual(80);
    expect(out).toContain("Sentence 60 about the rate");
    expect(out).not.toContain("Sentence 1 about");
    expect(out).toMatch(/… \d+ more rows above/);
    expect(out).toContain("q stop");
  });

  it("stays within the terminal at every height, with the story and the help open", () => {
    const s = streaming(LONG);
    for (const rows of [12, 16, 24, 30, 50]) {
      const out = renderToString(<LiveArea state={s} mode="run" columns={80} rows={rows} now={T0} showStory showHelp notice="stopping" />, { columns: 80 });
      expect(lines(out).length, `rows=${rows}`).toBeLessThanOrEqual(rows - 2);
      expect(out).toContain("Sentence 60");
    }
    const tall = renderToString(<LiveArea state={s} mode="run" columns={80} rows={50} now={T0} showStory />, { columns: 80 });
    expect(tall).toContain("Setting: A glass-walled meeting room");
    expect(tall).toContain("● Arjun Mehta — relationship manager");
  });

  it("wraps emoji and wide characters within the width and drops escape sequences", () => {
    const s = streaming("Merci 🙏🏽 — 日本語のテキストも大丈夫です。 \u001b[2J\u001b[H cleared? " + "🏠💶 ".repeat(40));
    const out = renderToString(<LiveArea state={s} mode="watch" columns={80} rows={24} now={T0} />, { columns: 80 });
    expect(widest(out)).toBeLessThanOrEqual(80);
    expect(out).toContain("🏠💶");
    expect(out).not.toContain("\u001b[2J");
    expect(out).toContain("q detach");
  });

  it("shows a spinner while the manager writes the story", () => {
    const preparing = reduce(initialState, [
      { type: "record", record: makeRecord({ status: "preparing", phase: "story", story: null, personas: null, started_at: null, deadline_at: null }), previous: null },
    ]);
    const out = renderToString(<LiveArea state={preparing} mode="run" columns={80} rows={24} now={T0} />, { columns: 80 });
    expect(out).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] the manager is writing the story with simulated-1 \[simulated\]; personas next/);
    expect(out).toContain("preparing the story");
    expect(out).toContain("00:00");
  });
});

describe("stats panel", () => {
  it("shows per agent the tokens, tok/s last and mean with a sparkline, ttft and queue wait", () => {
    const s = reduce(initialState, [
      { type: "record", record: makeRecord(), previous: null },
      ...[
        makeMessage(1, "a b c", { tps: 10, ttft: 310, queue: 21, tokens: 40 }),
        makeMessage(2, "d e f", { tps: 30, ttft: 120, queue: 8, tokens: 50 }),
        makeMessage(3, "g h i", { tps: 20, ttft: 290, queue: 19, tokens: 60 }),
        makeMessage(5, "j k l", { tps: 40, ttft: 300, queue: 22, tokens: 30 }),
      ].map((message): FeedEvent => ({ type: "message", message })),
    ]);
    const out = renderToString(<StatsPanel agents={agentStats(s)} width={100} />, { columns: 100 });
    const [, head, customer, advisor] = lines(out);
    expect(head).toMatch(/agent\s+tokens\s+t\/s last\s+t\/s mean\s+trend\s+ttft\s+queue/);
    expect(customer).toMatch(/Elena Nakamura\s+130\s+40\.0\s+23\.3\s+▃▅█\s+300 ms\s+22 ms/);
    expect(advisor).toMatch(/Arjun Mehta\s+50\s+30\.0\s+30\.0\s+█\s+120 ms\s+8 ms/);
  });

  it("drops the trend and queue columns when narrow", () => {
    const s = reduce(initialState, [{ type: "record", record: makeRecord(), previous: null }, { type: "message", message: makeMessage(1, "hi") }]);
    const out = renderToString(<StatsPanel agents={agentStats(s)} width={60} />, { columns: 60 });
    expect(out).not.toContain("trend");
    expect(out).toContain("ttft");
    expect(widest(out)).toBeLessThanOrEqual(60);
  });
});

describe("summary screen", () => {
  const messages = [
    makeMessage(1, "one", { tps: 20, ttft: 300, tokens: 80 }),
    makeMessage(2, "two", { tps: 30, ttft: 100, tokens: 90 }),
    makeMessage(3, "three", { tps: 24, ttft: 200, tokens: 70 }),
  ];
  const record = makeRecord({ status: "completed", stop_reason: "agent_ended", ended_at: T0 + 45_500, turns: 3 });

  it("shows the stop reason, the duration and per agent turns, tokens, tok/s and ttft", () => {
    const out = renderToString(<SummaryScreen summary={summarize(record, messages)} width={100} />, { columns: 100 });
    expect(out).toContain("Ended: completed (agent_ended) · 3 turns · 240 tokens · 45.5 s");
    // totals headed as totals, means as means
    expect(out).toMatch(/agent\s+turns\s+tokens\s+tok\/s mean\s+ttft mean\s+queue mean/);
    expect(out).not.toContain("means per turn");
    expect(out).toMatch(/Elena Nakamura simulated-1 \[simulated\]\s+2\s+150\s+22\.0\s+250 ms\s+12 ms/);
    expect(out).toMatch(/Arjun Mehta ollama\/llama3\.2:3b\s+1\s+90\s+30\.0\s+100 ms\s+12 ms/);
  });

  it("a conversation recorded elsewhere (dialogue import): no tokens recorded, – for each speaker's, never a made-up 0", () => {
    const speaker = (id: string) => ({ agent_id: id, name: null, kind: "recorded" as const, provider: "recorded", model: "recorded", turns: 7, skipped_turns: 0, failed_turns: 0, stalled_turns: 0, cut_turns: 0, retried_turns: 0, tokens: 0, mean_tokens_per_second: null, mean_time_to_first_token_ms: null, mean_queue_wait_ms: null });
    const summary = { id: "imp-S-1001-df2351d67659", status: "imported", stop_reason: null, turns: 14, remarks: 0, skipped_turns: 0, failed_turns: 0, stalled_turns: 0, cut_turns: 0, retried_turns: 0, failure_causes: {}, tokens: 0, duration_s: 390, agents: [speaker("rm"), speaker("customer")] };
    const out = renderToString(<SummaryScreen summary={summary} width={100} />, { columns: 100 });
    expect(out).toContain("Ended: imported · 14 turns · no tokens recorded · 390.0 s");
    expect(out).toMatch(/^● rm\s.*\s7\s+–\s+–\s+–\s+–$/m);
    expect(out).not.toMatch(/\b0 tokens\b|\s0\s+–/);
  });

  it("says beside an agent's figures how many of its turns failed (the figures leave them out)", () => {
    const failed = { ...makeMessage(3, "", { tps: 0, tokens: 0 }), failed: true, error: "the model failed" };
    const out = renderToString(<SummaryScreen summary={summarize({ ...record, failed_turns: 1 }, [...messages.slice(0, 2), failed])} width={100} />, { columns: 100 });
    expect(out).toMatch(/Elena Nakamura simulated-1 \[simulated\]\s+2\s+80\s+20\.0\s+300 ms\s+12 ms\s+1 failed$/m);
    expect(out).toMatch(/Arjun Mehta ollama\/llama3\.2:3b\s+1\s+90\s+30\.0\s+100 ms\s+12 ms$/m);
    expect(widest(out)).toBeLessThanOrEqual(100);
  });

  it("at 80 columns a row with a note of failed turns keeps its figures whole and in their columns", () => {
    const failed = { ...makeMessage(3, "", { tps: 0, tokens: 0 }), failed: true, error: "the model failed" };
    const out = renderToString(<SummaryScreen summary={summarize({ ...record, failed_turns: 1 }, [...messages.slice(0, 2), failed])} width={80} />, { columns: 80 });
    expect(widest(out)).toBeLessThanOrEqual(80);
    const lines = out.split("\n");
    const head = lines.find((l) => l.includes("queue mean"))!;
    const rows = lines.filter((l) => l.startsWith("● "));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/\s12 ms\s+1 failed$/);
    expect(rows[1]).toMatch(/\s12 ms$/);
    // each figure ends where its heading ends
    const end = head.indexOf("queue mean") + "queue mean".length;
    for (const r of rows) expect(r.indexOf("12 ms") + "12 ms".length).toBe(end);
  });

  it("shows what comes after it (the analysis report) and fits 80 columns", () => {
    const out = renderToString(
      <SummaryScreen summary={summarize(record, messages)} width={80}>
        <Text>Report: both agents stayed on topic.</Text>
      </SummaryScreen>,
      { columns: 80 },
    );
    expect(out).toContain("Report: both agents stayed on topic.");
    expect(widest(out)).toBeLessThanOrEqual(80);
  });

  it("at 80 columns with five agents, shows each name whole (or its id when the name cannot fit), never a stump, and never drops a [simulated] badge", () => {
    const r = makeCastRecord(5, { people: ["resident"], over: { status: "completed", stop_reason: "max_turns", ended_at: T0 + 30_000 } });
    const turns = CAST.slice(0, 5).map((a, i) => makeTurn(r, i + 1, a.id, `Turn of ${a.id}.`, { skipped: a.id === "resident" }));
    const out = renderToString(<SummaryScreen summary={summarize({ ...r, turns: 5 }, turns)} width={80} people={new Set(["resident"])} />, { columns: 80 });
    expect(widest(out)).toBeLessThanOrEqual(80);
    const rows = out.split("\n").filter((l) => l.startsWith("● "));
    expect(rows).toHaveLength(5);
    // "Margaret Oyelaran-Whitfield" does not fit beside the badge: her id stands for her, not a stump of her name
    expect(rows[0]).toMatch(/^● chair (simulated\S* )?\[simulated\]\s+1\s+\d+/);
    expect(out).not.toContain("Margaret");
    // the others by their whole names; a model is shortened, never the name
    expect(rows[1]).toMatch(/^● Tomasz Wiśniewski ollama\/\S*…?\s+1\s+\d+/);
    expect(rows[2]).toMatch(/^● Aiko Tanaka (simulated-1 )?\[simulated\]\s+1\s+\d+/);
    expect(rows[3]).toMatch(/^● Bongani Dlamini ollama\/\S*\s+1\s+\d+/);
    // a person's turn that nobody answered is not said to be typed
    expect(rows[4]).toMatch(/^● Ines Carvalho a person\s+1\s+0 typed by a person, 1 skipped/);
    expect(out).toContain("5 turns (1 skipped)");
  });

  it("at 80 columns an id too long for the name column is cut, and the [simulated] badge still shows", () => {
    const long = "the-chair-of-the-residents-association";
    const r = makeCastRecord(5, { over: { status: "completed", stop_reason: "max_turns", ended_at: T0 + 30_000 } });
    const all = { ...r, spec: { ...r.spec, agents: r.spec.agents.map((a, i) => ({ ...a, id: i === 0 ? long : a.id, model: { provider: "simulated" as const, model: "simulated-1", options: {} } })) } };
    const named = { ...all, personas: (all.personas ?? []).map((p, i) => ({ ...p, agent_id: i === 0 ? long : p.agent_id, name: i === 0 ? "Margaret Oyelaran-Whitfield of the Riverside Residents" : p.name })) };
    const turns = CAST.slice(0, 5).map((a, i) => makeTurn(named, i + 1, i === 0 ? long : a.id, `Turn of ${a.id}.`));
    const out = renderToString(<SummaryScreen summary={summarize({ ...named, turns: 5 }, turns)} width={80} />, { columns: 80 });
    expect(widest(out)).toBeLessThanOrEqual(80);
    const rows = out.split("\n").filter((l) => l.startsWith("● "));
    expect(rows).toHaveLength(5);
    expect(rows[0]).toMatch(/^● the-chair-of-\S*…? ?\[simulated\]\s+1\s+\d+/);
  });

  it("at 80 columns shows the names a simulated run gives its five agents whole", () => {
    const names = ["Henrik Laurent", "Elena Sato", "Felix Whitaker", "Greta Okafor", "Yara Fischer"];
    const r = makeCastRecord(5, { over: { status: "completed", stop_reason: "max_turns", ended_at: T0 + 30_000 } });
    const all = { ...r, spec: { ...r.spec, agents: r.spec.agents.map((a) => ({ ...a, model: { provider: "simulated" as const, model: "simulated-1", options: {} } })) } };
    const named = { ...all, personas: (all.personas ?? []).map((p, i) => ({ ...p, name: names[i] ?? p.name })) };
    const turns = CAST.slice(0, 5).map((a, i) => makeTurn(named, i + 1, a.id, `Turn of ${a.id}.`));
    const out = renderToString(<SummaryScreen summary={summarize({ ...named, turns: 5 }, turns)} width={80} />, { columns: 80 });
    for (const n of names) expect(out).toMatch(new RegExp(`^● ${n} \\[simulated\\]\\s+1\\s+\\d+`, "m"));
    expect(widest(out)).toBeLessThanOrEqual(80);
  });

  it("is what the live area becomes at the end, with the report made from the whole run under it", () => {
    const s = reduce(initialState, [{ type: "record", record: makeRecord(), previous: null }, { type: "end", record, messages }]);
    const report = (r: typeof record, ms: typeof messages) => <Text>Report: {ms.length} messages, {r.stop_reason}</Text>;
    const out = renderToString(<LiveArea state={s} mode="run" columns={80} rows={24} now={T0} report={report} />, { columns: 80 });
    expect(out).toContain("Ended: completed (agent_ended)");
    expect(out).toContain("Report: 3 messages, agent_ended");
    expect(out).not.toContain("q stop");
  });
});
