/**
 * The live page's script (bundled into dist/public/live.js): follows the run over Server-Sent
 * Events and keeps the page up to date — the status, the story and personas when they come, each
 * message once (the server's own HTML for it: a model's, a person's, a skipped turn, a narrator's
 * remark, a recorded one), the turn being generated token by token with why its speaker was
 * chosen, the agents' figures (the TUI's reducer and stats, observer/tui/state.ts and stats.ts; a
 * person has none), and the boxes to say something (say.ts). Model text only ever goes into the
 * page as text (textContent) or as the server's escaped HTML.
 *
 * While the run goes on, a line for each process it lacks — no live manager, a pool of its agents
 * that no live worker serves (whose turns wait), naming the pool and the command that starts one
 * (observer/unserved.ts) — from the server's `unserved` events; it goes once they are there.
 *
 * Stop asks the server to stop the run; while the record says "stopping", the notice says what the
 * stop waits for (observer/stopping.ts: a person's open turn closed, a model's turn being generated
 * coming back cut, the manager leaving the story), and it goes once the run has ended. A refusal
 * (no token, a run that had already ended) is said in one line instead.
 *
 * A dropped connection is resumed from the last event's id (EventSource sends Last-Event-ID; if
 * the browser gave up, a new connection passes it as ?last_event_id=), so nothing is lost or
 * repeated. The transcript says what it received: data-repeats counts messages that came twice
 * (0), and each message streamed here whole says whether the streamed text is the recorded one
 * (data-streamed="whole") or not ("differs").
 */
import { DASH, int, ms, num, runStatusText } from "../../analysis/format.js";
import { apply, initialState, type ViewState } from "../../observer/tui/state.js";
import { agentStats } from "../../observer/tui/stats.js";
import { choiceShown, chosenText, nameOf, speaksBy, turnAt } from "../../observer/who.js";
import type { ConversationRecord } from "../../protocol/record.js";
import { turnsTaken } from "../../protocol/turn-count.js";
import type { DialogMessage, TokenChunk } from "../../protocol/schemas.js";
import { partialMessage } from "../../worker/partial-json.js";
import { runStateText } from "../html/run-state.js";
import { prefixFlag } from "../../observer/commands.js";
import { waitingForLines } from "../../observer/unserved.js";
import { stoppingText } from "../../observer/stopping.js";
import type { Unserved } from "../../redis/presence.js";
import { sayBoxes, type Waiting } from "./say.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const main = $("main");
const id = main.dataset.id ?? "";
const transcript = $("transcript");
const live = $("live");
const notice = $("notice");
const stopButton = $<HTMLButtonElement>("stop");
const FINAL = ["completed", "stopped", "failed", "imported"];
const boxes = sayBoxes(id, main.dataset.prefix ?? "dialogue");

let state: ViewState = initialState;
let lastId: string | null = null;
let ended = false;
let repeats = 0;
/** the person whose turn it is (from the last record event) */
let waiting: Waiting | null = null;
/** what the run lacks (from the last unserved event), with the prefix the commands need */
let unserved: (Unserved & { prefix: string }) | null = null;
const seen = new Set<number>();
/** the chunks of each turn received from its first one: seq -> {attempt, raw} */
const streamed = new Map<number, { attempt: number; raw: string; whole: boolean }>();

/** the notice says what a stop waits for (not an error or another notice): moved on as the run does, cleared once it ended */
let stopNotice = false;

function say(text: string): void {
  stopNotice = false;
  notice.textContent = text;
}

/** what the stop waits for (null: the run has ended); never replaces another notice, such as an error */
function sayStopping(text: string | null): void {
  if (!stopNotice && notice.textContent !== "") return;
  if (text === null) {
    if (stopNotice) say("");
    return;
  }
  stopNotice = true;
  notice.textContent = text;
}

function showRecord(r: ConversationRecord, html: { story: string | null; personas: string | null } | null): void {
  const status = $("status");
  status.textContent = runStatusText(r);
  status.className = `status ${r.status}`;
  // a narrator's remarks and a continued run's history are messages, not turns
  const turns = document.getElementById("turns");
  if (turns) turns.textContent = String(turnsTaken(r));
  // the agents by their personas' names once the personas are written (as the header says them: pages.ts)
  for (const span of $("agents").querySelectorAll<HTMLElement>("span[data-agent]")) {
    const a = r.spec.agents.find((x) => x.id === span.dataset.agent);
    const label = a ? `● ${nameOf(r, a.id)} (${a.id}) · ${speaksBy(a)}` : null;
    if (label !== null && span.textContent !== label) span.textContent = label;
  }
  // live while it goes on, ended (and how) once over: as the server wrote it (run-state.ts)
  const state = document.getElementById("run-state");
  const said = runStateText(r);
  if (state && said !== null && state.textContent !== said) state.textContent = said;
  if (html?.story && !$("story").hasChildNodes()) $("story").innerHTML = html.story;
  if (html?.personas && !$("personas").hasChildNodes()) $("personas").innerHTML = html.personas;
  if (FINAL.includes(r.status)) {
    stopButton.disabled = true;
    boxes.end();
    sayStopping(null);
  } else if (r.status === "stopping") {
    sayStopping(stoppingText(r, waiting));
  }
}

let drawing = false;
function draw(): void {
  if (drawing) return;
  drawing = true;
  requestAnimationFrame(() => {
    drawing = false;
    drawLive();
    drawStats();
    drawUnserved();
  });
}

function drawLive(): void {
  const t = state.live;
  const agents = state.record?.spec.agents ?? [];
  if (!t || ended) {
    live.classList.add("hidden");
    return;
  }
  const i = Math.max(0, agents.findIndex((a) => a.id === t.agent_id));
  live.className = `msg live a${i % 8}`;
  (live.querySelector(".who") as HTMLElement).textContent = `[${turnAt(t.seq, state.messages)}] ${state.record?.personas?.[i]?.name ?? t.agent_id}`;
  (live.querySelector(".meta") as HTMLElement).textContent = `${t.tokens} tokens${t.attempt > 1 ? ` · attempt ${t.attempt}` : ""}`;
  (live.querySelector(".text") as HTMLElement).textContent = t.text;
  // an attempt that failed while the turn goes on (the worker's notice), until the next one streams
  const f = t.failed?.notice;
  const next = !f ? "" : f.fallback ? `trying the fallback ${f.fallback}` : f.wait_ms !== null ? `retrying after ${num(f.wait_ms / 1000)} s` : "retrying";
  (live.querySelector(".failed-attempt") as HTMLElement).textContent = f ? `attempt ${t.attempt} failed (${f.cause}); ${next}: ${f.error}` : "";
  // why this speaker, as the record says before the turn is recorded (a fall back to round robin in a run of another order too)
  const c = state.record?.next_choice;
  const order = state.record?.spec.turn_order ?? "round_robin";
  const shown = c && c.seq === t.seq && (c.how === "round_robin" ? order !== "round_robin" : choiceShown(c));
  (live.querySelector(".choice") as HTMLElement).textContent = c && shown ? chosenText(c) : "";
}

/** a line for each process the run lacks, while it goes on */
function drawUnserved(): void {
  const el = $("waiting-for");
  const r = state.record;
  const lines = !unserved || ended || !r || FINAL.includes(r.status) ? [] : waitingForLines(unserved, prefixFlag(unserved.prefix), r);
  const text = lines.join("\n");
  if (el.dataset.text === text) return;
  el.dataset.text = text;
  el.replaceChildren(
    ...lines.map((l) => {
      const li = document.createElement("li");
      li.textContent = l;
      return li;
    }),
  );
  el.classList.toggle("hidden", lines.length === 0);
}

function drawStats(): void {
  const body = $("stats").querySelector("tbody") as HTMLElement;
  const agents = state.record?.spec.agents ?? [];
  for (const a of agentStats(state, waiting?.agent_id ?? null)) {
    let row = body.querySelector<HTMLTableRowElement>(`tr[data-agent="${CSS.escape(a.agent_id)}"]`);
    if (!row) {
      row = document.createElement("tr");
      row.dataset.agent = a.agent_id;
      body.append(row);
    }
    row.className = `a${a.index % 8}`;
    // a person (or a recorded speaker) has turns, never model figures
    const kind = agents[a.index]?.kind ?? "model";
    const who = `${a.speaking ? "▸" : "●"} ${a.name}${kind === "human" ? " · person" : kind === "recorded" ? " · recorded" : ""}`;
    const turns = `${int(a.turns)}${a.skipped ? ` (${int(a.skipped)} skipped)` : ""}`;
    const cells = kind === "model" ? [who, turns, int(a.tokens), num(a.last_tps), num(a.mean_tps), ms(a.last_ttft_ms), ms(a.last_queue_ms)] : [who, turns, DASH, DASH, DASH, DASH, DASH];
    while (row.cells.length < cells.length) row.insertCell();
    while (row.cells.length > cells.length) row.deleteCell(-1);
    cells.forEach((c, k) => {
      const cell = row.cells[k] as HTMLTableCellElement;
      if (cell.colSpan !== 1) cell.colSpan = 1;
      if (cell.textContent !== (c || DASH)) cell.textContent = c || DASH;
    });
  }
}

function onMessage(m: DialogMessage, html: string): void {
  const seq = m.metadata.sequence_number;
  if (seen.has(seq)) {
    transcript.dataset.repeats = String(++repeats);
    return;
  }
  seen.add(seq);
  transcript.insertAdjacentHTML("beforeend", html);
  const s = streamed.get(seq);
  const el = transcript.lastElementChild as HTMLElement | null;
  if (s?.whole && el) el.dataset.streamed = partialMessage(s.raw) === m.content.message ? "whole" : "differs";
  streamed.delete(seq);
  state = apply(state, { type: "message", message: m });
  draw();
}

function onTokens(c: TokenChunk): void {
  let s = streamed.get(c.seq);
  if (!s || s.attempt !== c.attempt) {
    // a turn seen from its first chunk is "whole" (the first chunk opens the JSON reply)
    s = { attempt: c.attempt, raw: "", whole: c.text.trimStart().startsWith("{") };
    streamed.set(c.seq, s);
  }
  s.raw += c.text;
  state = apply(state, { type: "tokens", chunk: c });
  draw();
}

function connect(): void {
  const url = `/api/conversations/${encodeURIComponent(id)}/events${lastId ? `?last_event_id=${encodeURIComponent(lastId)}` : ""}`;
  const es = new EventSource(url);
  const data = <T>(ev: Event): T => {
    const e = ev as MessageEvent<string>;
    if (e.lastEventId) lastId = e.lastEventId;
    return JSON.parse(e.data) as T;
  };
  es.addEventListener("open", () => {
    if (notice.dataset.reconnecting) {
      delete notice.dataset.reconnecting;
      say("");
    }
  });
  es.addEventListener("record", (ev) => {
    const d = data<{ record: ConversationRecord; html: { story: string | null; personas: string | null }; waiting: Waiting | null; now: number }>(ev);
    state = apply(state, { type: "record", record: d.record, previous: state.record });
    waiting = FINAL.includes(d.record.status) ? null : d.waiting;
    boxes.waiting(waiting, d.now, Math.max(0, d.record.spec.agents.findIndex((a) => a.id === waiting?.agent_id)));
    showRecord(d.record, d.html);
    draw();
  });
  es.addEventListener("message", (ev) => {
    const d = data<{ message: DialogMessage; html: string }>(ev);
    onMessage(d.message, d.html);
  });
  es.addEventListener("tokens", (ev) => onTokens(data<TokenChunk>(ev)));
  es.addEventListener("unserved", (ev) => {
    unserved = data<Unserved & { prefix: string }>(ev);
    draw();
  });
  es.addEventListener("end", (ev) => {
    const d = data<{ record: ConversationRecord | null; html: string | null; error?: string }>(ev);
    ended = true;
    waiting = null;
    boxes.end();
    es.close();
    if (d.record) showRecord(d.record, null);
    sayStopping(null);
    if (d.error) say(d.error);
    if (d.html) $("analysis").innerHTML = d.html;
    main.dataset.ended = "true";
    draw();
  });
  es.addEventListener("error", () => {
    if (ended) return;
    notice.dataset.reconnecting = "1";
    say("connection lost: reconnecting…");
    // the browser retries by itself; when it has given up, start again from the last event
    if (es.readyState === EventSource.CLOSED) setTimeout(connect, 1000);
  });
}

stopButton.addEventListener("click", () => {
  stopButton.disabled = true;
  // then each record says what the stop waits for (showRecord), until the run has ended
  say("");
  sayStopping("stopping…");
  void fetch(`/api/conversations/${encodeURIComponent(id)}/stop`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }).then(async (r) => {
    if (r.status === 401) {
      stopButton.disabled = false;
      say("stopping needs the server's token: open this page once with ?token=<token> added to its address");
    } else if (!r.ok) {
      // a run that has already ended (409) stays so: nothing to stop again
      stopButton.disabled = r.status === 409;
      const body = (await r.json().catch(() => ({}))) as { message?: string };
      say(`could not stop: ${body.message ?? `the server answered ${r.status}`}`);
    }
  }, () => {
    stopButton.disabled = false;
    say("could not stop: the server did not answer (is dialogue serve still running?); try again");
  });
});

connect();
