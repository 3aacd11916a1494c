/**
 * The transcript: the story, the personas and each finished turn, written once above the live
 * area with Ink's <Static> (never redrawn, so the terminal keeps them in its scrollback).
 *
 * A model's turn ends with its figures (tokens, speed, first token, queue wait, model); a
 * person's with "typed by a person" and how long they took (a person has no tokens or speed); a
 * skipped turn says why; a narrator's remark is set apart (no speaker's bar, in italics, indented)
 * and, not being a turn, has no number: it says after which turn it came.
 * When the turn order is not round robin, a dim row says why the speaker was chosen.
 */
import { Box, Static, Text } from "ink";
import type { ConversationRecord } from "../../protocol/record.js";
import type { DialogMessage } from "../../protocol/schemas.js";
import { byManager, modelLabel } from "../plain.js";
import type { Place } from "../../protocol/turn-count.js";
import { agentIndex, choiceShown, chosenText, placeText, skipText } from "../who.js";
import { ms } from "./format.js";
import { tpsText, turnTimeText } from "../../analysis/format.js";
import type { TranscriptItem } from "./state.js";
import { clean, wrapRows } from "./text.js";
import { agentColor, tone, useTheme } from "./theme.js";
import { queueWaitText } from "../../protocol/lost-attempts.js";

/** pre-wrapped (see wrapRows), so Ink has nothing left to wrap */
function Para({ text, width, dim }: { text: string; width: number; dim?: boolean }) {
  return <Text dimColor={dim}>{wrapRows(text, width).join("\n")}</Text>;
}

/** a narrator's remark: not a turn, so no turn number; where it came says which turns it sits between */
function Narrator({ m, place, width }: { m: DialogMessage; place: Place; width: number }) {
  return (
    <Box flexDirection="column" marginBottom={1} paddingLeft={4}>
      <Text dimColor>
        ✦ Narrator · {placeText(place)}
        {m.note ? ` · ${clean(m.note)}` : ""}
      </Text>
      <Text italic>{wrapRows(m.content.message, width - 6).join("\n")}</Text>
    </Box>
  );
}

/** the last row of a turn: a model's figures, or a person's time */
function metaText(m: DialogMessage): string {
  const md = m.metadata;
  if (md.source === "human") return `${m.skipped ? "a person's turn, unanswered" : "typed by a person"} · ${(md.generation_time_ms / 1000).toFixed(1)} s after the turn was offered`;
  return (
    `${md.tokens_generated} tok · ${tpsText(md)} tok/s · ttft ${ms(md.time_to_first_token_ms)} · ` +
    `${turnTimeText(m)} · queue ${byManager(m) ? "–" : queueWaitText(md, ms)} · ${modelLabel(md.provider, md.model)}`
  );
}

function Message({ m, place, record, width }: { m: DialogMessage; place: Place; record: ConversationRecord | null; width: number }) {
  const theme = useTheme();
  const md = m.metadata;
  if (md.source === "narrator") return <Narrator m={m} place={place} width={width} />;
  const index = record ? agentIndex(record.spec, md.agent_id) : 0;
  const retried = !m.failed && md.failed_attempts.length > 0;
  const flags = [
    m.failed ? "failed" : "",
    m.skipped ? "skipped" : "",
    m.cut ? "cut" : "",
    m.stalled ? "stalled" : "",
    retried ? `retried: attempt ${md.attempt}` : "",
    md.truncated ? "truncated" : "",
    m.content.end_conversation ? "ends the conversation" : "",
  ].filter(Boolean);
  const choice = md.turn_choice;
  return (
    <Box flexDirection="column" marginBottom={1}>
      <Text>
        <Text color={agentColor(theme, index)} bold>
          ▍{clean(m.speaker)}
        </Text>
        <Text dimColor>
          {" "}· {md.agent_id} · {placeText(place)}
          {md.source === "human" ? " · a person" : ""}
        </Text>
        {flags.length > 0 ? <Text color={tone(theme, "yellow")}> [{flags.join(", ")}]</Text> : null}
      </Text>
      {choiceShown(choice, record?.spec.turn_order) ? (
        <Box paddingLeft={2}>
          <Para dim text={chosenText(choice)} width={width - 2} />
        </Box>
      ) : null}
      <Box paddingLeft={2}>
        {m.skipped ? (
          <Text color={tone(theme, "yellow")}>{wrapRows(skipText(m.note), width - 2).join("\n")}</Text>
        ) : m.failed && m.content.message === "" ? null : (
          <Para text={m.content.message || "(nothing)"} width={width - 2} />
        )}
      </Box>
      {m.failed ? (
        <Box paddingLeft={2}>
          <Text color={tone(theme, "red")}>{wrapRows(`failed: ${clean(m.error ?? "no reason recorded")}`, width - 2).join("\n")}</Text>
        </Box>
      ) : null}
      <Box paddingLeft={2}>
        <Para dim width={width - 2} text={metaText(m)} />
      </Box>
    </Box>
  );
}

function Item({ item, record, width }: { item: TranscriptItem; record: ConversationRecord | null; width: number }) {
  const theme = useTheme();
  switch (item.kind) {
    case "story":
      return (
        <Box flexDirection="column" marginBottom={1}>
          <Text bold>Story: {clean(item.story.title)}</Text>
          <Box flexDirection="column" paddingLeft={2}>
            <Para text={`Setting: ${item.story.setting}`} width={width - 2} />
            <Para text={`Situation: ${item.story.initial_situation}`} width={width - 2} />
          </Box>
        </Box>
      );
    case "personas":
      return (
        <Box flexDirection="column" marginBottom={1}>
          <Text bold>Personas</Text>
          {item.personas.map((p, i) => (
            <Box key={i} flexDirection="column" paddingLeft={2}>
              <Text color={agentColor(theme, record && p.agent_id ? agentIndex(record.spec, p.agent_id) : i)} bold wrap="wrap">
                ● {clean(p.name)} — {clean(p.role)}
              </Text>
              <Box flexDirection="column" paddingLeft={2}>
                <Para text={`traits: ${p.traits.join(", ")}`} width={width - 4} />
                <Para text={`goals: ${p.goals.join("; ")}`} width={width - 4} />
                <Para text={`style: ${p.speaking_style}`} width={width - 4} />
              </Box>
            </Box>
          ))}
        </Box>
      );
    case "message":
      return <Message m={item.message} place={item.place} record={record} width={width} />;
    case "notice":
      return (
        <Text color={tone(theme, "yellow")}>{wrapRows(item.text, width).join("\n")}</Text>
      );
  }
}

export function Transcript({ items, record, width }: { items: TranscriptItem[]; record: ConversationRecord | null; width: number }) {
  return (
    <Static items={items} style={{ width }}>
      {(item) => <Item key={item.key} item={item} record={record} width={width} />}
    </Static>
  );
}
