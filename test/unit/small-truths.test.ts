/** What `dialogue run` says of a child it gave up on: its last error line, never its banner. */
import { describe, expect, it } from "vitest";
import { lastWords } from "../../src/cli/children.js";

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
