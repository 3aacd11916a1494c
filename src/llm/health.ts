/**
 * Can each configured provider serve its model? Light checks over HTTP (or the file system)
 * with short timeouts; used by `dialogue doctor`.
 */
import type { Config } from "../config/schema.js";
import type { Finding } from "../redis/health.js";
import { resolveAuto } from "./auto.js";
import { DEFAULT_MODEL, modelAvailable, modelPathFor } from "./embedded-model.js";
import { DEFAULT_MODELS } from "./index.js";

interface Use {
  who: string;
  provider: string;
  model: string;
}

function uses(config: Config): Use[] {
  const list: Use[] = config.agents.map((a) => ({
    who: `agent ${a.id}`,
    provider: a.provider ?? config.provider,
    model: a.model ?? config.model,
  }));
  list.push({ who: "manager", provider: config.manager.provider ?? config.provider, model: config.manager.model ?? config.model });
  return list;
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown } | null> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: res.status, body };
  } catch {
    return null;
  }
}

async function checkOllama(config: Config, u: Use): Promise<Finding> {
  const host = config.ollama.host.replace(/\/+$/, "");
  const model = u.model || DEFAULT_MODELS.ollama;
  const tags = await getJson(`${host}/api/tags`);
  if (!tags) return { ok: false, what: `${u.who}: no Ollama server answers at ${host}`, fix: "start it (ollama serve) or set OLLAMA_HOST" };
  const names = ((tags.body as { models?: Array<{ name?: string }> }).models ?? []).map((m) => m.name ?? "");
  const has = names.some((n) => n === model || n === `${model}:latest` || n.split(":")[0] === model);
  return has
    ? { ok: true, what: `${u.who}: ollama ${model} at ${host}` }
    : { ok: false, what: `${u.who}: Ollama at ${host} has no model ${model}`, fix: `ollama pull ${model}` };
}

async function checkOpenAI(config: Config, u: Use): Promise<Finding> {
  const base = config.openai.base_url?.replace(/\/+$/, "");
  if (!base) return { ok: false, what: `${u.who}: provider openai needs a base URL`, fix: "set OPENAI_BASE_URL (e.g. http://127.0.0.1:1234/v1 for LM Studio)" };
  const headers: Record<string, string> = config.openai.api_key ? { authorization: `Bearer ${config.openai.api_key}` } : {};
  const res = await getJson(`${base}/models`, headers);
  if (!res) return { ok: false, what: `${u.who}: nothing answers at ${base}`, fix: "start the server or fix OPENAI_BASE_URL" };
  if (res.status === 401) return { ok: false, what: `${u.who}: ${base} rejected the API key (401)`, fix: "set OPENAI_API_KEY" };
  const ids = ((res.body as { data?: Array<{ id?: string }> }).data ?? []).map((m) => m.id);
  const model = u.model || DEFAULT_MODELS.openai;
  return ids.includes(model)
    ? { ok: true, what: `${u.who}: openai ${model} at ${base}` }
    : { ok: false, what: `${u.who}: ${base} does not list model ${model}`, fix: `use one of: ${ids.slice(0, 8).join(", ") || "(none listed)"}` };
}

export async function checkProviders(config: Config): Promise<Finding[]> {
  const findings: Finding[] = [];
  let auto: Awaited<ReturnType<typeof resolveAuto>> | null = null;
  for (const u of uses(config)) {
    let provider = u.provider;
    if (provider === "auto") {
      const first = auto === null;
      auto ??= await resolveAuto(config);
      const choice = auto;
      findings.push({ ok: true, what: `${u.who}: auto → ${choice.provider}${first ? ` (${choice.reason})` : ""}` });
      provider = choice.provider;
      if (provider === "simulated") continue;
    }
    if (provider === "simulated") findings.push({ ok: true, what: `${u.who}: simulated (offline)` });
    else if (provider === "ollama") findings.push(await checkOllama(config, u));
    else if (provider === "openai") findings.push(await checkOpenAI(config, u));
    else if (provider === "embedded") {
      const file = modelPathFor(u.model || DEFAULT_MODEL, config.embedded);
      findings.push(
        modelAvailable(u.model || DEFAULT_MODEL, config.embedded)
          ? { ok: true, what: `${u.who}: embedded ${file}` }
          : {
              ok: false,
              what: `${u.who}: no model file at ${file}`,
              fix: "pass --model-file <file.gguf> (or set embedded.model_file), or run once with --provider embedded online to download the default model",
            },
      );
    }
  }
  return findings;
}
