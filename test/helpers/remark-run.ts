/**
 * The tester's run for replay and label tests: four agents, a person (commuter), and a narrator's
 * remark (message 4) after the person's turn (message 3); `replayed` plays it to a renderer.
 */
import { timeline } from "../../src/observer/replay.js";
import type { ConversationRecord } from "../../src/protocol/record.js";
import { makeCastRecord, makeRemark, makeTurn } from "./cast.js";
import { T0 } from "./conversation.js";

export const r = makeCastRecord(4, { people: ["commuter"] });

export const log = [
  makeTurn(r, 1, "chair", "Welcome."),
  makeTurn(r, 2, "officer", "The route runs down the high street."),
  makeTurn(r, 3, "commuter", "Will the buses still stop at the hospital?"),
  makeRemark(4, "The lights go out.", T0 + 3 * 4000 + 3500),
  makeTurn(r, 5, "shopkeeper", "Who turned off the lights?"),
];

export const final: ConversationRecord = { ...r, status: "completed", stop_reason: "max_turns", ended_at: T0 + 30_000, turns: 5, remarks: 1, tokens_total: 40 };

/** every event of the replay but its end, to `render` */
export function replayed(render: { onEvent(e: never): void }): void {
  for (const { event } of timeline(final, log, [])) if (event.type !== "end") render.onEvent(event as never);
}
