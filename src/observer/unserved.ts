/**
 * What a run waits for while processes that serve it are missing, by their heartbeats
 * (redis/presence.ts unservedBy), each with the command that starts one: in one place for the
 * API's answer to starting a run (waiting_for), the live page's lines (client/live.ts) and
 * `dialogue show`. Free of Node: the page's script uses it.
 */
import { nameOf } from "./who.js";
import type { ConversationRecord } from "../protocol/record.js";
import type { Unserved } from "../redis/presence.js";

/** `reach`: what the command needs to reach the run's Redis and prefix (observer/commands.ts prefixFlag, or the CLI's reachFlags) */
export const managerCommand = (reach: string): string => `dialogue manager${reach}`;
export const workerCommand = (pool: string, reach: string): string => `dialogue worker --pool ${pool}${reach}`;

/**
 * One line for each missing process, with the command that starts it. `run` is the run as it
 * stands (the live page): whether it has started, and whose turn waits now; without it, the lines
 * for a run just created.
 */
export function waitingForLines(u: Unserved, reach: string, run?: Pick<ConversationRecord, "status" | "next_choice" | "spec" | "personas">): string[] {
  const started = run !== undefined && run.status !== "pending";
  const next = run?.next_choice ? run.spec.agents.find((a) => a.id === run.next_choice?.agent_id) : undefined;
  const waits = (pool: string): string => (run && next?.kind === "model" && next.pool === pool ? `${nameOf(run, next.id)}'s turn (${next.id}) waits` : "its turns wait");
  return [
    ...(u.no_manager ? [`no manager is running against this Redis: the run ${started ? "goes on" : "starts"} when one does (${managerCommand(reach)})`] : []),
    ...u.pools.map((p) => `no worker serves pool ${p}: ${waits(p)} for one (${workerCommand(p, reach)})`),
  ];
}
