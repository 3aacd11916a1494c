/**
 * The Markdown export: the story, the personas, the transcript with each message's figures (and,
 * when the turn order chose the speaker, why), and the analysis report. Written in parts so a
 * long run streams.
 */
import { choiceShown, chosenText, placeMark, remarkWhen } from "../observer/who.js";
import { personaOf, type ConversationRecord, type TurnOrder } from "../protocol/record.js";
import { placeOf, type Place } from "../protocol/turn-count.js";
import type { DialogMessage } from "../protocol/schemas.js";
import { modelLabel, ms, plural, runStatusText, secs, tpsText, turnTimeText } from "./format.js";
import { reportMarkdown } from "./report-md.js";
import type { Analysis } from "./schema.js";

export function mdHead(rec: ConversationRecord): string {
  const out = [`# ${rec.spec.scenario.title}`, "", `Conversation \`${rec.spec.id}\` · ${runStatusText(rec)}`, ""];
  if (rec.error) out.push(`**Error:** ${inline(rec.error)}`, "");
  if (rec.story) out.push("## Story", "", `**${rec.story.title}**`, "", rec.story.setting, "", rec.story.initial_situation, "");
  if (rec.personas) {
    out.push("## Personas", "");
    for (const a of rec.spec.agents) {
      const p = personaOf(rec.spec, rec.personas, a.id);
      if (!p) continue;
      out.push(
        `- **${p.name}** — ${p.role} (\`${a.id}\`, ${a.kind === "human" ? "a person" : a.kind === "recorded" ? "recorded" : modelLabel(a.model.provider, a.model.model)})`,
        `  - traits: ${p.traits.join(", ")}`,
        `  - goals: ${p.goals.join("; ")}`,
        `  - style: ${p.speaking_style}`,
      );
    }
    out.push("");
  }
  out.push("## Transcript", "");
  return out.join("\n") + "\n";
}

const quote = (text: string): string => text.split(/\r?\n/).map((l) => `> ${l}`).join("\n");

/** text a model wrote, made safe on one line of Markdown: Markdown's and HTML's marks escaped, line breaks made spaces */
const inline = (text: string): string => text.replace(/\s*\r?\n\s*/g, " ").replace(/[\\`*_~[\]<>&]/g, "\\$&");

/**
 * one message as a Markdown block: the text quoted, its figures on a line below (a person's and a
 * narrator's have none), and why its speaker was chosen on a line below that — not for the
 * opening turn nor in a round-robin run; `turnOrder`: the run's, so a fall back to round robin in
 * a run of another order is said with its reason (without it, it cannot be told from a round-robin turn).
 * Marked by its place (observer/who.ts placeMark): a turn by its number, a narrator's remark by
 * "[·]" and after which turn it came; `place`: from a turnCounter fed the log in order
 * (@defaultValue the place it has with no remark or copied message before it)
 */
export function mdMessage(m: DialogMessage, turnOrder?: TurnOrder, place: Place = placeOf(m)): string {
  const md = m.metadata;
  const mark = placeMark(place);
  if (md.source === "narrator") return `**${mark} ${m.speaker}** (a narrator's remark ${remarkWhen(place)}, not a turn)\n\n${quote(m.content.message)}\n\n`;
  const person = md.source === "human";
  const recorded = md.source === "imported";
  const marks = [m.skipped ? "skipped" : "", m.failed ? "failed" : "", m.stalled ? "stalled" : "", m.cut ? "cut" : "", md.truncated ? "truncated" : "", !m.failed && md.failed_attempts.length > 0 ? `retried: attempt ${md.attempt}` : "", m.content.end_conversation ? "ends the conversation" : ""].filter(Boolean);
  const text = m.skipped ? `_(${m.note ?? "skipped: nobody answered"})_` : m.failed && !m.content.message ? "_(no reply)_" : quote(m.content.message || "(nothing)");
  // a failed turn says why, and every attempt that failed says why too (a retried turn's as well), as the HTML does
  const failure = m.failed ? `- failed: ${inline(m.error ?? "no reason recorded")}\n` : "";
  const attempts = md.failed_attempts.map((f) => `- attempt ${f.attempt} failed (${f.cause}): ${inline(f.error)}${f.wait_ms !== null ? `; retried after ${secs(f.wait_ms / 1000)}` : ""}\n`).join("");
  const figures = recorded
    ? `recorded at ${new Date(md.finished_at).toISOString()}: imported, no tokens or speed`
    : person
    ? m.skipped
      ? ""
      : `answered in ${secs((md.finished_at - md.started_at) / 1000)} · typed by a person: no tokens or speed`
    : `${plural(md.tokens_generated, "token")} · ${tpsText(md)} tok/s · first token ${ms(md.time_to_first_token_ms)} · ${turnTimeText(m, 1)}`;
  return (
    `**${mark} ${m.speaker}** (${m.role}, ${person ? "person" : modelLabel(md.provider, md.model)})${marks.length ? ` [${marks.join(", ")}]` : ""}\n\n` +
    `${text}\n\n` +
    (failure || attempts ? `${failure}${attempts}\n` : "") +
    (figures ? `<sub>${figures}</sub>\n\n` : "") +
    (choiceShown(md.turn_choice, turnOrder) ? `<sub>${chosenText({ ...md.turn_choice, reason: inline(md.turn_choice.reason) })}</sub>\n\n` : "")
  );
}

export function mdFoot(a: Analysis): string {
  return `\n${reportMarkdown(a, 2)}\n`;
}
