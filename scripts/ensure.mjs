#!/usr/bin/env node
// Set-up for a fresh machine, used by `npm start` and `npm test` (node built-ins only, so it
// runs before anything is installed): checks Node, installs npm dependencies if they are
// missing or differ from package-lock.json (deps.mjs: by content, not file times), builds dist/ if it is missing or older than src/, and makes sure
// redis-server is there (installing Debian's package when running as root or with sudo). For the
// tests it also installs tmux (the TUI's terminal tests; skipped without it) and Debian's chromium
// (the HTML export test loads the page in it headless; skipped, saying why, without it).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { depsAction } from "./deps.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const say = (s) => process.stderr.write(`[setup] ${s}\n`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"], ...opts });
  return r.status === 0;
}

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function onPath(bin) {
  return (process.env.PATH ?? "").split(path.delimiter).some((d) => d && existsSync(path.join(d, bin)));
}

function pingLocal(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(400, () => done(false));
    s.on("error", () => done(false));
    s.on("connect", () => s.write("PING\r\n"));
    s.on("data", (d) => done(/^[+-](PONG|NOAUTH)/.test(d.toString())));
  });
}

export function ensureNode() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 10)) {
    say(`Node ${process.versions.node} is too old: DialogueLLM needs Node 20.10 or later (https://nodejs.org)`);
    process.exit(1);
  }
}

/**
 * Installs the npm dependencies of `dir` when they are missing or differ from what package.json
 * and package-lock.json ask for — decided on content (deps.mjs), so a fresh clone whose
 * node_modules is up to date installs nothing. Returns what it ran: "ci", "install" or null.
 */
export function ensureDeps(dir = root) {
  const { action, why } = depsAction(dir);
  if (action === null) return null;
  // a fresh clone gets exactly the lock file's versions (`npm ci`, as CI and the Dockerfile do);
  // node_modules that differs (a dependency added, removed or moved since) is brought up to date
  say(action === "ci" ? "installing npm dependencies (first run: npm ci) …" : `updating npm dependencies (${why}: npm install) …`);
  if (!run("npm", [action, "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir })) {
    say(`npm ${action} failed: see the messages above`);
    process.exit(1);
  }
  return action;
}

export function ensureBuild(force = false) {
  const entry = path.join(root, "dist", "bundle", "index.js");
  const stale =
    force ||
    !existsSync(entry) ||
    newest(path.join(root, "src")) > statSync(entry).mtimeMs ||
    !existsSync(path.join(root, "config", "config.schema.json")) ||
    !existsSync(path.join(root, "docs", "analysis.schema.json"));
  if (!stale) return;
  say("building (tsc, then one bundle) …");
  if (!run("npm", ["run", "--silent", "build"])) {
    say("the build failed: see the messages above");
    process.exit(1);
  }
}

/** `bin` on the PATH, installing Debian's `apt` package (as root or with sudo) or Homebrew's `brew` one if need be */
let aptUpdated = false;

function ensureTool(bin, { apt: aptPkg, brew: brewPkg, aptArgs = [] }) {
  if (onPath(bin)) return true;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const hasSudo = !isRoot && onPath("sudo") && spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0;
  if (onPath("apt-get") && (isRoot || hasSudo)) {
    say(`${bin} is not installed; installing Debian's ${aptPkg} package …`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const apt = (args) => (isRoot ? run("apt-get", args, { env }) : run("sudo", ["-n", "apt-get", ...args], { env }));
    // one `apt-get update` for all the tools a run installs
    const updated = aptUpdated || apt(["update", "-qq"]);
    aptUpdated ||= updated;
    const ok = updated && apt(["install", "-y", "-qq", ...aptArgs, aptPkg]);
    if (ok && onPath(bin)) return true;
  } else if (onPath("brew")) {
    say(`${bin} is not installed; installing it with Homebrew …`);
    if (run("brew", ["install", brewPkg]) && onPath(bin)) return true;
  }
  return false;
}

export function ensureRedisServer() {
  if (ensureTool("redis-server", { apt: "redis-server", brew: "redis" })) return true;
  say(
    "redis-server is not installed: install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis) " +
      "or run `docker compose up -d redis` and set REDIS_URL=redis://127.0.0.1:6379",
  );
  return false;
}

/** chromium for the HTML export test: installed like redis-server; its absence only skips that test */
export function ensureChromium() {
  if (["chromium", "chromium-browser", "google-chrome"].some(onPath)) return true;
  if (ensureTool("chromium", { apt: "chromium", brew: "chromium", aptArgs: ["--no-install-recommends"] })) return true;
  say("chromium is not installed and could not be installed here: the HTML export test will be skipped (Debian/Ubuntu: sudo apt-get install -y chromium)");
  return false;
}

/** the terminal tests of the TUI run in tmux; without it they are skipped (and vitest counts them as skipped) */
export function ensureTmux() {
  if (ensureTool("tmux", { apt: "tmux", brew: "tmux" })) return true;
  say("tmux is not installed: the tests of the TUI in a real terminal will be skipped (Debian/Ubuntu: sudo apt-get install -y tmux; macOS: brew install tmux)");
  return false;
}

/** for `npm start`: a Redis is needed unless one is configured or answers on 6379 */
export async function ensureRedisForRun() {
  if (process.env.REDIS_URL) return true;
  if (await pingLocal(6379)) return true;
  return ensureRedisServer();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--chromium")) process.exit(ensureChromium() ? 0 : 1);
  ensureNode();
  ensureDeps();
  const forTests = process.argv.includes("--for-tests");
  ensureBuild(forTests);
  if (forTests && !ensureRedisServer()) process.exit(1);
  if (forTests) {
    ensureTmux();
    ensureChromium();
  }
  if (!forTests && !(await ensureRedisForRun())) process.exit(1);
}
