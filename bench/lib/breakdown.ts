/**
 * Where a turn's orchestration time goes, from timestamps the product and BullMQ keep anyway:
 * a message's metadata (finished_at, started_at, requested_at), when it was recorded (the log
 * entry's `t`), and each retained job's `timestamp` (created) and `processedOn` (taken by a
 * worker). Means in ms over the turns after the first. The raw baseline has the same stages
 * but the manager's three (record, decide, build the request) are one for its router. The
 * product keeps a response job only with queues.keep_responses: without it, the stages around the
 * response are one, from the reply to its message recorded.
 */
import { mean } from "./stats.js";

export interface TurnTimes {
  /** the previous turn's reply was ready at its worker */
  finished: number;
  /** its response job was created */
  response_created: number;
  /** the manager (router) took the response */
  response_taken: number;
  /** the manager recorded it (product only) */
  recorded?: number;
  /** the manager built the next request (product only: metadata.requested_at) */
  requested?: number;
  /** the next request job was created */
  request_created: number;
  /** a worker took it */
  request_taken: number;
  /** the worker started generating (the product's worker once it has read the turn's context from Redis) */
  started: number;
}

export function breakdown(turns: readonly TurnTimes[]): Record<string, number | null> {
  const seg = (f: (t: TurnTimes) => number | undefined) => {
    const xs = turns.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
    return xs.length === 0 ? null : mean(xs);
  };
  return {
    "worker: reply → manager recorded it": seg((t) => (t.recorded === undefined ? undefined : t.recorded - t.finished)),
    "worker: reply → response queued": seg((t) => t.response_created - t.finished),
    "response queued → manager takes it": seg((t) => t.response_taken - t.response_created),
    "manager: takes it → recorded": seg((t) => (t.recorded === undefined ? undefined : t.recorded - t.response_taken)),
    "manager: recorded → next request built": seg((t) => (t.recorded === undefined || t.requested === undefined ? undefined : t.requested - t.recorded)),
    "manager: takes it → next request queued": seg((t) => t.request_created - t.response_taken),
    "request queued → worker takes it": seg((t) => t.request_taken - t.request_created),
    "worker: takes it → generation starts": seg((t) => t.started - t.request_taken),
    total: seg((t) => t.started - t.finished),
  };
}
