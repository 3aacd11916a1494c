/**
 * The HTML views of a run, in one place: the export (`dialogue export --format html`: one
 * self-contained page, inline CSS and SVG, no scripts, nothing fetched) and the pages of
 * `dialogue serve` are built from the same sections — story, personas, the analysis with its
 * tables and charts, one block per message — so the two cannot disagree. The export is written
 * in three parts (head, one block per message, foot) so a long run streams to the file page by
 * page. Every text from a model or a config is escaped (esc).
 */
import { personaOf, type ConversationRecord, type TurnOrder } from "../protocol/record.js";
import type { DialogMessage } from "../protocol/schemas.js";
import { placeOf, type Place } from "../protocol/turn-count.js";
import { placeMark, remarkWhen } from "../observer/who.js";
import { modelLabel, ms, plural, secs, tpsText, turnTimeText } from "./format.js";
import { agentRows, contentLine, flagLines, headline, judgeLines, noteLines, orchestrationLine, windowRows, windowTitle, type Row } from "./report-rows.js";
import { turnTakingLines, turnTakingRows } from "./report-turns.js";
import type { Analysis } from "./schema.js";
import { barChart, esc, lineChart, PALETTE } from "./svg.js";

/** each agent's colour, by its index in the spec (.a0, .a1, … up to the palette's size, then again) */
const AGENT_CSS = PALETTE.map((c, i) => `.a${i}{--agent:${c}}`).join("");

/** the stylesheet of the export and of the server's pages */
export const CSS = `
body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#111}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}td,th{border:1px solid #ddd;padding:.25em .5em;text-align:right}
td:first-child,th:first-child{text-align:left}.meta{color:#555;font-size:.85em}
.persona{border:1px solid #ddd;border-left:4px solid var(--agent,#ddd);border-radius:6px;padding:.5em 1em;margin:.5em 0}
.charts svg{display:block;margin:1em 0;max-width:100%;height:auto}
.transcript{list-style:none;padding:0}.msg{border-left:4px solid var(--agent,#2563eb);padding:.3em .8em;margin:.8em 0}
.msg .who{font-weight:bold}.msg .text{white-space:pre-wrap}
.flag{background:#fde68a;border-radius:4px;padding:0 .4em;font-size:.8em;margin-left:.5em}.sim{color:#7c3aed}
.wide{overflow-x:auto}.person{color:#b45309}.msg.narrator{--agent:#9ca3af;font-style:italic}.msg.skipped .text{color:#555}.failure{color:#b91c1c}.attempts{margin:.2em 0;padding-left:1.2em}
${AGENT_CSS}`;

/** agent id -> its index in the spec (its colour) */
export function agentIndex(rec: ConversationRecord): Map<string, number> {
  return new Map(rec.spec.agents.map((a, i) => [a.id, i]));
}

export function table(rows: readonly Row[]): string {
  const [head, ...body] = rows;
  if (!head) return "";
  return `<table><thead><tr>${head.map((c) => `<th>${esc(c)}</th>`).join("")}</tr></thead><tbody>${body
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

export function charts(a: Analysis): string {
  const perAgent = (f: (x: Analysis["windows"][number]["agents"][number]) => number | null) =>
    a.agents.map((g, i) => ({
      label: g.agent_id,
      // each agent in its own colour, as in the personas and the transcript
      color: PALETTE[i % PALETTE.length] as string,
      values: a.windows.map((w) => {
        const x = w.agents.find((y) => y.agent_id === g.agent_id);
        return x ? f(x) : null;
      }),
    }));
  // a person generates no tokens: no line of theirs in the speed chart
  const people = new Set(a.agents.filter((g) => g.kind !== "model").map((g) => g.agent_id));
  return [
    lineChart("tokens-per-second", "Tokens per second, per agent", perAgent((x) => x.tokens_per_second_mean).filter((l) => !people.has(l.label))),
    lineChart("sentiment", "Sentiment (lexicon), per agent", perAgent((x) => x.sentiment_lexicon), { min: -1, max: 1 }),
    lineChart(
      "content",
      "Repetition, echo and word overlap with the previous window",
      [
        { label: "repetition", values: a.windows.map((w) => w.repetition_mean) },
        { label: "echo", values: a.windows.map((w) => w.echo_mean) },
        { label: "word overlap w/ previous window", values: a.windows.map((w) => w.word_overlap) },
      ],
      { min: 0, max: 1 },
    ),
    barChart("share-of-talk", "Share of the talk (words)", a.agents.map((g) => ({ label: g.agent_id, value: g.share_of_talk }))),
  ].join("\n");
}

export function storySection(rec: ConversationRecord): string {
  const s = rec.story;
  return s ? `<h2>Story</h2><p><b>${esc(s.title)}</b></p><p>${esc(s.setting)}</p><p>${esc(s.initial_situation)}</p>` : "";
}

/** one box per agent's persona, in the spec's agent order and colour; a person's says so */
export function personasSection(rec: ConversationRecord): string {
  const all = rec.personas ?? [];
  const personas = rec.spec.agents
    .map((agent, i) => {
      const p = personaOf(rec.spec, all, agent.id);
      if (!p) return "";
      const who =
        agent.kind === "human" ? `${esc(agent.id)} · <span class="person">a person</span>` : agent.kind === "recorded" ? `${esc(agent.id)} · <span class="person">recorded</span>` : esc(agent.id);
      return (
        `<div class="persona a${i % PALETTE.length}" data-agent="${esc(agent.id)}"><b>${esc(p.name)}</b> — ${esc(p.role)} <span class="meta">(${who})</span><br>` +
        `traits: ${esc(p.traits.join(", "))}<br>goals: ${esc(p.goals.join("; "))}<br>style: ${esc(p.speaking_style)}</div>`
      );
    })
    .join("");
  return `<h2>Personas</h2>${personas || "<p>none yet</p>"}`;
}

/**
 * the analysis: the agents' table, turn-taking, orchestration and content, flags, the judge, the
 * charts and the windows; each table in a box that scrolls sideways when wide, named by its
 * data-table ("agents", "turn-taking", "windows").
 * `summary`: the run's headline first (how it ended, turns, remarks, tokens, duration, models), where no header above says it (the web page; the export's head does) */
export function analysisSection(a: Analysis, opts: { summary?: boolean } = {}): string {
  const judge = judgeLines(a);
  const notes = noteLines(a);
  const [ids, ...agentBody] = agentRows(a);
  return `<h2>Analysis</h2>
${opts.summary ? `<p class="meta" id="summary">${headline(a).map(esc).join(" · ")}</p>\n` : ""}<div class="wide" data-table="agents">${table([["", ...(ids?.slice(1) ?? [])] as Row, ...agentBody])}</div>
<h3 id="turn-taking">Turn-taking</h3>
<ul>${turnTakingLines(a).map((l) => `<li>${esc(l)}</li>`).join("")}</ul>
<div class="wide" data-table="turn-taking">${table(turnTakingRows(a))}</div>
<p>${esc(orchestrationLine(a))}</p><p>${esc(contentLine(a))}</p>
<h3>Flags</h3><ul>${flagLines(a).map((l) => `<li>${esc(l)}</li>`).join("")}</ul>
${judge.length ? `<h3>Judge</h3><ul>${judge.map((l) => `<li>${esc(l)}</li>`).join("")}</ul>` : ""}
<h3>Over time: ${esc(windowTitle(a))}</h3>
<div class="charts">
${charts(a)}
</div>
<div class="wide" data-table="windows">${table(windowRows(a))}</div>
${notes.length ? `<h3 id="notes">Notes</h3><ul data-list="notes">${notes.map((l) => `<li>${esc(l)}</li>`).join("")}</ul>` : ""}
`;
}

export function htmlHead(rec: ConversationRecord, a: Analysis): string {
  const title = `${rec.spec.scenario.title} — ${rec.spec.id}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="generator" content="dialogue-llm export"><title>${esc(title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(rec.spec.scenario.title)}</h1>
<p class="meta">conversation ${esc(rec.spec.id)} · ${headline(a).map(esc).join(" · ")}</p>
${storySection(rec)}
${personasSection(rec)}
${analysisSection(a)}
<h2>Transcript</h2>
<ol class="transcript">
`;
}

/** the flag episodes that start at each turn, for htmlMessage */
export function flagStarts(a: Analysis): Map<number, string[]> {
  const starts = new Map<number, string[]>();
  for (const f of a.flags) starts.set(f.turn, [...(starts.get(f.turn) ?? []), f.type]);
  return starts;
}

const CHOSEN = { first: "first", round_robin: "round robin", random: "at random", moderator: "by the moderator" } as const;

/**
 * why this agent spoke now, when it was not simply its turn: a moderator's choice, the previous
 * speaker naming them, a draw; and, in a run whose turn order is not round robin (`turnOrder`),
 * a fall back to round robin with its reason
 */
function choiceNote(m: DialogMessage, turnOrder?: TurnOrder): string {
  const c = m.metadata.turn_choice;
  if (!c) return "";
  const chose = c.how === "moderator" || c.how === "addressed" || c.how === "random";
  if (!chose && !(c.how === "round_robin" && turnOrder !== undefined && turnOrder !== "round_robin")) return "";
  return ` · <span class="choice">chosen: ${esc(c.how === "addressed" ? `named by ${c.by}` : CHOSEN[c.how])} — ${esc(c.reason)}</span>`;
}

/**
 * one message: a model's reply with its figures, a person's answer (no model figures), a skipped
 * turn, a recorded (imported) message, or a narrator's remark; `turnOrder`: the run's, so a fall
 * back to round robin in a run of another order is shown with its reason. Marked by its place
 * (observer/who.ts placeMark): a turn by its number (its element is #turn-<n>, with data-turn), a
 * narrator's remark by "[·]" and after which turn it came, a copied message by "[#n]" (#msg-<n>);
 * data-seq is the message's number in the log. `place`: from a turnCounter fed the log in order
 * (@defaultValue the place it has with no remark or copied message before it)
 */
export function htmlMessage(m: DialogMessage, agentIndex: number, flagsHere: readonly string[] = [], turnOrder?: TurnOrder, place: Place = placeOf(m)): string {
  const md = m.metadata;
  const seq = md.sequence_number;
  const where = place.kind === "turn" ? `id="turn-${place.turn}" data-seq="${seq}" data-turn="${place.turn}"` : `id="msg-${seq}" data-seq="${seq}"`;
  const mark = placeMark(place);
  const flags = flagsHere.map((f) => `<span class="flag">${esc(f)} starts</span>`).join("");
  if (md.source === "narrator") {
    return (
      `<li class="msg narrator" ${where} data-source="narrator"><div><span class="who">${mark} ${esc(m.speaker)}</span> <span class="meta">(a narrator's remark ${remarkWhen(place)}, not a turn)</span>${flags}</div>` +
      `<div class="text">${esc(m.content.message)}</div></li>\n`
    );
  }
  const person = md.source === "human";
  const recorded = md.source === "imported";
  const label = person
    ? `<span class="person">person</span>`
    : recorded
      ? `<span class="person">recorded</span>`
      : `<span class="${md.provider === "simulated" ? "sim" : ""}">${esc(modelLabel(md.provider, md.model))}</span>`;
  const marks = [m.skipped ? "skipped" : "", m.cut ? "cut" : "", md.truncated ? "truncated" : "", m.failed ? "failed" : "", m.content.end_conversation ? "ends the conversation" : ""].filter(Boolean);
  const text = m.skipped ? `<i>(${esc(m.note ?? "skipped: nobody answered")})</i>` : esc(m.content.message) || (m.failed ? "" : "<i>(nothing)</i>");
  // a failed turn says why, and every attempt that failed says why too (a retried turn's as well)
  const failure = m.failed ? `<div class="failure">failed: ${esc(m.error ?? "no reason recorded")}</div>` : "";
  const attempts = md.failed_attempts
    .map((f) => `<li>attempt ${f.attempt} failed (${esc(f.cause)}): ${esc(f.error)}${f.wait_ms !== null ? `; retried after ${secs(f.wait_ms / 1000)}` : ""}</li>`)
    .join("");
  const figures = recorded
    ? `recorded at ${esc(new Date(md.finished_at).toISOString())}${md.imported?.line ? ` · line ${md.imported.line}` : md.imported?.item ? ` · item ${md.imported.item}` : ""}: imported, no tokens or speed`
    : person
    ? m.skipped
      ? "nothing said"
      : `answered in ${secs((md.finished_at - md.started_at) / 1000)} · typed by a person: no tokens or speed`
    : `${plural(md.tokens_generated, "token")} · ${tpsText(md)} tok/s · first token ${ms(md.time_to_first_token_ms)} · ${turnTimeText(m, 1)}` +
      `${m.content.sentiment !== undefined ? ` · sentiment ${m.content.sentiment}` : ""}`;
  return (
    `<li class="msg a${agentIndex % PALETTE.length}${m.skipped ? " skipped" : ""}" ${where} data-source="${esc(md.source)}"><div><span class="who">${mark} ${esc(m.speaker)}</span> ` +
    `<span class="meta">(${esc(m.role)}, ${label})${marks.length ? ` [${esc(marks.join(", "))}]` : ""}</span>${flags}</div>` +
    `<div class="text">${text}</div>${failure}` +
    (attempts ? `<ul class="attempts meta">${attempts}</ul>` : "") +
    `<div class="meta">${figures}${choiceNote(m, turnOrder)}</div></li>\n`
  );
}

/** a message of a log read in order, at its place (a turnCounter's), with the flags that start at its turn (flagStarts) */
export function htmlPlaced(m: DialogMessage, place: Place, index: ReadonlyMap<string, number>, starts: ReadonlyMap<number, string[]>, turnOrder?: TurnOrder): string {
  return htmlMessage(m, index.get(m.metadata.agent_id) ?? 0, place.kind === "turn" ? starts.get(place.turn) : [], turnOrder, place);
}

export function htmlFoot(): string {
  return `</ol>
<p class="meta">Exported by dialogue-llm. Simulated output is labelled [simulated].</p>
</body></html>
`;
}
