/**
 * Can the providers serve what a run of this configuration would use? `dialogue doctor`'s
 * provider findings, from the very code `dialogue run` runs before it starts anything
 * (manager/resolve.ts, then preflight's checks), so the two agree: the same auto choice, the same
 * served model where none is named, the same missing model. Nothing is pulled or downloaded.
 * A run that would be simulated without the user asking for it is a warning, with how to get a
 * real model.
 */
import type { Config } from "../config/schema.js";
import { checkModels } from "../llm/preflight.js";
import { ServedModels } from "../llm/served.js";
import { resolveModels, specOf } from "./resolve.js";
import type { ModelSpec } from "../protocol/schemas.js";
import type { Finding } from "../redis/health.js";

export const REAL_MODEL_HINT =
  "to use a real model: start Ollama (`ollama serve`, then `ollama pull llama3.2`), or set OPENAI_BASE_URL to an " +
  "OpenAI-compatible server (LM Studio, llama-server, vLLM), or pass --model-file <file.gguf> (--provider embedded downloads a small one)";

const key = (m: ModelSpec): string => `${m.provider}\u0000${m.model}`;

/** `modelFileNamed`: --model-file was given (see ResolveOptions) */
export async function checkProviders(config: Config, opts: { fetch?: typeof fetch; modelFileNamed?: boolean } = {}): Promise<Finding[]> {
  const served = new ServedModels(config, opts.fetch ? { fetch: opts.fetch } : {});
  const r = await resolveModels(config, served, { ...(opts.fetch ? { fetch: opts.fetch } : {}), modelFileNamed: opts.modelFileNamed ?? false });
  const findings: Finding[] = [];
  if (r.auto) findings.push({ ok: true, what: `auto → ${r.auto.provider}${r.auto.model ? ` (${r.auto.model})` : ""}: ${r.auto.reason}` });
  for (const note of r.notes) findings.push({ ok: true, what: note.replace(/^Model: /, "") });
  for (const p of r.problems) findings.push({ ok: false, what: p.error.message, ...(p.error.hint ? { fix: p.error.hint } : {}) });
  if (r.problems.length > 0) return findings;

  const spec = specOf(config, r, "doctor");
  const who = new Map<string, string[]>();
  const models = [...spec.agents.map((a) => ({ who: `agent ${a.id}`, m: a.model })), { who: "manager", m: spec.manager }];
  for (const { who: w, m } of models) who.set(key(m), [...(who.get(key(m)) ?? []), w]);
  for (const c of await checkModels(config, models.map((x) => x.m), served)) {
    const names = (who.get(key(c.spec)) ?? []).join(", ");
    findings.push({
      ok: c.level !== "fail",
      ...(c.level === "warn" ? { warn: true } : {}),
      what: `${names}: ${c.what}`,
      ...(c.hint && c.level !== "ok" ? { fix: c.hint } : {}),
    });
  }
  const simulated = models.filter(({ m }) => m.provider === "simulated");
  if (r.auto?.provider === "simulated" && simulated.length > 0) {
    const all = simulated.length === models.length;
    findings.push({
      ok: true,
      warn: true,
      what: `${all ? "every agent and the manager" : simulated.map((x) => x.who).join(", ")} would be simulated: scripted text, not a model (no real model was found)`,
      fix: REAL_MODEL_HINT,
    });
  }
  return findings;
}
