/**
 * What a run lacks, by the heartbeats (redis/presence.ts unservedBy), and the lines that say it
 * (observer/unserved.ts): the pools no live worker serves, in the run's order (a gone or stopped
 * worker serves nothing); the command with --prefix only off the default prefix; the pool whose
 * turn waits now named with the speaker; a person's turn never blamed on a pool.
 */
import { describe, expect, it } from "vitest";
import { prefixFlag } from "../../src/observer/commands.js";
import { waitingForLines } from "../../src/observer/unserved.js";
import { unservedBy, type Seen } from "../../src/redis/presence.js";
import { makeRecord } from "../helpers/conversation.js";

const proc = (role: "manager" | "worker", pool: string | null, status: Seen["status"]): Seen =>
  ({ id: `h/1/${role}${pool ? `/${pool}` : ""}`, role, host: "h", pid: 1, pool, status, age_ms: 0 }) as Seen;

describe("unservedBy", () => {
  it("names the pools no live worker serves, in the run's order, and whether a manager is live", () => {
    const processes = [proc("manager", null, "gone"), proc("worker", "a", "live"), proc("worker", "b", "stopped"), proc("worker", "c", "gone")];
    expect(unservedBy(processes, ["c", "a", "b"])).toEqual({ no_manager: true, pools: ["c", "b"] });
    expect(unservedBy([proc("manager", null, "live"), ...processes], ["a"])).toEqual({ no_manager: false, pools: [] });
  });
});

describe("waitingForLines", () => {
  const u = { no_manager: true, pools: ["advisor"] };

  it("a run just created: the commands, with --prefix only when it is not the default", () => {
    expect(waitingForLines(u, prefixFlag("dialogue"))).toEqual([
      "no manager is running against this Redis: the run starts when one does (dialogue manager)",
      "no worker serves pool advisor: its turns wait for one (dialogue worker --pool advisor)",
    ]);
    expect(waitingForLines(u, prefixFlag("lab"))).toEqual([
      "no manager is running against this Redis: the run starts when one does (dialogue manager --prefix lab)",
      "no worker serves pool advisor: its turns wait for one (dialogue worker --pool advisor --prefix lab)",
    ]);
    expect(waitingForLines({ no_manager: false, pools: [] }, prefixFlag("lab"))).toEqual([]);
  });

  it("a run going on: the turn that waits now is named with its speaker; a run that started goes on when a manager comes", () => {
    const rec = makeRecord({ next_choice: { seq: 3, agent_id: "advisor", how: "round_robin", by: "manager", reason: "" } });
    expect(waitingForLines(u, "", rec)).toEqual([
      "no manager is running against this Redis: the run goes on when one does (dialogue manager)",
      "no worker serves pool advisor: Arjun Mehta's turn (advisor) waits for one (dialogue worker --pool advisor)",
    ]);
    // the customer's turn waits elsewhere: the advisor's pool only holds its later turns
    const other = makeRecord({ next_choice: { seq: 3, agent_id: "customer", how: "round_robin", by: "manager", reason: "" } });
    expect(waitingForLines({ no_manager: false, pools: ["advisor"] }, "", other)).toEqual(["no worker serves pool advisor: its turns wait for one (dialogue worker --pool advisor)"]);
  });

  it("a person's turn is not blamed on a pool", () => {
    const base = makeRecord();
    const spec = { ...base.spec, agents: base.spec.agents.map((a) => (a.id === "advisor" ? { ...a, kind: "human" as const } : a)) };
    const rec = { ...base, spec, next_choice: { seq: 2, agent_id: "advisor", how: "round_robin" as const, by: "manager", reason: "" } };
    expect(waitingForLines({ no_manager: false, pools: ["advisor"] }, "", rec)).toEqual(["no worker serves pool advisor: its turns wait for one (dialogue worker --pool advisor)"]);
  });
});
