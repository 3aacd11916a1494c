/**
 * The `embedded` provider: llama.cpp in this process, through node-llama-cpp. No server: it
 * loads a GGUF file (see embedded-model.ts) and generates with the model's own chat template.
 *
 * Numbers come from the engine: tokens_generated is the count of tokens llama.cpp produced for
 * the reply (the response chunks' token ids), prompt_tokens the prompt tokenized by the model's
 * tokenizer with its chat template, load_time_ms the time the model took to load, reported by
 * the first generation of that model in this process (whatever loaded it: the worker counts a
 * prompt's tokens before it generates), 0 afterwards. Time to first token is measured from the
 * call to the first chunk with text, and tokens/s over the tokens after the first (llama.cpp
 * decodes one token per step after it).
 * Structured output: the JSON schema becomes a llama.cpp grammar, so the reply is JSON of that
 * shape; what a grammar cannot say (number ranges) is checked with zod by the caller.
 */
import type { ChatHistoryItem, ChatWrapper, Llama, LlamaContext, LlamaGrammar, LlamaModel } from "node-llama-cpp";
import { ProviderError, printable } from "../errors/index.js";
import type { ModelOptions } from "../protocol/schemas.js";
import { defaultThreads, modelFileError, modelPathFor, type EmbeddedModelSettings } from "./embedded-model.js";
import { closedSchema } from "./json-schema.js";
import type { ChatMessage, GenerateRequest, GenerateResult, LlmProvider, ModelInfo } from "./types.js";
import { existsSync } from "node:fs";
import path from "node:path";

export interface EmbeddedSettings extends EmbeddedModelSettings {
  /** @defaultValue half the cores */
  threads: number | null;
  /** @defaultValue 4096 */
  context_size: number;
  /** @defaultValue 1024 */
  max_tokens: number;
}

/** llama.cpp's default is greedy decoding; a little randomness reads better in a dialogue */
const DEFAULT_TEMPERATURE = 0.7;

interface Loaded {
  model: LlamaModel;
  /** the model's chat template, resolved once */
  wrapper: ChatWrapper;
  /** idle contexts by size, reused across generations */
  idle: Map<number, LlamaContext[]>;
  grammars: Map<string, Promise<LlamaGrammar>>;
  /** how long the load took, until a generation reports it (then 0: it is reported once) */
  unreportedLoadMs: number;
}

let llamaPromise: Promise<Llama> | null = null;

/** the llama.cpp bindings, loaded once per process (prebuilt binaries only: never a build) */
export function getLlamaOnce(): Promise<Llama> {
  llamaPromise ??= import("node-llama-cpp")
    .then(({ getLlama, LlamaLogLevel }) => getLlama({ build: "never", logLevel: LlamaLogLevel.error, logger: () => undefined }))
    .catch((err: unknown) => {
      llamaPromise = null;
      throw new ProviderError(`llama.cpp cannot run here: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`, {
        hint: "node-llama-cpp has no prebuilt binary for this platform in this install; use --provider ollama, openai or simulated",
      });
    });
  return llamaPromise;
}

export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m) =>
    m.role === "assistant" ? { type: "model", response: [m.content] } : { type: m.role, text: m.content },
  );
  history.push({ type: "model", response: [] });
  return history;
}

/** the prompt as the model sees it: its chat template applied, then its tokenizer */
function promptTokens(loaded: Loaded, messages: ChatMessage[]) {
  return loaded.wrapper.generateContextState({ chatHistory: toChatHistory(messages) }).contextText.tokenize(loaded.model.tokenizer);
}

/** tokens a reply gets at least; a prompt is shortened until they are free */
const MIN_REPLY_TOKENS = 32;

/**
 * The last line of defence against llama.cpp's context limit (the worker's context budget comes
 * first): older messages go, then the system message is shortened, until the prompt leaves
 * room for a reply. llama.cpp would otherwise try to shift the context and can fail doing so.
 */
function fitPrompt(loaded: Loaded, messages: ChatMessage[], contextSize: number): { messages: ChatMessage[]; tokens: number } {
  const limit = contextSize - MIN_REPLY_TOKENS;
  let msgs = messages;
  let n = promptTokens(loaded, msgs).length;
  while (n > limit && msgs.length > 2) {
    msgs = [msgs[0] as ChatMessage, ...msgs.slice(2)];
    n = promptTokens(loaded, msgs).length;
  }
  for (let i = 0; n > limit && i < 8; i++) {
    msgs = msgs.map((m, j) => (j === 0 ? { ...m, content: m.content.slice(0, Math.floor((m.content.length * limit * 0.9) / n)) } : m));
    n = promptTokens(loaded, msgs).length;
  }
  return { messages: msgs, tokens: n };
}

export class EmbeddedProvider implements LlmProvider {
  readonly name = "embedded";
  private readonly models = new Map<string, Promise<Loaded>>();

  constructor(private readonly settings: EmbeddedSettings) {}

  get threads(): number {
    return this.settings.threads ?? defaultThreads();
  }

  /**
   * The model, loaded once per file (concurrent callers share the load). Whoever asks first —
   * counting a prompt's tokens, the context window, a generation — starts it; the first
   * generation reports its time (see `generate`).
   */
  private load(file: string): Promise<Loaded> {
    let hit = this.models.get(file);
    if (!hit) {
      hit = (async () => {
        const start = performance.now();
        // a missing, empty or non-GGUF file: one line, not llama.cpp's message
        const unusable = modelFileError(file);
        if (unusable) throw unusable;
        const llama = await getLlamaOnce();
        try {
          const model = await llama.loadModel({ modelPath: file });
          const { resolveChatWrapper } = await import("node-llama-cpp");
          return { model, wrapper: resolveChatWrapper(model), idle: new Map(), grammars: new Map(), unreportedLoadMs: performance.now() - start };
        } catch (err) {
          throw new ProviderError(`could not load ${printable(file)}: ${printable(err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err))}`, {
            hint: "is it a GGUF model file? (llama.cpp loads GGUF only)",
          });
        }
      })();
      hit.catch(() => this.models.delete(file));
      this.models.set(file, hit);
    }
    return hit;
  }

  private contextSize(loaded: Loaded, options: ModelOptions): number {
    const want = options.num_ctx ?? this.settings.context_size;
    return Math.max(64, Math.min(want, loaded.model.trainContextSize));
  }

  private grammar(loaded: Loaded, schema: Record<string, unknown>): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let g = loaded.grammars.get(key);
    if (!g) {
      g = getLlamaOnce().then((llama) => llama.createGrammarForJsonSchema(closedSchema(schema) as never));
      loaded.grammars.set(key, g);
    }
    return g;
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const start = performance.now();
    const file = modelPathFor(req.model, this.settings);
    const loaded = await this.load(file);
    // the load belongs to the first generation of the model, whoever started it (the worker
    // counts the prompt's tokens first, which loads the model before this call)
    const loadMs = loaded.unreportedLoadMs;
    loaded.unreportedLoadMs = 0;
    const { LlamaChat } = await import("node-llama-cpp");
    const size = this.contextSize(loaded, req.options);
    const pool = loaded.idle.get(size) ?? [];
    const context = pool.pop() ?? (await loaded.model.createContext({ contextSize: size, threads: this.threads }));
    const sequence = context.getSequence();
    const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: loaded.wrapper, autoDisposeSequence: false });
    const fitted = fitPrompt(loaded, req.messages, size);
    const history = toChatHistory(fitted.messages);
    // the reply never runs past the context window
    const maxTokens = Math.max(1, Math.min(req.options.num_predict ?? this.settings.max_tokens, size - fitted.tokens));

    let text = "";
    let tokens = 0;
    let firstAt: number | null = null;
    let lastAt = 0;
    const o = req.options;
    try {
      const grammar = req.jsonSchema ? await this.grammar(loaded, req.jsonSchema) : undefined;
      const res = await chat.generateResponse(history, {
        ...(grammar ? { grammar } : {}),
        temperature: o.temperature ?? DEFAULT_TEMPERATURE,
        ...(o.top_p !== undefined ? { topP: o.top_p } : {}),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        maxTokens,
        ...(req.signal ? { signal: req.signal, stopOnAbortSignal: true } : {}),
        onResponseChunk: (chunk) => {
          if (chunk.type !== undefined) return; // thoughts and other segments are not the reply
          tokens += chunk.tokens.length;
          if (!chunk.text) return;
          const now = performance.now() - start;
          firstAt ??= now;
          lastAt = now;
          text += chunk.text;
          req.onToken?.(chunk.text, chunk.tokens.length);
        },
      });
      const reason = res.metadata.stopReason;
      const afterFirst = firstAt === null ? 0 : lastAt - firstAt;
      return {
        text: res.response,
        tokens_generated: tokens,
        prompt_tokens: fitted.tokens,
        generation_time_ms: performance.now() - start,
        time_to_first_token_ms: firstAt,
        tokens_per_second: tokens > 1 && afterFirst > 0 ? (tokens - 1) / (afterFirst / 1000) : 0,
        load_time_ms: loadMs,
        done_reason: reason === "abort" ? "cut" : reason === "maxTokens" ? "length" : "stop",
      };
    } catch (err) {
      if (req.signal?.aborted) {
        return {
          text,
          tokens_generated: tokens,
          prompt_tokens: fitted.tokens,
          generation_time_ms: performance.now() - start,
          time_to_first_token_ms: firstAt,
          tokens_per_second: 0,
          load_time_ms: loadMs,
          done_reason: "cut",
        };
      }
      throw new ProviderError(`llama.cpp failed on ${path.basename(file)}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`, {
        retryable: true,
      });
    } finally {
      chat.dispose({ disposeSequence: false });
      sequence.dispose();
      pool.push(context);
      loaded.idle.set(size, pool);
    }
  }

  async contextWindow(model: string, options: ModelOptions): Promise<number | null> {
    const loaded = await this.load(modelPathFor(model, this.settings));
    return this.contextSize(loaded, options);
  }

  async countTokens(model: string, messages: ChatMessage[]): Promise<number> {
    return promptTokens(await this.load(modelPathFor(model, this.settings)), messages).length;
  }

  /** --model-file and the downloaded models, each checked as a run checks it (a file that cannot be run says why) */
  async listModels(): Promise<ModelInfo[]> {
    const { readdirSync, statSync } = await import("node:fs");
    const dir = path.dirname(modelPathFor("default", { ...this.settings, model_file: null }));
    const out: ModelInfo[] = [];
    const checked = (file: string, info: ModelInfo): ModelInfo => {
      const error = modelFileError(file);
      return error ? { ...info, problem: error.message } : info;
    };
    if (this.settings.model_file) {
      const file = path.resolve(this.settings.model_file);
      out.push(checked(file, { name: printable(file), ...(existsSync(file) && statSync(file).isFile() ? { size: statSync(file).size } : {}), details: "--model-file" }));
    }
    if (existsSync(dir)) {
      for (const f of readdirSync(dir).filter((n) => n.endsWith(".gguf"))) {
        const file = path.join(dir, f);
        out.push(checked(file, { name: printable(file), size: statSync(file).size, details: "cached" }));
      }
    }
    return out;
  }

  async close(): Promise<void> {
    for (const p of this.models.values()) {
      const loaded = await p.catch(() => null);
      if (!loaded) continue;
      for (const ctxs of loaded.idle.values()) for (const c of ctxs) await c.dispose();
      await loaded.model.dispose();
    }
    this.models.clear();
  }
}
