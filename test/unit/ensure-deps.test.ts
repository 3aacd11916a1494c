/**
 * `npm start`'s set-up (scripts/ensure.mjs, scripts/deps.mjs) installs the npm dependencies when
 * they are missing or differ from package.json and package-lock.json — decided on their content,
 * not on file times: a fresh `git clone` (every file new) whose node_modules is up to date installs
 * nothing. The decision on hand-written files, then the real set-up and the real npm, offline, on a
 * fake package of one local dependency (a tarball) in a temp git repository.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { depsAction } from "../../scripts/deps.mjs";
import { ROOT } from "../helpers/cli.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "dialogue-ensure-deps-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const write = (file: string, value: unknown): void => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof value === "string" ? value : `${JSON.stringify(value, null, 2)}\n`);
};

/** a checkout with `pkg` as package.json, `lock` as package-lock.json and, unless null, `installed` as node_modules/.package-lock.json */
function checkout(name: string, o: { deps?: Record<string, string>; lock?: Record<string, unknown>; installed?: Record<string, unknown> | null }): string {
  const root = path.join(dir, name);
  const deps = o.deps ?? { left: "^1.0.0" };
  write(path.join(root, "package.json"), { name: "app", version: "1.0.0", dependencies: deps });
  const lock = o.lock ?? { "node_modules/left": { version: "1.0.0", resolved: "https://registry.npmjs.org/left/-/left-1.0.0.tgz" } };
  write(path.join(root, "package-lock.json"), { name: "app", version: "1.0.0", lockfileVersion: 3, requires: true, packages: { "": { name: "app", version: "1.0.0", dependencies: deps }, ...lock } });
  if (o.installed !== null) write(path.join(root, "node_modules", ".package-lock.json"), { name: "app", version: "1.0.0", lockfileVersion: 3, requires: true, packages: o.installed ?? lock });
  return root;
}

describe("scripts/deps.mjs: what a checkout needs, from the files' content", () => {
  const left = { version: "1.0.0", resolved: "https://registry.npmjs.org/left/-/left-1.0.0.tgz" };

  it("node_modules as the lock pins, package.json and the lock newer than it (a fresh clone): nothing to do", () => {
    const root = checkout("fresh-clone", {});
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(path.join(root, "node_modules", ".package-lock.json"), old, old);
    expect(statSync(path.join(root, "package.json")).mtimeMs).toBeGreaterThan(statSync(path.join(root, "node_modules", ".package-lock.json")).mtimeMs);
    expect(depsAction(root)).toEqual({ action: null, why: "node_modules has what package-lock.json pins" });
  });

  it("no node_modules: npm ci", () => {
    expect(depsAction(checkout("no-modules", { installed: null })).action).toBe("ci");
  });

  it("node_modules with no record of what was installed: npm install", () => {
    const root = checkout("no-record", { installed: null });
    mkdirSync(path.join(root, "node_modules"));
    expect(depsAction(root)).toMatchObject({ action: "install" });
  });

  it("package.json names a dependency the lock does not have: npm install, saying why", () => {
    const root = checkout("added", {});
    write(path.join(root, "package.json"), { name: "app", version: "1.0.0", dependencies: { left: "^1.0.0", right: "^2.0.0" } });
    expect(depsAction(root)).toEqual({ action: "install", why: "package.json's dependencies differ from package-lock.json's" });
  });

  it("the lock pins another version than node_modules has: npm install, saying which", () => {
    const root = checkout("moved", { installed: { "node_modules/left": left } });
    write(path.join(root, "package-lock.json"), {
      lockfileVersion: 3,
      packages: { "": { dependencies: { left: "^1.0.0" } }, "node_modules/left": { version: "1.1.0", resolved: "https://registry.npmjs.org/left/-/left-1.1.0.tgz" } },
    });
    expect(depsAction(root)).toEqual({ action: "install", why: "package-lock.json pins node_modules/left 1.1.0, node_modules has 1.0.0" });
  });

  it("a package the lock pins is not installed: npm install; an optional one (another platform's) may be missing", () => {
    const lock = { "node_modules/left": left, "node_modules/left-linux-arm64": { version: "1.0.0", optional: true }, "node_modules/pad": { version: "3.0.0" } };
    expect(depsAction(checkout("missing", { lock, installed: { "node_modules/left": left } }))).toEqual({ action: "install", why: "pad 3.0.0 is not installed" });
    expect(depsAction(checkout("optional", { lock, installed: { "node_modules/left": left, "node_modules/pad": { version: "3.0.0" } } })).action).toBeNull();
  });

  it("a package installed that the lock no longer has (a dependency removed): npm install", () => {
    const root = checkout("removed", { installed: { "node_modules/left": left, "node_modules/gone": { version: "1.0.0" } } });
    expect(depsAction(root)).toEqual({ action: "install", why: "node_modules/gone is installed but package-lock.json no longer has it" });
  });

  it("this repository's own node_modules is up to date with its lock", () => {
    expect(depsAction(ROOT)).toEqual({ action: null, why: "node_modules has what package-lock.json pins" });
  });
});

const hasTools = ["git", "npm"].every((bin) => spawnSync(bin, ["--version"], { stdio: "ignore" }).status === 0);

describe.skipIf(!hasTools)("scripts/ensure.mjs ensureDeps with the real npm, offline, in a git clone", () => {
  const sh = (cmd: string, args: string[], cwd: string): string => {
    const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: npmEnv() });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  const npmEnv = (): NodeJS.ProcessEnv => ({
    ...process.env,
    npm_config_offline: "true",
    npm_config_cache: path.join(dir, "npm-cache"),
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
  });
  /** ensureDeps(`root`) in a process of its own, as `npm start` runs it: what it said and what it ran */
  const ensure = (root: string): { said: string; ran: string } => {
    const url = pathToFileURL(path.join(ROOT, "scripts", "ensure.mjs")).href;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", `import { ensureDeps } from ${JSON.stringify(url)}; console.log(String(ensureDeps(${JSON.stringify(root)})));`], { encoding: "utf8", env: npmEnv(), timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    return { said: r.stderr, ran: r.stdout.trim().split("\n").pop() ?? "" };
  };
  const version = (root: string): string => (JSON.parse(readFileSync(path.join(root, "node_modules", "tiny", "package.json"), "utf8")) as { version: string }).version;
  /** a tarball of the fake dependency "tiny" at `v`, in `where` */
  const tiny = (v: string, where: string): string => {
    const src = path.join(dir, `tiny-src-${v}`);
    write(path.join(src, "package.json"), { name: "tiny", version: v, main: "index.js" });
    write(path.join(src, "index.js"), `module.exports = ${JSON.stringify(v)};\n`);
    return sh("npm", ["pack", "--pack-destination", where], src).trim().split("\n").pop() as string;
  };

  let origin: string;
  beforeAll(() => {
    origin = path.join(dir, "origin");
    mkdirSync(origin);
    const tgz = tiny("1.0.0", origin);
    write(path.join(origin, "package.json"), { name: "app", version: "1.0.0", private: true, dependencies: { tiny: `file:${tgz}` } });
    write(path.join(origin, ".gitignore"), "node_modules/\n");
    sh("npm", ["install", "--package-lock-only"], origin);
    sh("git", ["init", "-q"], origin);
    sh("git", ["add", "."], origin);
    sh("git", ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "app"], origin);
  }, 60_000);

  it("a fresh clone: npm ci; a fresh clone given that node_modules: nothing; package.json changed: npm install; then nothing again", () => {
    const first = path.join(dir, "clone-1");
    sh("git", ["clone", "-q", origin, first], dir);
    const ci = ensure(first);
    expect(ci.ran).toBe("ci");
    expect(ci.said).toContain("installing npm dependencies (first run: npm ci)");
    expect(version(first)).toBe("1.0.0");

    // another clone (every file in it new) with an up-to-date node_modules made before it
    const second = path.join(dir, "clone-2");
    sh("git", ["clone", "-q", origin, second], dir);
    cpSync(path.join(first, "node_modules"), path.join(second, "node_modules"), { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(path.join(second, "node_modules", ".package-lock.json"), old, old);
    const record = readFileSync(path.join(second, "node_modules", ".package-lock.json"), "utf8");
    const touched = statSync(path.join(second, "node_modules", ".package-lock.json")).mtimeMs;
    const none = ensure(second);
    expect(none).toEqual({ said: "", ran: "null" });
    expect(readFileSync(path.join(second, "node_modules", ".package-lock.json"), "utf8")).toBe(record);
    expect(statSync(path.join(second, "node_modules", ".package-lock.json")).mtimeMs).toBe(touched);

    // a dependency moved to another version in package.json (the lock not updated yet)
    const tgz = tiny("1.1.0", second);
    write(path.join(second, "package.json"), { name: "app", version: "1.0.0", private: true, dependencies: { tiny: `file:${tgz}` } });
    const install = ensure(second);
    expect(install.ran).toBe("install");
    expect(install.said).toContain("updating npm dependencies (package.json's dependencies differ from package-lock.json's: npm install)");
    expect(version(second)).toBe("1.1.0");
    expect(ensure(second)).toEqual({ said: "", ran: "null" });
  }, 120_000);
});
