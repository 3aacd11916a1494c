/**
 * Which GGUF file the embedded provider runs, and how many threads it uses.
 *
 * A model is a path to a GGUF file, or "default": the small instruct model named by
 * `embedded.default_model`, kept in the cache directory after its first download. Only the
 * launcher downloads (with a progress bar, before any worker starts); workers find it cached.
 */
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ProviderError, printable } from "../errors/index.js";
import { ggufProblem } from "./gguf-check.js";
import { progressBar } from "./progress.js";

export const DEFAULT_MODEL = "default";

export interface EmbeddedModelSettings {
  model_file: string | null;
  cache_dir: string | null;
  default_model: string;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "dialogue-llm", "models");
}

/** the file name a model URI or URL downloads to: its last path segment */
export function modelFileName(uri: string): string {
  const name = uri.split(/[/?#]/).filter(Boolean).at(-1) ?? "model.gguf";
  return name.endsWith(".gguf") ? name : `${name}.gguf`;
}

/** where the default model lives once downloaded */
export function defaultModelPath(s: EmbeddedModelSettings): string {
  return path.join(s.cache_dir ?? defaultCacheDir(), modelFileName(s.default_model));
}

/** the model an agent names ("default", a path, or nothing) as a file path; the file may not exist yet */
export function modelPathFor(model: string, s: EmbeddedModelSettings): string {
  if (model === DEFAULT_MODEL || model === "") return s.model_file ? path.resolve(s.model_file) : defaultModelPath(s);
  return path.resolve(model);
}

/** whether `model` is the default model, downloaded on first use (no file named for it) */
export function isDefaultModel(model: string, s: EmbeddedModelSettings): boolean {
  return (model === DEFAULT_MODEL || model === "") && !s.model_file;
}

/**
 * Why `file` cannot be run, as the error a run stops with (one line naming the file, and a hint),
 * or null when it is there and its header is a GGUF model's (llm/gguf-check.ts; nothing is loaded).
 * `isDefault`: the file is the default model's place in the cache (missing: it is downloaded; broken: delete it).
 */
export function modelFileError(file: string, isDefault = false): ProviderError | null {
  const problem = ggufProblem(file);
  if (!problem) return null;
  const shown = printable(file);
  if (problem.kind === "missing") {
    return isDefault
      ? new ProviderError(`the embedded default model is not downloaded yet (${shown})`, {
          hint: "dialogue run --provider embedded downloads it (about 0.5 GB, once), or pass --model-file <file.gguf>",
        })
      : new ProviderError(`no model file at ${shown}`, { exitCode: 2, hint: "pass an existing GGUF file with --model-file <file.gguf> (or embedded.model_file)" });
  }
  return isDefault
    ? new ProviderError(`the embedded default model ${shown} ${problem.what}`, {
        hint: "delete it: dialogue run --provider embedded downloads it again (or pass --model-file <file.gguf>)",
      })
    : new ProviderError(`${shown} ${problem.what}`, { exitCode: 2, hint: "pass a complete GGUF model file with --model-file <file.gguf> (or embedded.model_file)" });
}

/**
 * CPU threads per generation: half the cores (1 on a 2-core machine). llama.cpp's own default
 * takes every core, which on a small machine with two workers and a manager each generating
 * makes every one of them crawl.
 */
export function defaultThreads(cores = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cores / 2));
}

/** the https URL behind a model URI (hf:<user>/<repo>/<file> is a Hugging Face file) */
export function modelUrl(uri: string): string {
  if (!uri.startsWith("hf:")) return uri;
  const [user, repo, ...file] = uri.slice(3).split("/");
  return `https://huggingface.co/${user}/${repo}/resolve/main/${file.join("/")}`;
}

/** why the download source cannot be reached, or null when it answers */
async function unreachable(url: string, timeoutMs: number): Promise<string | null> {
  try {
    const res = await fetch(url, { method: "HEAD", redirect: "follow", signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? null : `${res.status} ${res.statusText}`.trim();
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  }
}

const offline = (why: string) =>
  new ProviderError(`could not download the default embedded model (${why}); this machine may be offline`, {
    hint: "pass a GGUF file you have with --model-file <file.gguf>, or use another provider (--provider ollama|openai|simulated)",
  });

/** the model's file, downloading the default model first if it is not cached */
export async function ensureModelFile(model: string, s: EmbeddedModelSettings, say: (line: string) => void): Promise<string> {
  const file = modelPathFor(model, s);
  const isDefault = isDefaultModel(model, s);
  if (existsSync(file) || !isDefault) {
    const error = modelFileError(file, isDefault);
    if (error) throw error;
    return file;
  }
  say(`embedded: downloading the default model ${s.default_model} into ${path.dirname(file)} (first use only)`);
  // the downloader retries a dead connection for a long time: find out quickly that there is none
  const why = await unreachable(modelUrl(s.default_model), 8000);
  if (why) throw offline(why);
  const { createModelDownloader } = await import("node-llama-cpp");
  const bar = progressBar("embedded: download");
  try {
    const isUri = s.default_model.startsWith("hf:");
    const downloader = await createModelDownloader({
      ...(isUri ? { modelUri: s.default_model } : { modelUrl: s.default_model }),
      dirPath: path.dirname(file),
      fileName: path.basename(file),
      showCliProgress: false,
      deleteTempFileOnCancel: true,
      onProgress: ({ downloadedSize, totalSize }) => bar.update(downloadedSize, totalSize),
    });
    const done = await downloader.download();
    bar.done("done");
    return done;
  } catch (err) {
    bar.done();
    throw offline(err instanceof Error ? (err.message.split("\n")[0] ?? err.message) : String(err));
  }
}
