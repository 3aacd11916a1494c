/**
 * Resolving provider "auto": the first provider that can serve, with the reason, so the CLI can
 * say which one it picked and why.
 */
import type { Config } from "../config/schema.js";
import type { ProviderName } from "../protocol/schemas.js";

export interface AutoChoice {
  provider: Exclude<ProviderName, "auto">;
  reason: string;
}

async function answers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

export async function resolveAuto(config: Config, timeoutMs = 800): Promise<AutoChoice> {
  const host = config.ollama.host.replace(/\/+$/, "");
  const ollama = await answers(`${host}/api/version`, timeoutMs);
  const notes = [
    ollama
      ? `Ollama answers at ${host}, but this version has no ollama provider yet`
      : `no Ollama server answered at ${host}`,
    config.openai.base_url ? "an OpenAI-compatible provider is not available in this version" : "OPENAI_BASE_URL is not set",
  ];
  return { provider: "simulated", reason: `${notes.join("; ")}: using the offline simulated provider` };
}
