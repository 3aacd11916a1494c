/**
 * A turn's retry policy is the run's own (its recorded configuration), not that of whichever
 * manager requests the turn: managers serve each other's runs.
 */
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import { requestFor, retryOf } from "../../src/manager/next-turn.js";
import type { Queues } from "../../src/queues/index.js";
import { chosen, makeCastRecord } from "../helpers/cast.js";

const mine = ConfigSchema.parse({}).queues; // this manager's: the defaults
const deps = { queues: { settings: mine } as Queues };

describe("a turn's retry policy", () => {
  it("is the run's, as its configuration was recorded (--set queues.retry_budget_ms=2000)", () => {
    const r = chosen(makeCastRecord(2), 1, "officer");
    const run = { ...r, spec: { ...r.spec, config: { queues: { ...mine, retry_budget_ms: 2000, attempts: 2 } } } };
    expect(mine.retry_budget_ms).not.toBe(2000);
    const req = requestFor(deps, run, r.next_choice!, "officer", false);
    expect([req.retry_budget_ms, req.max_attempts, req.backoff_ms]).toEqual([2000, 2, mine.backoff_ms]);
  });

  it("is this manager's where the run recorded none, or a value that is not one", () => {
    expect(retryOf({}, mine)).toEqual({ retry_budget_ms: mine.retry_budget_ms, attempts: mine.attempts, backoff_ms: mine.backoff_ms, backoff_max_ms: mine.backoff_max_ms });
    expect(retryOf({ queues: { retry_budget_ms: "soon", attempts: 3 } }, mine)).toMatchObject({ retry_budget_ms: mine.retry_budget_ms, attempts: 3 });
  });
});

describe("a turn request's number", () => {
  it("is the turn it is: a narrator's remarks and a copied history before it are not turns", () => {
    const r = chosen(makeCastRecord(2), 5, "officer"); // five messages recorded, the sixth requested
    expect(requestFor(deps, r, r.next_choice!, "officer", false).turn).toBe(6);
    expect(requestFor(deps, { ...r, remarks: 2 }, r.next_choice!, "officer", false).turn).toBe(4);
    expect(requestFor(deps, { ...r, remarks: 1, history: 2 }, r.next_choice!, "officer", false).turn).toBe(3);
  });
});
