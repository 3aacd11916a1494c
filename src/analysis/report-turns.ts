/**
 * The turn-taking part of an analysis (schema.ts `turn_taking`) as rows and lines: one source
 * for the terminal report, the Markdown, the HTML page and `compare`, like report-rows.ts.
 */
import { DASH, int, pct, plural } from "./format.js";
import type { Row } from "./report-rows.js";
import type { Analysis, TurnTaking } from "./schema.js";

const HOW: Record<keyof TurnTaking["chosen"], string> = {
  first: "first",
  round_robin: "round robin",
  random: "random",
  addressed: "addressed",
  moderator: "moderator",
  not_recorded: "not recorded",
};

export const orderName = (o: TurnTaking["turn_order"]): string => o.replace("_", " ");

/** the run's turn order as the views say it: an imported conversation's speakers came as recorded, whatever its spec defaults to */
export const runOrderName = (a: Pick<Analysis, "turn_taking" | "run">): string => (a.run.source?.kind === "import" ? "as recorded (imported)" : orderName(a.turn_taking.turn_order));

/** "first 1 · round robin 11": how many turns each way of choosing gave ("" when no turns) */
export function chosenText(t: TurnTaking): string {
  return (Object.keys(HOW) as Array<keyof TurnTaking["chosen"]>)
    .filter((how) => t.chosen[how] > 0)
    .map((how) => `${HOW[how]} ${int(t.chosen[how])}`)
    .join(" · ");
}

/** "6 of 6" for addressed runs: how often the agent a reply named spoke next (DASH otherwise) */
export function namedSpokeText(t: TurnTaking): string {
  const x = t.addressed;
  return x ? `${int(x.named_spoke_next)} of ${int(x.named_followed)}` : DASH;
}

/**
 * One row per agent: its share of the words and of the turns spoken, then how often each agent
 * spoke right after it (who answered whom), and under a moderator the turns it was given.
 */
export function turnTakingRows(a: Analysis): Row[] {
  const t = a.turn_taking;
  const ids = t.agent_ids;
  const agent = (id: string) => a.agents.find((g) => g.agent_id === id);
  return [
    ["spoke", "share of words", "share of turns", ...ids.map((id) => `then ${id}`), ...(t.moderator ? ["moderator chose"] : [])],
    ...ids.map((id, i): Row => [
      id,
      pct(agent(id)?.share_of_talk ?? null),
      pct(agent(id)?.share_of_turns ?? null),
      ...ids.map((_, j) => int(t.who_answered_whom[i]?.[j] ?? 0)),
      ...(t.moderator ? [int(t.moderator.chosen[i] ?? 0)] : []),
    ]),
  ];
}

/** what the table does not say: the turn order, how speakers were chosen, what naming and moderating did; the table's key last */
export function turnTakingLines(a: Analysis): string[] {
  const t = a.turn_taking;
  const lines = [`turn order ${runOrderName(a)} · speakers chosen: ${chosenText(t) || "no turns yet"}`];
  const x = t.addressed;
  if (x) {
    lines.push(
      `${plural(x.replies, "reply", "replies")} by models: ${int(x.named)} named another agent to answer, ${int(x.absent)} named no one, ${int(x.invalid)} named themselves or no agent; ` +
        `the named agent spoke next ${int(x.named_spoke_next)} of ${plural(x.named_followed, "time")} a turn followed`,
    );
  }
  const m = t.moderator;
  if (m) {
    const given = m.chosen.reduce((n, c) => n + c, 0);
    lines.push(
      `the moderator chose ${plural(given, "turn")}` +
        (m.fallbacks ? `; ${int(m.fallbacks)} went round robin instead (the moderator could not choose, or named someone who may not speak)` : ""),
    );
  }
  lines.push(`who answered whom: each row's speaker, then how often each agent spoke right after them (${plural(t.pairs, "pair")} of turns in a row)`);
  return lines;
}

/**
 * For compare, one row per figure with a cell per agent: who spoke right after the agent (the
 * row of who_answered_whom, as "b 3, c 1"), and the turns a moderator gave it.
 */
export function turnTakingAgentRows(a: Analysis): Row[] {
  const t = a.turn_taking;
  const next = t.agent_ids.map((_, i) =>
    t.agent_ids
      .map((id, j) => [id, t.who_answered_whom[i]?.[j] ?? 0] as const)
      .filter(([, n]) => n > 0)
      .sort((x, y) => y[1] - x[1])
      .map(([id, n]) => `${id} ${n}`)
      .join(", ") || DASH,
  );
  const index = (id: string) => t.agent_ids.indexOf(id);
  return [
    ["then spoke (times)", ...a.agents.map((g) => next[index(g.agent_id)] ?? DASH)],
    ["moderator chose", ...a.agents.map((g) => (t.moderator ? int(t.moderator.chosen[index(g.agent_id)] ?? 0) : DASH))],
  ];
}
