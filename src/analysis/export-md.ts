/**
 * The Markdown export: the story, the personas, the transcript with each message's figures, and
 * the analysis report. Written in parts so a long run streams.
 */
import type { ConversationRecord } from "../protocol/record.js";
import type { DialogMessage } from "../protocol/schemas.js";
import { modelLabel, ms, num, plural } from "./format.js";
import { reportMarkdown } from "./report-md.js";
import type { Analysis } from "./schema.js";

export function mdHead(rec: ConversationRecord): string {
  const out = [`# ${rec.spec.scenario.title}`, "", `Conversation \`${rec.spec.id}\` · ${rec.status}${rec.stop_reason ? ` (${rec.stop_reason})` : ""}`, ""];
  if (rec.story) out.push("## Story", "", `**${rec.story.title}**`, "", rec.story.setting, "", rec.story.initial_situation, "");
  if (rec.personas) {
    out.push("## Personas", "");
    rec.personas.forEach((p, i) => {
      const a = rec.spec.agents[i];
      out.push(
        `- **${p.name}** — ${p.role}${a ? ` (\`${a.id}\`, ${modelLabel(a.model.provider, a.model.model)})` : ""}`,
        `  - traits: ${p.traits.join(", ")}`,
        `  - goals: ${p.goals.join("; ")}`,
        `  - style: ${p.speaking_style}`,
      );
    });
    out.push("");
  }
  out.push("## Transcript", "");
  return out.join("\n") + "\n";
}

/** one message as a Markdown block: the text quoted, its figures on a line below */
export function mdMessage(m: DialogMessage): string {
  const md = m.metadata;
  const marks = [m.cut ? "cut" : "", md.truncated ? "truncated" : "", m.content.end_conversation ? "ends the conversation" : ""].filter(Boolean);
  const text = (m.content.message || "(nothing)").split(/\r?\n/).map((l) => `> ${l}`).join("\n");
  return (
    `**[${md.sequence_number}] ${m.speaker}** (${m.role}, ${modelLabel(md.provider, md.model)})${marks.length ? ` [${marks.join(", ")}]` : ""}\n\n` +
    `${text}\n\n` +
    `<sub>${plural(md.tokens_generated, "token")} · ${num(md.tokens_per_second)} tok/s · first token ${ms(md.time_to_first_token_ms)}</sub>\n\n`
  );
}

export function mdFoot(a: Analysis): string {
  return `\n${reportMarkdown(a, 2)}\n`;
}
