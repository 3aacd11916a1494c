/**
 * The end of a run: how and why it ended, and per agent the turns and tokens (totals) and the
 * mean tokens/s, time to first token and queue wait (means per turn, and headed so). It takes
 * the summary data (analysis/summary.ts), and `children` go below it (the analysis report, when
 * there is one). A person's row has their turns and no model figures (a person has none).
 */
import { Box, Text } from "ink";
import type { ReactNode } from "react";
import { endedText, outcomeText, personTurnsText } from "../../analysis/report-rows.js";
import { tokensText, type RunSummary } from "../../analysis/summary.js";
import type { ConversationRecord } from "../../protocol/record.js";
import type { DialogMessage } from "../../protocol/schemas.js";
import { DASH, modelLabel, plural } from "../../analysis/format.js";
import { ms, num } from "./format.js";
import stringWidth from "string-width";
import { clean, wrapRows } from "./text.js";
import { agentColor, tone, useTheme } from "./theme.js";

/** what goes under the summary once the run is over, from the whole run (the analysis report) */
export type EndReport = (record: ConversationRecord, messages: DialogMessage[]) => ReactNode;

export interface SummaryScreenProps {
  summary: RunSummary;
  error?: string | null;
  width: number;
  /** the agents a person speaks for (their rows say so instead of a model) */
  people?: ReadonlySet<string>;
  children?: ReactNode;
}

/** [heading, width]: two totals, then three means per turn */
const COLS: Array<[string, number]> = [
  ["turns", 7],
  ["tokens", 8],
  ["tok/s mean", 12],
  ["ttft mean", 11],
  ["queue mean", 12],
];

/** the name column gives way to a note of failed or cut turns down to what the ids need, at most this */
const NAME_MAX_MIN = 30;

function Cell({ width, text, dim }: { width: number; text: string; dim?: boolean }) {
  return (
    <Box width={width} flexShrink={0} justifyContent="flex-end">
      <Text dimColor={dim} wrap="truncate-end">
        {text}
      </Text>
    </Box>
  );
}

/** what is left of the name column for a model, below which the model is left out rather than cut to a stump */
const MIN_MODEL = 8;

/**
 * The agent's name and what speaks for it, in `width` columns. The name comes first and whole, as
 * the live stats table shows it; a name that does not fit beside the "[simulated]" badge gives way
 * to the agent's id (never a stump of the name). The model takes what is left: whole, shortened
 * when at least MIN_MODEL columns are left, else not shown (the cast above names every model). A
 * "[simulated]" badge is never dropped (simulated figures are always said to be so).
 */
export function nameCell(width: number, name: string, id: string, label: string): { who: string; model: string; badge: string } {
  const badge = / \[simulated\]$/.exec(label)?.[0] ?? "";
  const model = label.slice(0, label.length - badge.length);
  const room = Math.max(0, width - badge.length);
  const who = 2 + stringWidth(name) <= room ? name : id;
  const left = room - 2 - stringWidth(who);
  return { who, model: 1 + stringWidth(model) <= left || left >= MIN_MODEL ? model : "", badge };
}

function NameCell({ width, name, id, color, label }: { width: number; name: string; id: string; color: string | undefined; label: string }) {
  const { who, model, badge } = nameCell(width, name, id, label);
  // an id too long for the room beside the badge is cut, never the badge
  const whoWidth = Math.min(Math.max(0, width - badge.length), 2 + stringWidth(who));
  return (
    <Box width={width}>
      <Box width={whoWidth} flexShrink={0}>
        <Text color={color} bold wrap="truncate-end">
          ● {who}
        </Text>
      </Box>
      {model ? (
        <Box width={Math.max(0, Math.min(width - badge.length - whoWidth, 1 + stringWidth(model)))} flexShrink={0}>
          <Text dimColor wrap="truncate-end">
            {" "}
            {model}
          </Text>
        </Box>
      ) : null}
      {badge ? (
        <Text dimColor wrap="truncate-end">
          {badge}
        </Text>
      ) : null}
    </Box>
  );
}

export function SummaryScreen({ summary: s, error, width, people, children }: SummaryScreenProps) {
  const theme = useTheme();
  // the turns that did not simply succeed are said after the figures: room is kept for the longest
  // such note (the figures' columns a little tighter then), the name column giving way down to what
  // each agent's id and badge need (then the note is cut, never a figure)
  const noteWidth = Math.max(0, ...s.agents.map((a) => (people?.has(a.agent_id) || !outcomeText(a) ? 0 : 2 + stringWidth(outcomeText(a)))));
  const cols: Array<[string, number]> = noteWidth > 0 ? COLS.map(([h, w]) => [h, w - 1]) : COLS;
  const figures = cols.reduce((n, [, w]) => n + w, 0);
  const idNeed = Math.max(0, ...s.agents.map((a) => 2 + stringWidth(clean(a.agent_id)) + (people?.has(a.agent_id) || a.provider !== "simulated" ? 0 : " [simulated]".length)));
  const nameMin = Math.min(NAME_MAX_MIN, Math.max(10, idNeed));
  const nameWidth = Math.max(10, Math.min(width - figures, Math.max(nameMin, width - figures - noteWidth)));
  const noteRoom = Math.max(0, width - figures - nameWidth);
  const color = s.status === "failed" ? "red" : s.status === "completed" || s.status === "imported" ? "green" : "yellow";
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text bold color={tone(theme, color)}>
          {endedText(s)}
        </Text>
        <Text>
          {" "}
          · {plural(s.turns, "turn")}
          {outcomeText(s) ? ` (${outcomeText(s)})` : ""} · {tokensText(s, plural)} · {/* a run with no turn has no duration, whatever ended it (as list says) */ s.duration_s === null || s.turns === 0 ? "–" : `${s.duration_s.toFixed(1)} s`}
        </Text>
      </Text>
      <Box height={1}>
        <Box width={nameWidth}>
          <Text dimColor wrap="truncate-end">
            agent
          </Text>
        </Box>
        {cols.map(([head, w]) => (
          <Cell key={head} width={w} text={head} dim />
        ))}
      </Box>
      {s.agents.map((a, i) => (
        <Box key={a.agent_id} height={1}>
          <NameCell width={nameWidth} name={clean(a.name ?? a.agent_id)} id={clean(a.agent_id)} color={agentColor(theme, i)} label={people?.has(a.agent_id) ? "a person" : modelLabel(a.provider, a.model)} />
          {people?.has(a.agent_id) ? (
            <>
              <Cell width={cols[0]?.[1] ?? 7} text={String(a.turns)} />
              <Cell width={cols.slice(1).reduce((n, [, w]) => n + w, 0)} text={personTurnsText(a.turns, a.skipped_turns)} dim />
            </>
          ) : (
            <>
              {/* a recorded speaker (dialogue import): no tokens to count */}
              {[String(a.turns), a.kind === "recorded" ? DASH : String(a.tokens), num(a.mean_tokens_per_second), ms(a.mean_time_to_first_token_ms), ms(a.mean_queue_wait_ms)].map((text, k) => (
                <Cell key={k} width={cols[k]?.[1] ?? 8} text={text} />
              ))}
              {/* the turns that did not simply succeed, after the figures (which leave them out) */}
              {outcomeText(a) && noteRoom > 2 ? (
                <Box width={noteRoom} flexShrink={0}>
                  <Text color={tone(theme, "yellow")} wrap="truncate-end">
                    {"  "}
                    {outcomeText(a)}
                  </Text>
                </Box>
              ) : null}
            </>
          )}
        </Box>
      ))}
      {error ? (
        <Text color={tone(theme, "red")}>{wrapRows(`error: ${clean(error)}`, width).join("\n")}</Text>
      ) : null}
      {children}
    </Box>
  );
}
