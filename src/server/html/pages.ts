/**
 * The pages: the runs list, a run (live, or finished with its analysis), and the comparison of
 * several runs — for 2 to 8 agents, models, people and recorded speakers alike. The story,
 * personas, messages and analysis come from the export's renderer (analysis/export-html.ts), so a
 * page and `dialogue export --format html` show the same.
 */
import { agentIndex, analysisSection, flagStarts, htmlPlaced, personasSection, storySection, table } from "../../analysis/export-html.js";
import { turnCounter } from "../../protocol/turn-count.js";
import { compareRows } from "../../analysis/compare.js";
import { DASH, int, modelLabel, num, runStatusText, secs, utcSeconds } from "../../analysis/format.js";
import { troubleText } from "../../analysis/report-rows.js";
import type { Analysis } from "../../analysis/schema.js";
import { barChart, esc, PALETTE } from "../../analysis/svg.js";
import { nameOf, speaksBy } from "../../observer/who.js";
import { isFinal, StatusSchema, turnsTaken, StopReasonSchema, type ConversationRecord } from "../../protocol/record.js";
import { MAX_TEXT, type DialogMessage } from "../../protocol/schemas.js";
import type { ListItem } from "../schemas.js";
import type { ListQuery } from "../runs.js";
import { page } from "./layout.js";
import { runStateText } from "./run-state.js";

const iso = (ms: number | null): string => (ms === null ? DASH : utcSeconds(ms));
/** a date and time that may break between the two, never inside either (a narrow runs table) */
const nobr = (s: string): string =>
  s
    .split(" ")
    .map((w) => `<span class="nobr">${esc(w)}</span>`)
    .join(" ");
const statusText = (status: string, reason: string | null): string => `${status}${reason ? ` (${reason})` : ""}`;

/** what speaks for each agent of a listed run, once each: a model, "person", "recorded" */
const castText = (r: ListItem): string => `${r.agents.length} agents: ${[...new Set(r.agents.map((a) => modelLabel(a.provider, a.model)))].join(", ")}`;

/** where a listed run came from, when not from its own configuration */
function sourceText(r: ListItem): string {
  const s = r.source;
  if (!s) return "";
  return s.kind === "import" ? `imported from ${s.file} (session ${s.session_id})` : `continues ${s.conversation_id}`;
}

/** the rows of the runs table (the runs page, and what its script fetches to refresh it) */
export function runRows(items: readonly ListItem[], selected: ReadonlySet<string> = new Set()): string {
  if (items.length === 0) return `<tr><td colspan="9">no conversations match</td></tr>`;
  return items
    .map((r) => {
      const from = sourceText(r);
      return (
        `<tr data-id="${esc(r.id)}"><td><input type="checkbox" name="ids" value="${esc(r.id)}"${selected.has(r.id) ? " checked" : ""} aria-label="compare ${esc(r.id)}"></td>` +
        `<td><a href="/runs/${esc(r.id)}">${esc(r.id)}</a></td><td>${esc(r.scenario)}${from ? `<br><span class="meta source">${esc(from)}</span>` : ""}</td><td>${nobr(iso(r.created_at))}</td>` +
        `<td>${esc(secs(r.duration_s))}</td><td>${esc(int(r.turns))}</td>` +
        `<td><span class="status ${esc(r.status)}">${esc(statusText(r.status, r.stop_reason))}</span>${troubleText(r) ? ` <span class="meta trouble">· ${esc(troubleText(r))}</span>` : ""}</td>` +
        `<td>${esc(num(r.tokens_per_second))}</td><td class="agents">${esc(castText(r)).replaceAll("/", "/<wbr>")}</td></tr>`
      );
    })
    .join("\n");
}

/** the runs, a box to tick on each (for compare); in a box of its own that scrolls sideways if it must, never the page */
function runsTable(items: readonly ListItem[], selected?: ReadonlySet<string>): string {
  return `<div class="wide"><table class="runs"><thead><tr><th></th><th>id</th><th>scenario</th><th>created (UTC)</th><th>duration</th><th>turns</th><th>status</th><th>tok/s</th><th>agents</th></tr></thead>
<tbody id="runs">${runRows(items, selected)}</tbody></table></div>`;
}

export function runsPage(items: readonly ListItem[], q: ListQuery, error: string | null): string {
  const statuses = [...StatusSchema.options, ...StopReasonSchema.options];
  const options = ['<option value="">any</option>', ...statuses.map((s) => `<option${q.status === s ? " selected" : ""}>${esc(s)}</option>`)].join("");
  const query = new URLSearchParams(Object.entries({ status: q.status ?? "", model: q.model ?? "", since: q.since ?? "", limit: String(q.limit) }).filter(([, v]) => v !== "")).toString();
  return page(
    { title: "Runs · DialogueLLM", scripts: ["list.js"], data: { query } },
    `<h1>Runs</h1>
<form class="filters" method="get" action="/">
<label>status or stop reason<select name="status">${options}</select></label>
<label>model or provider<input name="model" value="${esc(q.model ?? "")}" placeholder="llama3.2, ollama/"></label>
<label>since<input name="since" value="${esc(q.since ?? "")}" placeholder="7d, 12h, 2026-11-01"></label>
<label>how many<input name="limit" type="number" min="1" max="500" value="${q.limit}"></label>
<button type="submit">Filter</button></form>
${error ? `<p id="notice">${esc(error)}</p>` : ""}
<form method="get" action="/compare">
${runsTable(items)}
<button type="submit">Compare the selected runs</button></form>
<p class="meta">Live: the table refreshes every 2 s. tok/s: tokens generated by all agents per second of dialogue. Simulated models are labelled [simulated]; a person is "person", a speaker of an imported conversation "recorded" (no tokens: tok/s –).</p>`,
  );
}

/** where the conversation came from, when not from its own configuration */
function sourceLine(rec: ConversationRecord): string {
  const s = rec.spec.source;
  if (!s) return "";
  if (s.kind === "import") return `<p class="meta source">A recorded conversation, imported from ${esc(s.file)} (${esc(s.format)}, session ${esc(s.session_id)}, ${int(s.rows)} rows) on ${esc(iso(s.imported_at))} UTC: nothing was generated here, so its messages have no tokens or speed.</p>`;
  return `<p class="meta source">Continues <a href="/runs/${esc(s.conversation_id)}">${esc(s.conversation_id)}</a> (${esc(s.title)}): its ${int(s.history)} messages are this run's history, not its turns.</p>`;
}

function header(rec: ConversationRecord): string {
  const agents = rec.spec.agents
    .map((a, i) => `<span class="a${i % PALETTE.length}" data-agent="${esc(a.id)}">● ${esc(nameOf(rec, a.id))} (${esc(a.id)}) · ${esc(speaksBy(a))}</span>`)
    .join("<br>");
  const imported = rec.status === "imported";
  // a narrator's remarks and a continued run's history are messages, not turns
  const progress = imported ? `${int(rec.turns)} messages` : `turn <span id="turns">${turnsTaken(rec)}</span> of ${rec.spec.limits.max_turns}`;
  const order = rec.spec.turn_order === "round_robin" ? "" : ` · turn order: ${esc(rec.spec.turn_order.replace("_", " "))}`;
  const state = runStateText(rec);
  return `<h1>${esc(rec.spec.scenario.title)}</h1>
<p class="meta">conversation ${esc(rec.spec.id)} · ${imported ? "recorded from" : "created"} ${esc(iso(rec.spec.created_at))} UTC · <span id="status" class="status ${esc(rec.status)}">${esc(runStatusText(rec))}</span> · ${progress}${order}</p>
${sourceLine(rec)}<p class="meta" id="agents">${agents}</p>${state === null ? "" : `\n<p class="meta" id="run-state">${esc(state)}</p>`}`;
}

/**
 * the boxes to say something: the person whose turn it is (shown by the script when the record
 * says so, with the seconds left), and a narrator's remark while the run goes on
 */
function sayForms(rec: ConversationRecord): string {
  const people = rec.spec.agents.some((a) => a.kind === "human");
  return `<form id="person-form" class="say hidden" data-agent="">
<label for="person-text"><b id="person-who"></b> · <span id="person-left"></span></label>
<textarea id="person-text" rows="3" maxlength="${MAX_TEXT}"></textarea>
<div><button type="submit" id="person-send">Say it</button> <span class="meta" id="person-note">${people ? "Sent as the person whose turn it is (as dialogue say); the models answer it at their next turns." : ""}</span></div>
<div class="meta">Or from a terminal: <code id="person-cli"></code></div></form>
<form id="narrator-form" class="say narrator${isFinal(rec.status) ? " hidden" : ""}">
<label for="narrator-text">A narrator's remark: recorded before the next turn, every later speaker sees it; not a turn</label>
<input id="narrator-text" maxlength="${MAX_TEXT}" placeholder="The lights go out.">
<div><button type="submit" id="narrator-send">Add the remark</button> <span class="meta" id="narrator-note"></span></div></form>`;
}

/**
 * a live run: the page's script fills the transcript and the stats from the event stream;
 * `prefix`: the one the server's runs are kept under (the person's box names the `dialogue say`
 * command, with --prefix when it is not the default)
 */
export function livePage(rec: ConversationRecord, prefix: string): string {
  const rows = rec.spec.agents
    .map((a, i) => `<tr class="a${i % PALETTE.length}" data-agent="${esc(a.id)}"><td>● ${esc(nameOf(rec, a.id))}</td><td colspan="6"></td></tr>`)
    .join("");
  return page(
    { title: `${rec.spec.scenario.title} · ${rec.spec.id}`, scripts: ["live.js"], data: { id: rec.spec.id, prefix } },
    `${header(rec)}
<p><button id="stop" type="button"${isFinal(rec.status) ? " disabled" : ""}>Stop the conversation</button> <span id="notice"></span></p>
<ul id="waiting-for" class="hidden"></ul>
<section id="story">${storySection(rec)}</section>
<section id="personas">${rec.personas ? personasSection(rec) : ""}</section>
<h2>Agents</h2>
<table id="stats"><thead><tr><th>agent</th><th>turns</th><th>tokens</th><th>tok/s last</th><th>tok/s mean</th><th>first token</th><th>queue wait</th></tr></thead><tbody>${rows}</tbody></table>
<p class="meta">A person's turns have no tokens, speed, first token or queue wait (–).</p>
<h2>Transcript</h2>
<ol class="transcript" id="transcript" data-repeats="0" data-order="${esc(rec.spec.turn_order)}"></ol>
<div id="live" class="msg live hidden"><div><span class="who"></span> <span class="meta"></span></div><div class="text"></div><div class="failed-attempt"></div><div class="meta choice"></div></div>
${sayForms(rec)}
<section id="analysis"></section>`,
  );
}

/** a finished run, streamed: head, one block per message, foot — the export's sections */
export async function* finishedPage(rec: ConversationRecord, analysis: Analysis, pages: AsyncIterable<Array<{ message: DialogMessage }>>): AsyncGenerator<string> {
  const html = page({ title: `${rec.spec.scenario.title} · ${rec.spec.id}` }, "\u0000");
  const [head, foot] = html.split("\u0000") as [string, string];
  yield `${head}${header(rec)}
${rec.error ? `<p id="notice">error: ${esc(rec.error)}</p>` : ""}
<p class="meta"><a href="/api/conversations/${esc(rec.spec.id)}/analysis">The analysis as JSON</a>.</p>
${storySection(rec)}
${personasSection(rec)}
<section id="analysis">${analysisSection(analysis, { summary: true })}</section>
<h2>Transcript</h2>
<ol class="transcript" id="transcript">
`;
  const index = agentIndex(rec);
  const starts = flagStarts(analysis);
  const placeIn = turnCounter();
  for await (const p of pages) yield p.map(({ message: m }) => htmlPlaced(m, placeIn(m), index, starts, rec.spec.turn_order)).join("");
  yield `</ol>${foot}`;
}

/**
 * compare with fewer than two runs found: why nothing is compared, and the runs to pick from — the
 * ones picked first, ticked, then the newest
 */
export function comparePicker(picked: readonly ListItem[], recent: readonly ListItem[], missing: readonly string[]): string {
  const ids = picked.map((r) => r.id);
  const why =
    picked.length === 1
      ? `Comparing needs at least two runs: only <a href="/runs/${esc(ids[0] ?? "")}">${esc(ids[0] ?? "")}</a> is picked. Tick another below (or give its id), then Compare.`
      : missing.length > 0
        ? "Comparing needs at least two runs, and none of those was found: tick two or more below, or give their ids."
        : "Pick two or more runs to compare: tick them below, or give their ids.";
  return page(
    { title: "Compare · DialogueLLM" },
    `<h1>Compare runs</h1>${missing.length ? `<p id="notice">not found: ${esc(missing.join(", "))}</p>` : ""}
<p id="why">${why}</p>
<form method="get" action="/compare">
${runsTable([...picked, ...recent.filter((r) => !ids.includes(r.id))], new Set(ids))}
<p><label>or their ids <input name="ids" size="50" placeholder="20261121-143005-k3f9a,20261121-150112-77c01"></label> <button type="submit">Compare</button></p></form>`,
  );
}

/** two runs or more, side by side */
export function comparePage(analyses: readonly Analysis[], missing: readonly string[]): string {
  const { runs, agents } = compareRows(analyses);
  // a person and a recorded speaker generate nothing: no bar of theirs
  const bars = analyses.flatMap((a) => a.agents.filter((g) => g.kind === "model").map((g) => ({ label: `${a.conversation_id.slice(-5)} ${g.agent_id}`, value: g.tokens_per_second.mean })));
  return page(
    { title: "Compare · DialogueLLM" },
    `<h1>Compare ${analyses.length} runs</h1>${missing.length ? `<p id="notice">not found: ${esc(missing.join(", "))}</p>` : ""}
<p>${analyses.map((a) => `<a href="/runs/${esc(a.conversation_id)}">${esc(a.conversation_id)}</a>`).join(" · ")}</p>
<h2>Runs</h2>${table(runs)}
<h2>Agents</h2>${table(agents)}
${bars.length ? `<div class="charts">${barChart("compare-tokens-per-second", "Tokens per second, mean, per run and model agent", bars)}</div>` : ""}`,
  );
}
