/**
 * `dialogue models [--provider p]`: what each provider can use — the models an Ollama server
 * has (GET /api/tags), those an OpenAI-compatible server lists (GET /models), and the GGUF files
 * of the embedded provider (--model-file and the downloaded ones, each checked as `run` checks it:
 * a file that is missing or not a GGUF model says why, and a --model-file that cannot be run fails
 * the command, exit 2). The model `dialogue run` picks for a server provider when none is named
 * (llm/served.ts: pickServed) is marked.
 */
import { Command, Option } from "commander";
import type { Config } from "../config/schema.js";
import { ProviderError } from "../errors/index.js";
import path from "node:path";
import { modelFileError } from "../llm/embedded-model.js";
import { createProvider } from "../llm/index.js";
import { pickServed } from "../llm/served.js";
import type { ModelInfo } from "../llm/types.js";
import { addCommonOptions, loadConfig, type CommonOptions } from "./common.js";

type Listed = "ollama" | "openai" | "embedded";

interface ModelsOptions extends CommonOptions {
  provider?: Listed;
  modelFile?: string;
  json?: boolean;
}

const size = (n?: number): string => (n === undefined ? "" : n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${(n / 1e6).toFixed(0)} MB`);

export function modelsCommand(): Command {
  const cmd = new Command("models")
    .description("list the models each provider can use (Ollama's, an OpenAI-compatible server's, embedded GGUF files)")
    .addOption(new Option("-p, --provider <provider>", "only this provider").choices(["ollama", "openai", "embedded"]))
    .option("--model-file <file.gguf>", "embedded: also list this GGUF file (exit 2 when it is missing or not a GGUF model)")
    .option("--json", "JSON output");
  addCommonOptions(cmd);
  return cmd.action(async (opts: ModelsOptions) => {
    const config = loadConfig(opts, { overrides: opts.modelFile ? { "embedded.model_file": opts.modelFile } : {} });
    const names: Listed[] = opts.provider ? [opts.provider] : ["ollama", "openai", "embedded"];
    const out: Record<string, ModelInfo[] | { error: string }> = {};
    for (const name of names) {
      if (name === "openai" && !opts.provider && !config.openai.base_url && !config.openai.api_key) {
        out[name] = { error: "not configured (set OPENAI_BASE_URL or OPENAI_API_KEY)" };
        continue;
      }
      try {
        const provider = createProvider(name, config);
        out[name] = (await provider.listModels?.()) ?? [];
      } catch (err) {
        // asked for one provider: its failure is the command's failure
        if (opts.provider) throw err;
        out[name] = { error: err instanceof ProviderError && err.hint ? `${err.message} (${err.hint})` : String((err as Error).message ?? err) };
      }
    }
    if (opts.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    else printList(config, out);
    // the file named on the command line cannot be run: the command fails as `run` would (exit 2)
    if (opts.modelFile && names.includes("embedded")) {
      const error = modelFileError(path.resolve(opts.modelFile));
      if (error) throw error;
    }
  });
}

function printList(config: Config, out: Record<string, ModelInfo[] | { error: string }>): void {
  for (const [name, list] of Object.entries(out)) {
    const where = name === "ollama" ? ` (${config.ollama.host})` : name === "openai" ? ` (${config.openai.base_url ?? "https://api.openai.com/v1"})` : "";
    process.stdout.write(`${name}${where}:\n`);
    if ("error" in list) process.stdout.write(`  ${list.error}\n`);
    else if (list.length === 0) process.stdout.write(name === "embedded" ? "  none yet (pass --model-file, or run once with --provider embedded to download the default)\n" : "  none\n");
    else {
      const pick = name === "ollama" || name === "openai" ? pickServed(name, list.map((m) => m.name))?.model : undefined;
      const picked = (m: ModelInfo): boolean => pick !== undefined && (m.name === pick || m.name === `${pick}:latest`);
      for (const m of list) {
        const mark = picked(m) ? `  ← used when no --model is named` : "";
        process.stdout.write(`  ${m.name}${m.size !== undefined ? `  ${size(m.size)}` : ""}${m.details ? `  ${m.details}` : ""}${mark}\n`);
        if (m.problem) process.stdout.write(`    not usable: ${m.problem}\n`);
      }
    }
  }
}
