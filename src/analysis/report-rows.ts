/**
 * The figures of an analysis as labelled rows of text: one source for the terminal report, the
 * Markdown and the HTML page (and so for the end-of-run screen), so they cannot disagree.
 */
import { FINAL_STATUSES } from "../protocol/record.js";
import { DASH, int, modelLabel, ms, num, pct, plural, ratio, runStatusText, secs, signed, statusLabel } from "./format.js";
import type { Analysis, AgentMetrics, Window } from "./schema.js";

export type Row = [label: string, ...values: string[]];

/**
 * how the run ended ("Ended: completed (max_turns)"), or that it had not when it was read ("Not
 * ended (running when read)": a replay of what is recorded so far)
 */
export function endedText(s: { status: string; stop_reason: string | null }): string {
  return (FINAL_STATUSES as readonly string[]).includes(s.status) ? `Ended: ${statusLabel(s.status, s.stop_reason, "no reason recorded")}` : `Not ended (${s.status} when read)`;
}

/** "1 skipped, 2 failed, 1 stalled, 1 cut, 3 retried": the turns that did not simply succeed ("" when none; skipped: a person's turns nobody answered) */
export function outcomeText(o: { skipped_turns?: number; failed_turns: number; stalled_turns: number; cut_turns: number; retried_turns: number }): string {
  return [
    o.skipped_turns ? `${o.skipped_turns} skipped` : "",
    o.failed_turns ? `${o.failed_turns} failed` : "",
    o.stalled_turns ? `${o.stalled_turns} stalled` : "",
    o.cut_turns ? `${o.cut_turns} cut` : "",
    o.retried_turns ? `${o.retried_turns} retried` : "",
  ]
    .filter(Boolean)
    .join(", ");
}

export { troubleText } from "./format.js";

/** a person's turns: how many they typed, and how many nobody answered ("3 typed by a person, 2 skipped"); none: it was never their turn */
export function personTurnsText(turns: number, skipped: number): string {
  if (turns === 0) return "never their turn";
  return skipped > 0 ? `${turns - skipped} typed by a person, ${skipped} skipped` : "typed by a person";
}

/** "rate_limited 3, stalled 1" */
export function causesText(c: Record<string, number>): string {
  return Object.entries(c)
    .sort((x, y) => y[1] - x[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
}

export function headline(a: Analysis): string[] {
  const r = a.run;
  // an imported conversation has no stop reason: it was recorded elsewhere
  const status = statusLabel(r.status, r.stop_reason);
  const models = r.models.map((m) => `${m.role} ${modelLabel(m.provider, m.model)}`).join(" · ");
  const outcome = outcomeText(r);
  const remarks = r.remarks ? ` · ${plural(r.remarks, "narrator's remark", "narrator's remarks")}` : "";
  const lines = [
    // (a conversation recorded elsewhere: its rows carry no tokens, so none are counted, not 0)
    `${status} · ${plural(r.turns, "turn")}${outcome ? ` (${outcome})` : ""}${remarks} · ${r.status === "imported" ? "no tokens recorded" : `${plural(r.tokens_generated, "token")} generated · ${plural(r.prompt_tokens, "prompt token")}`} · ${secs(r.duration_s)}`,
    `models: ${models}`,
  ];
  const src = sourceLine(a);
  if (src) lines.push(src);
  if (a.material) lines.push(materialLine(a.material));
  if (r.failed_attempts > 0) lines.push(`failed attempts: ${int(r.failed_attempts)} (${causesText(r.failure_causes)})`);
  return lines;
}

/** where the conversation came from, when not from its own configuration: an imported file, or another conversation it continues */
export function sourceLine(a: Analysis): string | null {
  const s = a.run.source;
  if (!s) return null;
  if (s.kind === "import") return `imported from ${s.file ?? "a file"}, session ${s.session_id ?? "?"}: recorded speakers, times from the rows, no model figures`;
  return `continues conversation ${s.conversation_id ?? "?"}${a.run.history ? ` (its ${plural(a.run.history, "message")}, copied as this run's history, are left out of the figures)` : ""}`;
}

export function materialLine(m: NonNullable<Analysis["material"]>): string {
  const files = m.files.map((f) => `${f.name} (${f.kind}, ${plural(f.chunks, "chunk")})`).join(", ");
  return `material: ${files}; up to ${int(m.budget_tokens)} tokens of it per prompt; ${plural(m.turns_with_material, "turn")} held some`;
}

/** the windows' notes (analyze --notes): who wrote them, then one line per window that has one */
export function noteLines(a: Analysis): string[] {
  const n = a.notes;
  if (!n) return [];
  const lines = [`by ${modelLabel(n.provider, n.model)} on ${plural(n.notes, "window")} of ${n.window}${n.simulated ? " — simulated, not a real model's notes" : ""}`];
  for (const w of a.windows) {
    if (!w.note) continue;
    const q = w.note.open_questions.length ? ` Open questions: ${w.note.open_questions.join(" · ")}` : "";
    lines.push(`window ${w.index + 1} (${num(w.start_s)}-${num(w.end_s)} s, sentiment ${signed(w.note.sentiment)}): ${w.note.summary}${q}`);
  }
  return lines;
}

const pair = (x: string, y: string): string => `${x} · ${y}`;
const triple = (x: string, y: string, z: string): string => `${x} · ${y} · ${z}`;

const isPerson = (m: AgentMetrics): boolean => m.kind === "human";
/** a person or a recorded speaker: no model generated their messages here */
const noModel = (m: AgentMetrics): boolean => m.kind !== "model";

/** "5", "5 (1 cut)", "5 (1 cut, 1 failed)": an agent's turns, and those cut or failed (a failed turn was the agent's, but it did not speak) */
export function turnsText(m: Pick<AgentMetrics, "turns" | "cut_turns" | "failed_turns">): string {
  const also = [m.cut_turns ? `${int(m.cut_turns)} cut` : "", m.failed_turns ? `${int(m.failed_turns)} failed` : ""].filter(Boolean).join(", ");
  return `${int(m.turns)}${also ? ` (${also})` : ""}`;
}

/**
 * The agents' table, one column per agent. A person's column shows "–" where a figure is a
 * model's (tokens, speed, first token, queue wait, load time); runs with people get the rows
 * "skipped turns" and "answer time" (`people` forces them, for compare). The figures of what
 * was said (words, shares, speed, sentiment …) are over the turns spoken: a skipped or a failed
 * turn is in the turn count, not in them; a failed turn's time is its own row.
 */
export function agentRows(a: Analysis, opts: { people?: boolean; material?: boolean } = {}): Row[] {
  const col = (f: (m: AgentMetrics) => string): string[] => a.agents.map(f);
  const model = (f: (m: AgentMetrics) => string): string[] => a.agents.map((m) => (noModel(m) ? DASH : f(m)));
  const people = opts.people ?? a.agents.some(isPerson);
  return [
    ["agent", ...col((m) => m.agent_id)],
    ["name", ...col((m) => m.name ?? DASH)],
    ["model", ...col((m) => modelLabel(m.provider, m.model))],
    ["turns", ...col(turnsText)],
    ...(people ? [["skipped turns", ...col((m) => int(m.skipped_turns))] as Row] : []),
    ["failed · stalled · retried turns", ...model((m) => triple(int(m.failed_turns), int(m.stalled_turns), int(m.retried_turns)))],
    ["failed attempts (causes)", ...model((m) => (m.failed_attempts ? `${int(m.failed_attempts)} (${causesText(m.failure_causes)})` : "0"))],
    ["tokens generated", ...model((m) => int(m.tokens_generated))],
    ["prompt tokens", ...model((m) => int(m.prompt_tokens))],
    ["generation time", ...model((m) => secs(m.generation_time_ms / 1000))],
    ["time in failed attempts", ...model((m) => secs(m.failed_time_ms / 1000))],
    ["tokens/s mean · p50 · p95", ...model((m) => triple(num(m.tokens_per_second.mean), num(m.tokens_per_second.p50), num(m.tokens_per_second.p95)))],
    ["first token p50 · p95", ...model((m) => pair(ms(m.time_to_first_token_ms.p50), ms(m.time_to_first_token_ms.p95)))],
    ["load time total", ...model((m) => ms(m.load_time_ms.total))],
    ["queue wait p50 · p95", ...model((m) => pair(ms(m.queue_wait_ms.p50), ms(m.queue_wait_ms.p95)))],
    ...(people ? [["answer time p50 · p95", ...col((m) => (isPerson(m) ? pair(secs(sec(m.answer_time_ms.p50)), secs(sec(m.answer_time_ms.p95))) : DASH))] as Row] : []),
    ["words per turn", ...col((m) => num(m.words_per_turn))],
    ["share of talk (words · turns)", ...col((m) => pair(pct(m.share_of_talk), pct(m.share_of_turns)))],
    ["lexical diversity (MATTR)", ...col((m) => ratio(m.mattr))],
    ["repeats own 3-grams mean · max", ...col((m) => pair(pct(m.repetition.mean), pct(m.repetition.max)))],
    ["echoes previous speaker mean · max", ...col((m) => pair(pct(m.echo.mean), pct(m.echo.max)))],
    ["questions", ...col((m) => int(m.questions))],
    ["sentiment lexicon · self (n)", ...col((m) => `${signed(m.sentiment.lexicon_mean)} · ${signed(m.sentiment.self_reported_mean)} (${m.sentiment.self_reported_n})`)],
    ...((opts.material ?? a.material !== null)
      ? [["drew on material (content words found · turns with it)", ...col((m) => (m.material ? `${pct(m.material.share)} (${int(m.material.from_material)}/${int(m.material.content_words)}) · ${int(m.material.turns)}` : DASH))] as Row]
      : []),
  ];
}

const sec = (v: number | null): number | null => (v === null ? null : v / 1000);

export function orchestrationLine(a: Analysis): string {
  const h = a.orchestration.handoff_ms;
  return `handoff (message recorded → next generation started): p50 ${ms(h.p50)} · p99 ${ms(h.p99)} · max ${ms(h.max)} (${plural(h.n, "handoff")})`;
}

export function contentLine(a: Analysis): string {
  const c = a.content;
  return (
    `${plural(c.words, "word")} · lexical diversity (MATTR) ${ratio(c.mattr)} · repeats own 3-grams ${pct(c.repetition_mean)} · ` +
    `echoes the previous speaker's 3-grams ${pct(c.echo_mean)} · word overlap between consecutive windows ${ratio(c.word_overlap_mean)} · ` +
    `${plural(c.questions, "question")} · turn balance (share of words) ${ratio(c.turn_balance)}`
  );
}

const FLAG_TEXT: Record<string, string> = {
  looping: "looping: repeats its own recent messages",
  echoing: "echoing: repeats the previous speaker's last message",
  monologue: "monologue: talks far longer than the previous speaker",
  short_replies: "short replies: short or empty replies in a row",
  failed_turn: "failed turn: every attempt failed, or the reply was unusable twice (see show)",
  stalled_turn: "stalled turn: cut while the model had gone silent mid-reply",
  retried_turn: "retried turn: succeeded after failed attempts (their causes are in the message's metadata)",
};

/** flag episodes listed in a report; the JSON has up to MAX_EPISODES */
export const FLAGS_SHOWN = 20;

export function flagLines(a: Analysis): string[] {
  if (a.flags.length === 0) return ["none"];
  const lines = a.flags.slice(0, FLAGS_SHOWN).map(
    (f) =>
      `${f.type} from turn ${f.turn}${f.agent_id ? ` (${f.agent_id})` : ""}: detected at turn ${f.detected_turn}, lasts to turn ${f.until_turn} — ${FLAG_TEXT[f.type] ?? f.type}`,
  );
  const total = Object.values(a.flag_counts).reduce((n, c) => n + c, 0);
  if (total > lines.length) {
    const counts = Object.entries(a.flag_counts).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`).join(", ");
    lines.push(`… ${total - lines.length} more episodes (in all: ${counts})`);
  }
  return lines;
}

export function windowTitle(a: Analysis): string {
  const n = a.windows.length;
  return `${n} window${n === 1 ? "" : "s"} of ${a.window.label}${a.window.auto ? " (auto)" : ""}`;
}

const span = (w: Window): string =>
  w.from_turn === null ? DASH : w.from_turn === w.to_turn ? `${w.from_turn}` : `${w.from_turn}-${w.to_turn}`;

/** the agents a model speaks for (the tokens/s columns and series: a person has none) */
const modelIds = (a: Analysis): string[] => a.agents.filter((g) => !noModel(g)).map((g) => g.agent_id);

export function windowRows(a: Analysis): Row[] {
  const ids = a.agents.map((g) => g.agent_id);
  const models = modelIds(a);
  const per = (w: Window, id: string) => w.agents.find((x) => x.agent_id === id);
  return [
    ["#", "turns", "time (s)", "tokens", ...models.map((id) => `tok/s ${id}`), ...ids.map((id) => `sentiment ${id}`), "repetition", "echo", "overlap w/ prev", "MATTR"],
    ...a.windows.map((w): Row => [
      String(w.index + 1),
      span(w),
      `${num(w.start_s)}-${num(w.end_s)}`,
      int(w.tokens),
      ...models.map((id) => num(per(w, id)?.tokens_per_second_mean ?? null)),
      ...ids.map((id) => signed(per(w, id)?.sentiment_lexicon ?? null)),
      pct(w.repetition_mean),
      pct(w.echo_mean),
      ratio(w.word_overlap),
      ratio(w.mattr),
    ]),
  ];
}

export interface Series {
  label: string;
  values: Array<number | null>;
  /** fixed scale (e.g. -1..1 for sentiment); absent: the series' own min and max */
  range?: { min: number; max: number };
}

/** what the sparklines and charts draw, one point per window */
export function windowSeries(a: Analysis): Series[] {
  const per = (id: string, f: (x: Window["agents"][number]) => number | null) =>
    a.windows.map((w) => {
      const x = w.agents.find((g) => g.agent_id === id);
      return x ? f(x) : null;
    });
  const ids = a.agents.map((g) => g.agent_id);
  return [
    ...modelIds(a).map((id) => ({ label: `tokens/s ${id}`, values: per(id, (x) => x.tokens_per_second_mean) })),
    ...ids.map((id) => ({ label: `sentiment ${id}`, values: per(id, (x) => x.sentiment_lexicon), range: { min: -1, max: 1 } })),
    { label: "repetition", values: a.windows.map((w) => w.repetition_mean), range: { min: 0, max: 1 } },
    { label: "echo", values: a.windows.map((w) => w.echo_mean), range: { min: 0, max: 1 } },
    { label: "word overlap w/ previous window", values: a.windows.map((w) => w.word_overlap), range: { min: 0, max: 1 } },
    { label: "MATTR", values: a.windows.map((w) => w.mattr), range: { min: 0, max: 1 } },
  ];
}

export function judgeLines(a: Analysis): string[] {
  const j = a.judge;
  if (!j) return [];
  const by = modelLabel(j.provider, j.model);
  return [
    `by ${by} on ${j.turns_seen} of ${plural(a.run.turns, "turn")}${j.simulated ? " — simulated, not a real model's opinion" : ""}`,
    j.summary,
    `persona adherence ${j.persona_adherence.score}/10 — ${j.persona_adherence.reason}`,
    `coherence ${j.coherence.score}/10 — ${j.coherence.reason}`,
    `engagement ${j.engagement.score}/10 — ${j.engagement.reason}`,
  ];
}

/** one value per row for a whole run (compare's run table) */
export function runRows(a: Analysis): Array<[string, string]> {
  const r = a.run;
  const h = a.orchestration.handoff_ms;
  const c = a.content;
  const flags = Object.entries(a.flag_counts)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${t}${n > 1 ? ` ×${n}` : ""} @${a.flags.find((f) => f.type === t)?.turn ?? "?"}`)
    .join(", ");
  return [
    ["scenario", r.scenario],
    ["status", runStatusText(r, DASH)],
    ["duration", secs(r.duration_s)],
    ["turns", int(r.turns)],
    ["failed · stalled · retried turns", triple(int(r.failed_turns), int(r.stalled_turns), int(r.retried_turns))],
    // (a conversation recorded elsewhere has no tokens to count)
    ["tokens generated", r.status === "imported" ? DASH : int(r.tokens_generated)],
    ["handoff p50 · p99", pair(ms(h.p50), ms(h.p99))],
    ["MATTR", ratio(c.mattr)],
    ["repetition mean", pct(c.repetition_mean)],
    ["echo mean", pct(c.echo_mean)],
    ["word overlap between windows", ratio(c.word_overlap_mean)],
    ["turn balance", ratio(c.turn_balance)],
    ["flags", flags || "none"],
  ];
}
