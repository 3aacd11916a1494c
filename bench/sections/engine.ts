/**
 * 7. Real engine: the embedded provider (llama.cpp) on the tiny GGUF the tests use, one thread,
 * through the whole orchestrator (`dialogue run --provider embedded --threads 1`): tokens
 * generated ÷ the dialogue's wall time (first request → last message recorded). Beside it, the
 * same engine with the same settings generating the same requests alone in one process
 * (procs/engine-alone.ts): tokens ÷ generation time. The agents have seeds, so both generate the
 * same tokens. Each agent's first turn (model loading) is left out of both.
 */
import path from "node:path";
import { Redis } from "ioredis";
import { Store } from "../../src/redis/store.js";
import type { Ctx } from "../lib/ctx.js";
import { ROOT, spawnNode, spawnProc } from "../lib/proc.js";
import { freshPrefix, present, recorded, runProduct, turnJobKeys } from "../lib/product.js";
import { figure, type Figure } from "../lib/report.js";
import { mean, sum } from "../lib/stats.js";

const SECTION = "7. Real engine (embedded, tiny GGUF, 1 thread)";

export async function engine(ctx: Ctx): Promise<{ figures: Figure[]; data: Record<string, unknown> }> {
  const turns = ctx.smoke ? 3 : 40;
  const model = path.join(ctx.tmp, "tiny.gguf");
  const make = spawnNode(path.join(ROOT, "scripts", "make-tiny-gguf.mjs"), [model], { ...process.env });
  if ((await make.exit) !== 0) throw new Error(`could not write the tiny GGUF: ${make.err()}`);
  ctx.say(`real engine: dialogue run --provider embedded (tiny GGUF), ${turns} turns, then the same requests alone`);
  // the agents on the embedded model, each with a seed (so the engine alone, given the same
  // requests, generates the very same tokens); the manager's story and personas from the simulated one
  const args = ["--set", "provider=embedded", "--set", "manager.provider=simulated", "--model-file", model, "--threads", "1"];
  // a seeded tiny model says much the same every turn: no loop stop, the run goes its full length
  args.push("--set", "agents.0.options.seed=11", "--set", "agents.1.options.seed=12", "--set", "limits.stop_on_loop=false");
  const redis = new Redis(ctx.redisUrl);
  try {
    // the tiny random model's replies rarely fit the reply schema, so the run may end failed (exit
    // 1) or with failed turns (exit 4): its speed is what is measured here. One that fits may end
    // the conversation (end_conversation) before the third message: then the run is made again
    let prefix = "";
    let run: Awaited<ReturnType<typeof recorded>>[number] | undefined;
    for (let attempt = 1; ; attempt++) {
      prefix = freshPrefix("engine");
      await runProduct(ctx, prefix, ["run", "--plain", ...args, "--max-turns", String(turns), "--set", "limits.duration_seconds=3600"], {
        XDG_CACHE_HOME: path.join(ctx.tmp, "cache"),
      }, [0, 1, 4]);
      [run] = await recorded(redis, prefix);
      if (run && run.messages.length >= 3) break;
      const why = `${run?.messages.length ?? 0} messages, stop reason ${run?.record.stop_reason ?? "none"}`;
      if (attempt === 3) throw new Error(`the embedded run recorded too few messages, three times (the last: ${why})`);
      ctx.say(`real engine: the run ended early (${why}); once more`);
    }
    const counted = run.entries.slice(2);
    const tokens = sum(counted.map((e) => e.message.metadata.tokens_generated));
    const from = counted[0]?.message.metadata.requested_at ?? 0;
    const to = Math.max(...counted.map((e) => e.recorded_at ?? 0));
    const orchestrated = tokens / ((to - from) / 1000);
    const engineRate = mean(counted.map((e) => e.message.metadata.tokens_per_second));

    const jobs = present(turnJobKeys(new Store(redis, prefix), run.record, run.messages).requests);
    const alone = spawnProc("engine-alone", ["--redis-url", ctx.redisUrl, "--prefix", prefix, "--job-keys", jobs.join(","), "--model-file", model, "--threads", "1"], { ...process.env });
    if ((await alone.exit) !== 0) throw new Error(`the engine alone failed: ${alone.err().slice(-1000)}`);
    const base = JSON.parse(alone.out().trim().split("\n").at(-1) ?? "{}") as { generations: number; tokens: number; ms: number; fit_ms: number; rates: number[] };
    const aloneRate = base.tokens / (base.ms / 1000);
    const figures = [
      figure(SECTION, "engine.tps", "tokens/s through the orchestrator", orchestrated, "tok/s", { name: "engine alone", value: aloneRate }, { on: "ratio", op: ">=", limit: 0.95 }),
      figure(SECTION, "engine.decode", "engine's own tokens/s per message, mean", engineRate, "tok/s", { name: "engine alone", value: mean(base.rates) }),
    ];
    return {
      figures,
      data: {
        turns: run.messages.length,
        failed_turns: run.messages.filter((m) => m.failed).length,
        orchestrated: { messages: counted.length, tokens, window_ms: to - from, tokens_per_second: orchestrated, engine_rate_mean: engineRate },
        alone: { ...base, rates: undefined, tokens_per_second: aloneRate, engine_rate_mean: mean(base.rates) },
      },
    };
  } finally {
    redis.disconnect();
  }
}
