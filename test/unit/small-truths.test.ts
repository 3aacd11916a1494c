/**
 * What `dialogue run` says of a child it gave up on (its last error line, never its banner), and
 * whose a turn the manager recorded itself is said to be (the manager's, not a worker's).
 */
import { describe, expect, it } from "vitest";
import { lastWords } from "../../src/cli/children.js";
import { lostMessage } from "../../src/manager/people.js";
import { messageText } from "../../src/observer/plain.js";
import { hostName } from "../../src/redis/host.js";
import { makeRecord } from "../helpers/conversation.js";

const BANNER = 'worker: Redis redis://127.0.0.1:6671 · prefix "dialogue" · host vm · pid 14683';

describe("lastWords", () => {
  it("a child killed by a signal after its banner: how it ended, not the banner", () => {
    expect(lastWords([BANNER], null, "SIGKILL")).toBe("killed by SIGKILL");
    expect(lastWords([], null, "SIGKILL")).toBe("killed by SIGKILL");
  });

  it("a child that failed: its last error line, with its exit code (the hint and the banner skipped)", () => {
    const lines = [BANNER, "error: lost Redis at redis://127.0.0.1:6671 for 10 s", "hint: restart Redis (or check the network)"];
    expect(lastWords(lines, 1, null)).toBe("error: lost Redis at redis://127.0.0.1:6671 for 10 s (exit code 1)");
  });

  it("an uncaught exception: the error line of the stack trace", () => {
    const lines = [BANNER, "file:///app/dist/bundle.js:10", "    throw err;", "TypeError: x is not a function", "    at f (file:///app/dist/bundle.js:10:5)", "Node.js v20.11.0"];
    expect(lastWords(lines, 1, null)).toBe("TypeError: x is not a function (exit code 1)");
  });

  it("a child that exited with nothing to say: its exit code", () => {
    expect(lastWords([BANNER, 'worker for pool "local" ready (pid 14683); Ctrl-C to stop'], 3, null)).toBe("exited with code 3");
  });
});

describe("a turn no worker returned, recorded by the manager", () => {
  it("is said to be recorded by the manager (its host and pid), never shown as a worker's", () => {
    const rec = makeRecord({ turns: 2, pending_seq: 3, next_choice: { seq: 3, agent_id: "customer", how: "round_robin", by: "manager", reason: "" } });
    const m = lostMessage(rec, rec.next_choice!, "duration", rec.started_at! + 60_000);
    expect(m.metadata.recorded_by).toBe("manager");
    expect(m.metadata.worker).toEqual({ host: hostName(), pid: process.pid });
    const shown = messageText(m);
    expect(shown).toContain(`recorded by the manager ${hostName()}/${process.pid} (no worker returned it)`);
    expect(shown).not.toMatch(/worker [^ ]+\/\d+/);
    // no worker took it up and none waited for it: no queue wait is made up
    expect(shown).toContain(" · queue wait – · ");
  });
});
