/**
 * The command line's awkward cases (issue 10): each ends with one `error:` line (and a hint), the
 * right exit code, no stack trace, and nothing left behind — no stray file, no run left pending.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnv, runCli, type CliResult } from "../helpers/cli.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { cli, FAST, simulatedRun } from "../helpers/runs.js";

const dir = mkdtempSync(path.join(tmpdir(), "dialogue-cli-cases-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** exit code, exactly one `error:` line that matches `names`, no stack trace */
function expectOneLine(r: CliResult, code: number, names: RegExp): void {
  const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
  expect(r.code, r.stderr).toBe(code);
  expect(errors, r.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(names);
  expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/^\s+at |node:internal|Unhandled/m);
}

describe("export --out", () => {
  const prefix = freshPrefix();
  let id = "";
  beforeAll(async () => {
    id = (await simulatedRun(prefix, ["--max-turns", "2", ...FAST])).id;
  }, 90_000);

  /** the export into `out`, and every file then in `where` */
  const exportTo = async (out: string, where: string): Promise<{ r: CliResult; files: string[] }> => {
    const r = await cli(prefix, ["export", id, "--format", "html", "--out", out]);
    return { r, files: readdirSync(where) };
  };

  it("to a missing directory: one line naming the directory and how to make it, exit 2, nothing written", async () => {
    const where = mkdtempSync(path.join(dir, "missing-"));
    const out = path.join(where, "no", "such", "x.html");
    const { r, files } = await exportTo(out, where);
    expectOneLine(r, 2, new RegExp(`${path.join(where, "no", "such")}.*does not exist`));
    expect(r.stderr).toContain(`hint: create it first (mkdir -p ${path.join(where, "no", "such")})`);
    expect(files).toEqual([]);
  });

  it("to a directory: one line saying so, exit 2, no stray partial file beside it", async () => {
    const where = mkdtempSync(path.join(dir, "dir-"));
    const target = path.join(where, "reports");
    mkdirSync(target);
    const { r, files } = await exportTo(target, where);
    expectOneLine(r, 2, /--out .*reports is a directory/);
    expect(r.stderr).toMatch(/hint: name a file in it/);
    expect(files).toEqual(["reports"]);
    expect(readdirSync(target)).toEqual([]);
  });

  it("to a named pipe: refused at once (never waits for a reader), exit 2, the pipe left as it was", async () => {
    const where = mkdtempSync(path.join(dir, "fifo-"));
    const fifo = path.join(where, "pipe.html");
    execFileSync("mkfifo", [fifo]);
    const { r, files } = await exportTo(fifo, where);
    expectOneLine(r, 2, /is a named pipe, not a regular file/);
    expect(files).toEqual(["pipe.html"]);
    expect(execFileSync("stat", ["-c", "%F", fifo], { encoding: "utf8" }).trim()).toBe("fifo");
  });

  it("to a device: refused, never replaced by a file", async () => {
    // root could rename a file over /dev/null itself (the bug this guards against did): root gets a
    // null device of its own in a temporary directory; anyone else may use /dev/null safely
    const root = process.getuid?.() === 0;
    const device = root ? path.join(mkdtempSync(path.join(dir, "dev-")), "null") : "/dev/null";
    if (root) execFileSync("mknod", ["-m", "666", device, "c", "1", "3"]);
    const r = await cli(prefix, ["export", id, "--out", device]);
    expectOneLine(r, 2, /is a device, not a regular file/);
    expect(execFileSync("stat", ["-c", "%F", device], { encoding: "utf8" }).trim()).toBe("character special file");
  });

  it("to a place it may not write: one line naming the cause, exit 2, nothing written", async () => {
    // root may write anywhere a mode allows, but not into sysfs; others meet a read-only directory
    const root = process.getuid?.() === 0;
    const where = root ? "/sys" : mkdtempSync(path.join(dir, "ro-"));
    if (!root) execFileSync("chmod", ["555", where]);
    const before = readdirSync(where);
    const r = await cli(prefix, ["export", id, "--out", path.join(where, "x.html")]);
    expectOneLine(r, 2, /cannot write .*x\.html: (permission denied|read-only file system)/);
    expect(readdirSync(where)).toEqual(before);
  });

  it("under a path through a regular file: one line, exit 2", async () => {
    const file = path.join(dir, "plain.txt");
    writeFileSync(file, "x");
    const r = await cli(prefix, ["export", id, "--out", path.join(file, "x.html")]);
    expectOneLine(r, 2, /cannot write .*plain\.txt\/x\.html: a part of the path is not a directory/);
  });

  it("to a good file: written whole, with nothing else beside it", async () => {
    const where = mkdtempSync(path.join(dir, "ok-"));
    const { r, files } = await exportTo(path.join(where, "run.html"), where);
    expect(r.code, r.stderr).toBe(0);
    expect(files).toEqual(["run.html"]);
  });
});

describe("--config and --scenario that are not regular files", () => {
  const prefix = freshPrefix();
  const where = mkdtempSync(path.join(dir, "special-"));
  const fifo = path.join(where, "fifo.json");
  const sock = path.join(where, "sock.json");
  let server: Server;
  beforeAll(async () => {
    execFileSync("mkfifo", [fifo]);
    server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const specials: Array<[string, () => string, RegExp]> = [
    ["a named pipe (nobody writes to it)", () => fifo, /is a named pipe, not a JSON file/],
    ["a directory", () => where, /is a directory, not a JSON file/],
    ["/dev/zero (endless)", () => "/dev/zero", /is a device, not a JSON file/],
    ["a socket", () => sock, /is a socket, not a JSON file/],
  ];
  for (const flag of ["--config", "--scenario"]) {
    it.each(specials)(`${flag} naming %s: one line naming the file, exit 2, at once`, async (_, file, says) => {
      const r = await cli(prefix, ["run", "--provider", "simulated", flag, file()], 15_000);
      expectOneLine(r, 2, says);
      expect(r.stderr).toContain(file());
      // no conversation was created
      expect((await cli(prefix, ["list", "--json"])).stdout).toBe("");
    });
  }

  it("DIALOGUE_CONFIG naming a named pipe: the same", async () => {
    const r = await runCli(["run", "--provider", "simulated", "--prefix", prefix], cliEnv(testRedisUrl(), { DIALOGUE_CONFIG: fifo }), 15_000);
    expectOneLine(r, 2, /fifo\.json: is a named pipe/);
  });
});
