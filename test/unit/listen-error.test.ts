/**
 * Why `dialogue serve` could not listen, in words (the e2e test serve-listen.test.ts meets a port in
 * use and an address the machine lacks for real; a refused port cannot be met as root, so here).
 */
import { describe, expect, it } from "vitest";
import { listenError } from "../../src/cli/serve.js";
import { DialogueError } from "../../src/errors/index.js";

const err = (code: string): Error => Object.assign(new Error(`listen ${code}`), { code });

describe("listenError", () => {
  it("a port below 1024 refused: it needs privileges; one of 1024 or more refused: another policy, no advice about privileges", () => {
    const low = listenError(err("EACCES"), "127.0.0.1", 80) as DialogueError;
    expect([low.message, low.hint, low.exitCode]).toEqual(["cannot listen on 127.0.0.1:80: not allowed (ports below 1024 need privileges)", "pass a --port of 1024 or more", 1]);
    const high = listenError(err("EACCES"), "127.0.0.1", 8080) as DialogueError;
    expect(high.message).toBe("cannot listen on 127.0.0.1:8080: not allowed on this machine");
    expect(high.hint).not.toMatch(/1024/);
  });

  it("an IPv6 address is written in brackets; an error it does not know is passed on as it is", () => {
    expect((listenError(err("EADDRINUSE"), "::1", 8080) as DialogueError).message).toMatch(/^cannot listen on \[::1\]:8080: the port is in use/);
    const other = err("EMFILE");
    expect(listenError(other, "127.0.0.1", 8080)).toBe(other);
  });
});
