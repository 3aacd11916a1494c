/**
 * `npm run bench`: the benchmarks of docs/performance.md (summarised in the README). Starts its own
 * redis-server on a free port, runs the real CLI processes, prints a table in which every figure
 * stands beside a baseline measured in the same run on the same Redis, and writes the figures
 * and the raw numbers to bench/results/<timestamp>.json.
 *
 *   node .bench-build/bench/main.js [--smoke] [--only 1,3] [--out file.json] [--profile dir] [--markdown]
 *   node .bench-build/bench/main.js --from bench/results/latest.json [--markdown]   (the table of a run)
 *
 * --smoke: tiny sizes (the test suite runs it, so this code never rots); --only: some sections;
 * --profile: CPU profiles of the throughput section's manager and workers, summarized at the end.
 * A full run also writes bench/results/latest.json (the run docs/performance.md shows).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { startTestRedis } from "../test/helpers/redis-server.js";
import type { Ctx } from "./lib/ctx.js";
import { ROOT } from "./lib/proc.js";
import { summarizeDir } from "./lib/profile.js";
import { markdown, table, type Figure } from "./lib/report.js";
import { analysis } from "./sections/analysis.js";
import { engine } from "./sections/engine.js";
import { overhead } from "./sections/overhead.js";
import { startup } from "./sections/startup.js";
import { LONG_RUN, storage, type StorageRun } from "./sections/storage.js";
import { streaming } from "./sections/streaming.js";
import { throughput } from "./sections/throughput.js";
import { importBench } from "./sections/import.js";

interface Args {
  from: string | null;
  smoke: boolean;
  only: Set<number> | null;
  out: string | null;
  profile: string | null;
  markdown: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { from: null, smoke: false, only: null, out: null, profile: null, markdown: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${k} needs a value`);
      return next;
    };
    if (k === "--smoke") a.smoke = true;
    else if (k === "--markdown") a.markdown = true;
    else if (k === "--only") a.only = new Set(v().split(",").map(Number));
    else if (k === "--out") a.out = path.resolve(v());
    else if (k === "--profile") a.profile = path.resolve(v());
    else if (k === "--from") a.from = path.resolve(v());
    else throw new Error(`unknown argument ${k} (use --smoke, --only 1,3, --out file, --profile dir, --markdown, --from file)`);
  }
  return a;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.from) {
    const { figures } = JSON.parse(readFileSync(args.from, "utf8")) as { figures: Figure[] };
    process.stdout.write(`${args.markdown ? markdown(figures) : table(figures)}\n`);
    return;
  }
  const started = Date.now();
  const tmp = mkdtempSync(path.join(os.tmpdir(), "dialogue-bench-"));
  if (args.profile) mkdirSync(args.profile, { recursive: true });
  const loadAtStart = os.loadavg();
  const redis = await startTestRedis({ appendonly: false });
  const probe = new Redis(redis.url);
  const redisVersion = /redis_version:(\S+)/.exec(await probe.info("server"))?.[1] ?? "?";
  probe.disconnect();
  const say = (line: string): void => {
    process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
  };
  const ctx: Ctx = { redisUrl: redis.url, redisPid: redis.pid(), tmp, logFile: path.join(tmp, "dialogue.log"), smoke: args.smoke, profileDir: args.profile, say };
  say(`redis-server ${redis.url} (pid ${redis.pid()}); load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}; ${os.availableParallelism()} cores`);
  const figures: Figure[] = [];
  const data: Record<string, unknown> = {};
  const want = (n: number): boolean => !args.only || args.only.has(n);
  try {
    const add = (name: string, r: { figures: Figure[]; data: Record<string, unknown> }): void => {
      figures.push(...r.figures);
      data[name] = r.data;
    };
    const stored: StorageRun[] = [];
    // the raw baseline's payloads: the product's mean job sizes, once the overhead run says
    let payload = { request: 2800, response: 1100 };
    if (want(1) || want(6)) {
      const r = await overhead(ctx);
      if (want(1)) add("overhead", r);
      payload = r.data.payload_bytes as typeof payload;
      stored.push({ label: LONG_RUN, prefix: r.prefix, run: r.run });
    }
    let listPrefix: string | null = null;
    if (want(2)) {
      const r = await throughput(ctx, payload);
      add("throughput", r);
      listPrefix = r.prefix;
    }
    if (want(3)) {
      const r = await streaming(ctx);
      add("streaming", r);
      if (r.slowest) stored.push({ label: `${r.slowest.rate} tok/s`, prefix: r.slowest.prefix, run: r.slowest.run });
    }
    if (want(4)) add("analysis", await analysis(ctx));
    if (want(5)) add("startup", await startup(ctx, listPrefix));
    if (want(6)) add("storage", await storage(ctx, stored));
    if (want(7)) add("engine", await engine(ctx));
    if (want(8)) add("import", await importBench(ctx));
  } finally {
    await redis.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  const result = {
    schema: "dialogue-llm/bench",
    version: 1,
    at: new Date(started).toISOString(),
    smoke: args.smoke,
    duration_s: (Date.now() - started) / 1000,
    machine: {
      cores: os.availableParallelism(),
      cpu: os.cpus()[0]?.model ?? "?",
      load_average_at_start: loadAtStart,
      load_average_at_end: os.loadavg(),
      node: process.version,
      redis: redisVersion,
      platform: `${os.platform()} ${os.release()}`,
    },
    figures,
    data,
  };
  const out = args.out ?? path.join(ROOT, "bench", "results", `${new Date(started).toISOString().replace(/[:.]/g, "-")}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  if (!args.smoke && !args.only && !args.out) writeFileSync(path.join(ROOT, "bench", "results", "latest.json"), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${args.markdown ? markdown(figures) : table(figures)}\n`);
  if (args.profile) process.stdout.write(`\nCPU profiles (${args.profile}):\n${summarizeDir(args.profile)}\n`);
  say(`done in ${result.duration_s.toFixed(0)} s; figures in ${path.relative(process.cwd(), out) || out}`);
}

await main();
