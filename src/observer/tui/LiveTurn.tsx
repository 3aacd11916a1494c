/**
 * The middle of the live area: the turn being generated, streaming under its speaker's name (the
 * last rows that fit, with a count of the rows above), or a spinner while the manager writes the
 * story and personas or a turn waits for its model. Never taller than `maxRows`.
 */
import { Box, Text } from "ink";
import { modelLabel } from "../plain.js";
import { num } from "./format.js";
import { Spinner } from "./Spinner.js";
import type { ViewState } from "./state.js";
import { clean, tailRows } from "./text.js";
import { agentColor, useTheme } from "./theme.js";

export interface LiveTurnProps {
  state: ViewState;
  width: number;
  maxRows: number;
}

const INDENT = 2;

function Waiting({ text }: { text: string }) {
  return (
    <Text wrap="truncate-end">
      <Spinner /> {text}
    </Text>
  );
}

export function LiveTurn({ state, width, maxRows }: LiveTurnProps) {
  const theme = useTheme();
  const r = state.record;
  if (!r || maxRows < 1) return null;
  const manager = modelLabel(r.spec.manager.provider, r.spec.manager.model);
  if (r.status === "pending") return <Waiting text="waiting for a manager to take the conversation (it then writes the story and the personas)" />;
  if (r.status === "preparing") {
    const next = r.phase === "personas" ? "then the first turn" : "personas next";
    return <Waiting text={`the manager is writing the ${r.phase ?? "story"} with ${manager}; ${next}`} />;
  }
  const live = state.live;
  const seq = live?.seq ?? state.messages.length + 1;
  const index = live ? r.spec.agents.findIndex((a) => a.id === live.agent_id) : (seq - 1) % r.spec.agents.length;
  const agent = r.spec.agents[index];
  if (!agent) return null;
  if (!live) {
    if (r.status === "stopping") return <Waiting text="stopping: waiting for the turn in flight to come back, cut" />;
    if (r.status !== "running" || seq > r.spec.limits.max_turns) return null;
  }
  const name = clean(r.personas?.[index]?.name ?? agent.role);
  const rate = live && live.last_t > live.first_t ? (live.tokens / (live.last_t - live.first_t)) * 1000 : null;
  const heading = (
    <Text wrap="truncate-end">
      <Text color={agentColor(theme, index)} bold>
        ▍{name}
      </Text>
      <Text dimColor>
        {" "}· {agent.id} · turn {seq}
        {live ? ` · ${live.tokens} tok · ${num(rate)} tok/s` : ""}
      </Text>{" "}
      {live && live.text !== "" ? null : <Spinner />}
      {live ? null : <Text dimColor> waiting for {modelLabel(agent.model.provider, agent.model.model)} on a worker of pool {agent.pool}</Text>}
    </Text>
  );
  if (!live || live.text === "" || maxRows < 2) return heading;
  // every row but the heading; one of them says how many rows are above when not all fit
  let { rows, hidden } = tailRows(live.text, width - INDENT, maxRows - 1);
  if (hidden > 0) ({ rows, hidden } = tailRows(live.text, width - INDENT, maxRows - 2));
  return (
    <Box flexDirection="column" width={width}>
      {heading}
      {hidden > 0 ? (
        <Text dimColor wrap="truncate-end">
          {"  "}… {hidden} more row{hidden === 1 ? "" : "s"} above
        </Text>
      ) : null}
      <Box flexDirection="column" paddingLeft={INDENT}>
        {rows.map((row, i) => (
          <Text key={i} wrap="truncate-end">
            {row}
          </Text>
        ))}
      </Box>
    </Box>
  );
}
