/**
 * The middle of the live area: the turn being generated, streaming under its speaker's name (the
 * last rows that fit, with a count of the rows above), or a spinner while the manager writes the
 * story and personas or a turn waits for its model — or a person's turn with its input line
 * (PersonTurn). The speaker of a turn not yet streaming is the one the turn order chose (the
 * record's next_choice), with why when the order is not round robin. While Redis is unreachable
 * (the launcher's connection says so), that is said where a quiet turn would say "no tokens for"
 * (the model is not the one waited for), and in front of what is waited for otherwise. Never
 * taller than `maxRows`.
 */
import { Box, Text } from "ink";
import { modelLabel } from "../plain.js";
import { awayShort } from "../redis-away.js";
import { waitingFor } from "../waiting.js";
import { stoppingText } from "../stopping.js";
import { agentIndex, choiceShown, choiceText, chosenText, nameOf, turnAt, turnsTaken } from "../who.js";
import { num } from "./format.js";
import { PersonTurn, type PersonLine } from "./PersonTurn.js";
import { Spinner } from "./Spinner.js";
import type { ViewState } from "./state.js";
import { clean, tailRows } from "./text.js";
import { agentColor, tone, useTheme } from "./theme.js";

export interface LiveTurnProps {
  state: ViewState;
  width: number;
  maxRows: number;
  /** the clock, epoch ms (a person's time left) */
  now?: number;
  /** the person's input line; absent: not offered (a replay) */
  line?: PersonLine;
  /** what the `dialogue say` command shown at a person's turn needs to reach the run (cli/reach.ts); @defaultValue "" */
  reach?: string;
}

/** the turn the record says is chosen and not yet recorded */
export function pendingChoice(s: ViewState) {
  const r = s.record;
  const c = r?.next_choice;
  if (!r || !c) return null;
  const last = Math.max(r.turns, s.messages.at(-1)?.metadata.sequence_number ?? 0);
  return c.seq > last ? c : null;
}

const INDENT = 2;
/** a turn quiet this long (no token, or not started) says for how long */
const QUIET_MS = 5000;

function WaitingRow({ text, away = null }: { text: string; away?: string | null }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate-end">
      <Spinner /> {away !== null ? <Text color={tone(theme, "yellow")}>{away} · </Text> : null}
      {text}
    </Text>
  );
}

export function LiveTurn({ state, width, maxRows, now = Date.now(), line = { state: "view", draft: "", error: null }, reach = "" }: LiveTurnProps) {
  const theme = useTheme();
  const r = state.record;
  if (!r || maxRows < 1) return null;
  const manager = modelLabel(r.spec.manager.provider, r.spec.manager.model);
  // Redis unreachable: which, for how long, and how long it is still waited for
  const away = state.redis ? awayShort(state.redis, now) : null;
  if (r.status === "pending") return <WaitingRow away={away} text="waiting for a manager to take the conversation (it then writes the story and the personas)" />;
  if (r.status === "preparing") {
    const next = r.phase === "personas" ? "then the first turn" : "personas next";
    const m = r.manager_retry;
    if (m && m.wait_ms !== null && m.phase === (r.phase ?? "story")) {
      // its model failed: which attempt, why, and the countdown to the next (on Redis' clock)
      const left = m.at + m.wait_ms - now;
      const retry = left > 0 ? `retrying in ${num(left / 1000)} s` : "retrying now";
      return <WaitingRow away={away} text={`the manager is writing the ${m.phase} with ${manager}: attempt ${m.attempt} failed (${m.cause}${m.by ? `; manager on ${m.by.host}, pid ${m.by.pid}` : ""}); ${retry}: ${clean(m.error)}`} />;
    }
    return <WaitingRow away={away} text={`the manager is writing the ${r.phase ?? "story"} with ${manager}; ${next}`} />;
  }
  if (r.status === "stopping" && r.started_at === null) return <WaitingRow away={away} text={stoppingText(r, null)} />;
  const live = state.live;
  const chosen = pendingChoice(state);
  const agentId = live?.agent_id ?? chosen?.agent_id;
  const seq = live?.seq ?? chosen?.seq;
  if (!live) {
    if (r.status === "stopping") {
      // what the stop waits for, as the web page says it (a person's open turn is closed, not waited for)
      return <WaitingRow away={away} text={stoppingText(r, waitingFor(r))} />;
    }
    if (r.status !== "running" || turnsTaken(state.messages) >= r.spec.limits.max_turns) return null;
    if (agentId === undefined) return <WaitingRow away={away} text="the manager is choosing who speaks next" />;
  }
  const agent = r.spec.agents.find((a) => a.id === agentId);
  if (!agent || seq === undefined) return null;
  const index = agentIndex(r.spec, agent.id);
  const waiting = live ? null : waitingFor(r);
  if (waiting && waiting.agent_id === agent.id) {
    return <PersonTurn record={r} waiting={waiting} line={line} index={index} width={width} maxRows={maxRows} now={now} reach={reach} />;
  }
  const name = clean(nameOf(r, agent.id));
  const rate = live && live.last_t > live.first_t ? (live.tokens / (live.last_t - live.first_t)) * 1000 : null;
  // why this speaker (not said for round robin); the streaming turn's choice is the same record's
  const choice = chosen && chosen.seq === seq ? chosen : null;
  const why = choiceShown(choice, r.spec.turn_order) ? clean(choiceText(choice)) : null;
  // a turn that has gone quiet says so (a stalled model, a worker that died and waits to be
  // replaced), as does a long wait for one to start: times on Redis' clock, as the chunks' are
  const quiet = live && r.status === "running" && away === null && now - live.last_t >= QUIET_MS ? Math.floor((now - live.last_t) / 1000) : null;
  const waited = !live && away === null && choice?.at !== undefined && choice.at !== null && now - choice.at >= QUIET_MS ? Math.floor((now - choice.at) / 1000) : null;
  const heading = (
    <Text wrap="truncate-end">
      <Text color={agentColor(theme, index)} bold>
        ▍{name}
      </Text>
      <Text dimColor>
        {" "}· {agent.id} · turn {turnAt(seq, state.messages)}
        {live ? ` · ${live.tokens} tok · ${num(rate)} tok/s` : ""}
        {live && live.attempt > 1 ? ` · attempt ${live.attempt}` : ""}
      </Text>
      {quiet !== null ? <Text color={tone(theme, "yellow")}> · no tokens for {quiet} s</Text> : null}
      {away !== null && maxRows < 2 ? <Text color={tone(theme, "yellow")}> · {away}</Text> : null}
      <Text dimColor>{live && why ? ` · ${why}` : ""}</Text>{" "}
      {live && live.text !== "" ? null : <Spinner />}
      {live ? null : (
        <Text dimColor>
          {" "}
          waiting{waited !== null ? ` ${waited} s` : ""} for {modelLabel(agent.model.provider, agent.model.model)} on a worker of pool {agent.pool}
        </Text>
      )}
    </Text>
  );
  // Redis unreachable: a row of its own under the heading (a long heading is cut at its end)
  const top =
    away !== null && maxRows >= 2 ? (
      <Box flexDirection="column" width={width}>
        {heading}
        <Text color={tone(theme, "yellow")} wrap="truncate-end">
          {"  "}
          {away}
        </Text>
      </Box>
    ) : (
      heading
    );
  const room = top === heading ? maxRows : maxRows - 1;
  if (!live && choiceShown(choice, r.spec.turn_order) && room >= 2) {
    return (
      <Box flexDirection="column" width={width}>
        {top}
        <Text dimColor wrap="truncate-end">
          {"  "}
          {clean(chosenText(choice))}
        </Text>
      </Box>
    );
  }
  if (live?.failed && room >= 2) {
    // the attempt failed and the turn goes on: why, and what comes next (the countdown on Redis' clock)
    const f = live.failed.notice;
    const left = f.wait_ms === null ? null : live.failed.at + f.wait_ms - now;
    const next = f.fallback ? `trying the fallback ${f.fallback}` : left !== null && left > 0 ? `retrying in ${num(left / 1000)} s` : "retrying now";
    return (
      <Box flexDirection="column" width={width}>
        {top}
        <Text color={tone(theme, "yellow")} wrap="truncate-end">
          {"  "}attempt {live.attempt} failed ({f.cause}); {next}: {clean(f.error)}
        </Text>
      </Box>
    );
  }
  if (!live || live.text === "" || room < 2) return top;
  // every row but the heading; one of them says how many rows are above when not all fit
  let { rows, hidden } = tailRows(live.text, width - INDENT, room - 1);
  // (with two rows, the latest text rather than a count of what is above it)
  const above = hidden > 0 && room >= 3;
  if (above) ({ rows, hidden } = tailRows(live.text, width - INDENT, room - 2));
  return (
    <Box flexDirection="column" width={width}>
      {top}
      {above ? (
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
