/**
 * Plain-text renderers: the live observer when stdout is not a terminal (or with --plain), and
 * `dialogue show`. Only newlines, no cursor movement, so it is safe to pipe and to log.
 *
 * Every message says who wrote it: a model (its provider and model, its figures), a person
 * ("typed by a person", how long they took; a skipped turn says why), or the narrator (a remark,
 * set apart, marked [·]: it is no turn, so it has no turn number). Turns are marked by their number
 * ([5]), the number every other label says. When the turn order is not round robin, each turn says
 * why its speaker was chosen; when a person's turn begins, a line says so (live: how to answer).
 */
import { causesText, endedText, outcomeText, personTurnsText } from "../analysis/report-rows.js";
import { modelLabel, plural, tpsText, turnTimeText } from "../analysis/format.js";
import { reportText } from "../analysis/report-text.js";
import type { Analysis } from "../analysis/schema.js";
import { now } from "../redis/clock.js";
import { summaryOf, tokensText, type RunSummary } from "../analysis/summary.js";
import type { ConversationRecord, ConversationSpec, ManagerRetry } from "../protocol/record.js";
import type { DialogMessage, Persona, StoryContent, TokenChunk } from "../protocol/schemas.js";
import type { ObserverEvent } from "./follow.js";
import { sayCommand } from "./commands.js";
import { waitingFor, type Waiting } from "./waiting.js";
import { turnInFlight } from "./stopping.js";
import { choiceShown, chosenText, isPerson, nameOf, placeMark, remarkWhen, skipText, speaksBy } from "./who.js";
import { placeOf, turnCounter, turnOf, type Place } from "../protocol/turn-count.js";
import { queueWaitText } from "../protocol/lost-attempts.js";

type Write = (s: string) => void;

const fmt = (n: number | null, digits = 1, unit = ""): string => (n === null ? "–" : `${n.toFixed(digits)}${unit}`);

export { modelLabel };

export function storyText(story: StoryContent): string {
  return [
    `Story: ${story.title}`,
    `  Setting: ${story.setting}`,
    `  Situation: ${story.initial_situation}`,
  ].join("\n");
}

export function personasText(personas: Persona[]): string {
  return [
    "Personas:",
    ...personas.map(
      (p) =>
        `  ${p.name} — ${p.role}\n    traits: ${p.traits.join(", ")}\n    goals: ${p.goals.join("; ")}\n    style: ${p.speaking_style}`,
    ),
  ].join("\n");
}

/** `turnOrder`: the run's (a fall-back to round robin in a run of another order is shown, with why) */
/** a turn the manager recorded itself (no worker returned it): its `worker` is the manager's; runs recorded before `recorded_by` say so in the note */
export const byManager = (m: DialogMessage): boolean => m.metadata.recorded_by === "manager" || (m.metadata.source === "model" && m.note?.startsWith("recorded by the manager") === true);

/**
 * one message, marked by its place (who.ts placeMark): a turn by its number, as every other label
 * says it ("… turn 5 is …", say --turn, the analysis); a narrator's remark by "[·]" and after which
 * turn it came; a message of a copied history by "[#n]". `place`: from a turnCounter fed the log in
 * order (@defaultValue the place it has with no remark or copied message before it)
 */
export function messageText(m: DialogMessage, withMeta = true, turnOrder?: string, place: Place = placeOf(m)): string {
  const md = m.metadata;
  if (md.source === "narrator") {
    // a remark, not a turn: set apart, with no speaker's figures and no turn number
    const lines = [`${placeMark(place)} Narrator (a remark ${remarkWhen(place)}):`, `    ${m.content.message.replace(/\n/g, "\n    ")}`];
    if (withMeta) lines.push(`    ${m.note ?? "a narrator's remark"}`);
    return lines.join("\n");
  }
  const who = md.source === "human" ? "a person" : modelLabel(md.provider, md.model);
  const flags = [m.skipped ? "skipped" : "", m.failed ? "failed" : "", m.stalled ? "stalled" : "", m.cut ? "cut" : "", md.attempt > 1 ? `attempt ${md.attempt}` : "", md.truncated ? "truncated" : "", m.content.end_conversation ? "ends the conversation" : "", md.fallback_from ? `fallback for ${md.fallback_from}` : ""]
    .filter(Boolean)
    .join(", ");
  const head = `${placeMark(place)} ${m.speaker} (${m.role}, ${who})${flags ? ` [${flags}]` : ""}:`;
  const lines = [head, `    ${m.content.message.replace(/\n/g, "\n    ") || (m.skipped ? `(${skipText(m.note)})` : "(nothing)")}`];
  if (withMeta && choiceShown(md.turn_choice, turnOrder)) lines.push(`    ${chosenText(md.turn_choice)}`);
  if (m.failed) lines.push(`    failed: ${m.error ?? "unusable reply"}${m.raw !== undefined ? " (raw reply kept: dialogue show --json)" : ""}`);
  for (const f of md.failed_attempts) {
    lines.push(`    attempt ${f.attempt} failed (${f.cause}): ${f.error}${f.wait_ms !== null ? `; retried after ${(f.wait_ms / 1000).toFixed(1)} s` : ""}`);
  }
  if (withMeta && md.material) lines.push(`    material: ${md.material.chunks.join(", ") || "none"} (${md.material.tokens} of ${md.material.budget_tokens} tokens)`);
  if (withMeta && md.copied_from) lines.push(`    copied from ${md.copied_from.conversation_id} (message ${md.copied_from.sequence_number}) as this run's history`);
  if (withMeta && md.source !== "model") {
    // a person's turn: no model, so no tokens, speed or first token to speak of
    if (md.source === "human") lines.push(`    ${m.skipped ? "a person's turn, unanswered" : "typed by a person · answered"} after ${fmt(md.generation_time_ms / 1000, 1, " s")}`);
    // a row of an imported conversation: when it was said, and where it was in the file
    if (md.source === "imported") {
      const at = md.imported?.line ? ` · line ${md.imported.line}` : md.imported?.item ? ` · item ${md.imported.item}` : "";
      lines.push(`    recorded ${new Date(md.finished_at).toISOString()}${at} · imported: no tokens or speed`);
    }
  } else if (withMeta) {
    lines.push(
      `    ${plural(md.tokens_generated, "token")} · ${tpsText(md)} tok/s · ttft ${fmt(md.time_to_first_token_ms, 0, " ms")} · ` +
        `${turnTimeText(m)} · prompt ${md.prompt_tokens ?? "–"} · queue wait ${byManager(m) ? "–" : queueWaitText(md, (n) => `${n} ms`)} · ` +
        `${byManager(m) ? `recorded by the manager ${md.worker.host}/${md.worker.pid} (no worker returned it)` : `worker ${md.worker.host}/${md.worker.pid}`} · attempt ${md.attempt}`,
    );
  }
  return lines.join("\n");
}

/**
 * the line that says a person's turn has begun; `live`: how to answer it (not in a replay), with
 * `reach`, what the command needs to reach the run (cli/reach.ts)
 */
export function waitingText(w: Waiting, r: ConversationRecord, opts: { live?: boolean; reach: string }): string {
  const live = opts.live ?? true;
  // the run's time runs out first: the turn is skipped then (the manager's closePersonTurn)
  const end = r.deadline_at;
  const endsFirst = live && end !== null && w.since !== null && end < w.since + r.spec.limits.human_turn_seconds * 1000;
  const skip = `skipped after ${r.spec.limits.human_turn_seconds} s${endsFirst ? `, or when the run's time runs out in ${Math.max(0, Math.ceil((end - now()) / 1000))} s` : ""}`;
  return live
    ? `… turn ${turnOf(w.seq, r)} is ${w.name}'s (${w.agent_id}, a person): answer with ${sayCommand(r.spec.id, null, opts.reach, turnOf(w.seq, r))} (${skip})`
    : `… turn ${turnOf(w.seq, r)} is ${w.name}'s (${w.agent_id}, a person): waiting for their answer (${skip})`;
}

/** the line that says the manager's attempt at the story or personas failed, and that it retries */
export function managerRetryText(m: ManagerRetry): string {
  return `… the manager's attempt ${m.attempt} at the ${m.phase} failed (${m.cause}${m.by ? `; manager on ${m.by.host}, pid ${m.by.pid}` : ""}): ${m.error}${m.wait_ms === null ? "" : `; retrying in ${(m.wait_ms / 1000).toFixed(1)} s`}`;
}

/** the line that says an attempt at the turn in progress failed, and what the worker does next */
export function attemptFailedText(c: TokenChunk, r: ConversationRecord): string {
  const f = c.failed;
  const next = !f ? "" : f.fallback ? `; trying the fallback ${f.fallback}` : f.wait_ms !== null ? `; retrying in ${(f.wait_ms / 1000).toFixed(1)} s` : "; retrying";
  return `… turn ${turnOf(c.seq, r)} (${nameOf(r, c.agent_id)}, ${c.agent_id}): attempt ${c.attempt} failed (${f?.cause ?? "unknown"}): ${f?.error ?? ""}${next}`;
}

/**
 * `spec`: the agents a person speaks for are said to be people (not the model they were configured
 * with). A run with no turn has no duration ("–"), whatever ended it, as in `list`.
 */
export function summaryText(s: RunSummary, spec?: ConversationSpec): string {
  const outcome = outcomeText(s);
  const lines = [
    `${endedText(s)} · ${plural(s.turns, "turn")}${outcome ? ` (${outcome})` : ""} · ${tokensText(s, plural)} · ${fmt(s.turns === 0 ? null : s.duration_s, 1, " s")}`,
  ];
  for (const a of s.agents) {
    const o = outcomeText(a);
    const agent = spec?.agents.find((x) => x.id === a.agent_id);
    if (agent && isPerson(agent)) {
      lines.push(`  ${a.name ?? a.agent_id} (${a.agent_id}, a person): ${plural(a.turns, "turn")}: ${personTurnsText(a.turns, a.skipped_turns)}`);
      continue;
    }
    // a speaker of a conversation recorded elsewhere: its rows carry no tokens or speed
    if (a.kind === "recorded") {
      lines.push(`  ${a.name ?? a.agent_id} (${a.agent_id}, recorded): ${plural(a.turns, "turn")}`);
      continue;
    }
    lines.push(
      `  ${a.name ?? a.agent_id} (${a.agent_id}, ${modelLabel(a.provider, a.model)}): ${plural(a.turns, "turn")}${o ? ` (${o})` : ""}, ${plural(a.tokens, "token")}, ` +
        `${fmt(a.mean_tokens_per_second)} tok/s mean, ttft ${fmt(a.mean_time_to_first_token_ms, 0, " ms")} mean`,
    );
  }
  if (Object.keys(s.failure_causes).length > 0) lines.push(`  failed attempts by cause: ${causesText(s.failure_causes)}`);
  return lines.join("\n");
}

/**
 * Said wherever a run is shown (the TUI's header, the plain header): which of it is simulated,
 * scripted text rather than a model's. Null when no agent and not the manager is. A person types
 * their own words: what they were configured with does not count.
 */
export function simulatedBadge(spec: ConversationSpec): { short: string; long: string } | null {
  const models = spec.agents.filter((a) => !isPerson(a));
  const agents = models.filter((a) => a.model.provider === "simulated").map((a) => a.id);
  const manager = spec.manager.provider === "simulated";
  const people = spec.agents.filter(isPerson).map((a) => a.id);
  if (agents.length === models.length && manager) {
    return { short: "SIMULATED", long: people.length > 0 ? `SIMULATED (no model: scripted text; ${people.join(", ")} typed by a person)` : "SIMULATED (no model: scripted text)" };
  }
  if (agents.length > 0) return { short: `SIMULATED: ${agents.join(", ")}`, long: `SIMULATED: ${agents.join(", ")} (scripted text, not a model)` };
  return manager ? { short: "story SIMULATED", long: "story and personas SIMULATED (scripted text)" } : null;
}

export function headerText(r: ConversationRecord): string {
  const s = r.spec;
  const agents = s.agents.map((a) => `${a.id}: ${a.role} ${isPerson(a) ? "(a person)" : `via ${speaksBy(a)}`}`).join(" · ");
  const badge = simulatedBadge(s);
  const order = s.turn_order === "round_robin" ? "" : ` · turn order: ${s.turn_order}`;
  const people = s.agents.some(isPerson) ? `, ${s.limits.human_turn_seconds} s for a person's turn` : "";
  const src = s.source;
  const from = !src
    ? []
    : src.kind === "import"
      ? [`  imported from ${src.file} (sha256 ${src.sha256.slice(0, 12)}…), session ${src.session_id}: ${plural(src.rows, "row")}`]
      : [`  continues ${src.conversation_id} (${src.title}, ${src.status}): its ${plural(src.history, "message")} copied as the history`];
  return [
    `Conversation ${s.id} — ${s.scenario.title}${badge ? ` · ${badge.long}` : ""}`,
    ...from,
    `  ${agents}`,
    // an imported conversation ran under no limits of this tool
    ...(src?.kind === "import"
      ? []
      : [
          `  limits: ${plural(s.limits.max_turns, "turn")}, ${s.limits.duration_seconds} s${s.limits.max_total_tokens ? `, ${plural(s.limits.max_total_tokens, "token")}` : ""}${people}${order}${s.seed === undefined ? "" : ` · seed ${s.seed} (--seed ${s.seed} runs it again)`}`,
        ]),
  ].join("\n");
}

/**
 * a plain renderer: feed it observer events, then the analysis at the end; `live`: false for a
 * replay (no one can answer now); `reach`: what the commands it prints need to reach the run (cli/reach.ts)
 */
export function plainRenderer(write: Write, opts: { live?: boolean; reach: string }): { onEvent(e: ObserverEvent): void; finish(r: ConversationRecord, a: Analysis): void } {
  let shownStory = false;
  let shownPersonas = false;
  let phase: string | null = null;
  let turnOrder: string | undefined;
  let record: ConversationRecord | null = null;
  // the messages come in order, from the first: each is marked by its place among the turns
  const placeIn = turnCounter();
  return {
    onEvent(e) {
      if (e.type === "tokens") {
        // text is not shown here, but an attempt that failed while the turn goes on is
        if (e.chunk.failed && record) write(`${attemptFailedText(e.chunk, record)}\n`);
        return;
      }
      if (e.type === "record") {
        const r = e.record;
        record = r;
        turnOrder = r.spec.turn_order;
        if (!e.previous) write(`${headerText(r)}\n`);
        if (r.phase && r.phase !== phase) {
          const by = modelLabel(r.spec.manager.provider, r.spec.manager.model);
          write(`… the manager is writing the ${r.phase} (${by})\n`);
        }
        phase = r.phase;
        const retry = r.manager_retry;
        if (retry && retry.wait_ms !== null && retry.at !== e.previous?.manager_retry?.at) write(`${managerRetryText(retry)}\n`);
        if (r.story && !shownStory) {
          shownStory = true;
          write(`\n${storyText(r.story)}\n`);
        }
        if (r.personas && !shownPersonas) {
          shownPersonas = true;
          write(`\n${personasText(r.personas)}\n\n`);
        }
        const person = waitingFor(r);
        if (person && (!e.previous || waitingFor(e.previous)?.seq !== person.seq)) write(`${waitingText(person, r, opts)}\n`);
        if (r.status === "stopping" && e.previous?.status !== "stopping") {
          // a person's open turn is not in flight: the manager closes it (an answer already sent is recorded, else the turn is skipped)
          const open = waitingFor(r);
          const inFlight = !open && turnInFlight(r);
          write(`… stopping (${r.stop_reason ?? "requested"})${open ? `; closing ${open.name}'s turn ${open.turn}` : inFlight ? "; waiting for the turn in flight" : ""}\n`);
        }
      } else if (e.type === "message") {
        write(`${messageText(e.message, true, turnOrder, placeIn(e.message))}\n`);
      }
    },
    finish(r, analysis) {
      // how it ended in one glance, then the same report as `dialogue analyze <id>`
      write(`\n${summaryText(summaryOf(analysis), r.spec)}\n`);
      // why it failed, under how it ended (not after the report)
      if (r.error) write(`  error: ${r.error}\n`);
      write(`\n${reportText(analysis, { windows: true })}\n`);
    },
  };
}
