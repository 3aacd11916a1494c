/**
 * The story and the personas, as rows (toggled with `s`). The transcript above already has them
 * in full; this panel brings them back into view, cut to the room it is given.
 */
import type { ConversationRecord } from "../../protocol/record.js";
import { agentIndex } from "../who.js";
import { paragraph, type Row } from "./rows.js";
import { clean } from "./text.js";
import { agentColor, type Theme } from "./theme.js";

export function storyRows(r: ConversationRecord, width: number, theme: Theme): Row[] {
  if (!r.story) return [{ text: "The manager has not written the story yet.", dim: true }];
  const s = r.story;
  const rows: Row[] = [
    ...paragraph(`Story: ${s.title}`, width, 2, { bold: true }),
    ...paragraph(`Setting: ${s.setting}`, width, 2),
    ...paragraph(`Situation: ${s.initial_situation}`, width, 2),
  ];
  (r.personas ?? []).forEach((p, i) => {
    rows.push(...paragraph(`● ${p.name} — ${p.role}`, width, 2, { color: agentColor(theme, p.agent_id ? agentIndex(r.spec, p.agent_id) : i), bold: true }));
    rows.push(...paragraph(`  traits: ${p.traits.join(", ")}`, width, 4));
    rows.push(...paragraph(`  goals: ${p.goals.join("; ")}`, width, 4));
    rows.push(...paragraph(`  style: ${p.speaking_style}`, width, 4));
  });
  if (!r.personas) rows.push({ text: "The manager has not written the personas yet.", dim: true });
  return rows.map((row) => ({ ...row, text: clean(row.text) }));
}
