/**
 * Turn-taking: who spoke after whom, how each speaker came to speak, and — for the turn orders
 * that let someone choose — what the choosing did. Fed the agents' turns in order (a narrator's
 * remark is not one); `result()` gives the analysis' `turn_taking` block (schema.ts).
 *
 *   who_answered_whom  consecutive spoken turns: previous speaker -> next speaker (a skipped
 *                      or failed turn is passed over: nobody spoke in it)
 *   chosen             each turn's metadata.turn_choice.how, or not_recorded (older runs); a
 *                      skipped or failed turn was given all the same, and counts
 *   addressed          the models' replies: did they name another agent in next_speaker, and did
 *                      that agent speak the next turn? A failed turn is no reply (it named no one:
 *                      it said nothing usable). When the named agent got the next turn and it
 *                      failed (or, a person, skipped it), that agent did not speak: the reply
 *                      counts in named_followed, not in named_spoke_next
 *   moderator          the turns the moderator gave each agent, and the turns it did not choose
 */
import type { TurnOrder } from "../protocol/record.js";
import type { AnalyzedMessage } from "./message-view.js";
import type { TurnTaking } from "./schema.js";

type How = keyof TurnTaking["chosen"];

export class TurnTakingAcc {
  private readonly pairs = new Map<string, Map<string, number>>();
  private pairCount = 0;
  private lastSpoken: string | null = null;
  private readonly chosen: TurnTaking["chosen"] = { first: 0, round_robin: 0, random: 0, addressed: 0, moderator: 0, not_recorded: 0 };
  private readonly addressed = { replies: 0, named: 0, absent: 0, invalid: 0, named_followed: 0, named_spoke_next: 0 };
  /** the agent the previous model reply named, waiting for the next turn */
  private named: string | null = null;
  private readonly moderated = new Map<string, number>();
  private fallbacks = 0;
  private turns = 0;

  constructor(
    private readonly order: TurnOrder,
    /** the conversation's agents (a next_speaker is valid when it names one of them, not the speaker) */
    private readonly agentIds: ReadonlySet<string>,
  ) {}

  /** one turn of an agent (not a narrator's remark), in log order */
  add(m: AnalyzedMessage): void {
    const md = m.metadata;
    const id = md.agent_id;
    this.turns++;
    const how: How = md.turn_choice?.how ?? "not_recorded";
    this.chosen[how]++;
    if (this.order === "moderator") {
      if (how === "moderator") this.moderated.set(id, (this.moderated.get(id) ?? 0) + 1);
      else if (this.turns > 1) this.fallbacks++;
    }
    const spoke = !m.skipped && !m.failed;
    if (this.named !== null) {
      this.addressed.named_followed++;
      // given the turn is not enough: the named agent spoke it
      if (id === this.named && spoke) this.addressed.named_spoke_next++;
      this.named = null;
    }
    if (this.order === "addressed" && md.source === "model" && !m.failed) this.reply(id, m.content.next_speaker);
    if (!spoke) return;
    if (this.lastSpoken !== null) {
      let row = this.pairs.get(this.lastSpoken);
      if (!row) this.pairs.set(this.lastSpoken, (row = new Map()));
      row.set(id, (row.get(id) ?? 0) + 1);
      this.pairCount++;
    }
    this.lastSpoken = id;
  }

  private reply(speaker: string, next: string | undefined): void {
    const a = this.addressed;
    a.replies++;
    if (next === undefined || next === "") a.absent++;
    else if (next === speaker || !this.agentIds.has(next)) a.invalid++;
    else {
      a.named++;
      this.named = next;
    }
  }

  /** `ids`: the analysis' agents, in its order */
  result(ids: readonly string[]): TurnTaking {
    return {
      turn_order: this.order,
      agent_ids: [...ids],
      who_answered_whom: ids.map((from) => ids.map((to) => this.pairs.get(from)?.get(to) ?? 0)),
      pairs: this.pairCount,
      chosen: { ...this.chosen },
      addressed: this.order === "addressed" ? { ...this.addressed } : null,
      moderator: this.order === "moderator" ? { chosen: ids.map((id) => this.moderated.get(id) ?? 0), fallbacks: this.fallbacks } : null,
    };
  }
}
