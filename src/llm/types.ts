/**
 * The provider interface every LLM backend implements (simulated, ollama, openai, embedded).
 *
 * A provider streams one generation: it calls `onToken` for each chunk of text as it arrives,
 * stops when `signal` aborts (returning what it has, with done_reason "cut"), and reports
 * metrics measured by the engine where the engine has them.
 */
import type { z } from "zod";
import type { ModelOptions, Persona, ProviderName, StoryContent, HistoryEntry } from "../protocol/schemas.js";
import type { AgentKind, Scenario } from "../protocol/record.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/**
 * What is being generated, in structured form. Real providers use `messages`; the simulated
 * provider writes plausible text from the task itself.
 */
export type GenerationTask =
  | { kind: "story"; scenario: Scenario; roles: Array<{ id: string; role: string; goal?: string | undefined }> }
  | {
      kind: "personas";
      scenario: Scenario;
      story: StoryContent;
      roles: Array<{ id: string; role: string; goal?: string | undefined }>;
    }
  | {
      kind: "turn";
      conversation_id: string;
      sequence_number: number;
      story: StoryContent;
      /** the speaker */
      agent_id: string;
      persona: Persona;
      /** everyone else, in the agents' order */
      others: Array<{ agent_id: string; kind: AgentKind; persona: Persona }>;
      history: HistoryEntry[];
      turn: { number: number; max: number };
      /** "addressed": the reply may name the next speaker (next_speaker) */
      turn_order: string;
      /** the run's material the prompt carries, most relevant first (absent: none) */
      material?: Array<{ id: string; title: string; text: string }>;
    }
  | {
      /** the manager as moderator (turn order "moderator"): who should speak next, and why */
      kind: "moderator";
      story: StoryContent;
      /** who may speak next (everyone but the last speaker), with their personas */
      candidates: Array<{ agent_id: string; name: string; role: string }>;
      /** the latest messages */
      transcript: HistoryEntry[];
      sequence_number: number;
    }
  | {
      /** the analysis' LLM judge (analysis/judge.ts): a verdict on a transcript */
      kind: "judge";
      story: StoryContent | null;
      /** every agent's persona, in the agents' order */
      personas: Persona[];
      /** the names of the agents a person played (no model) */
      people: string[];
      /** how the speakers were chosen (round_robin, random, addressed, moderator) */
      turn_order: string;
      /** the messages shown to the judge (a long run: its start and its end) */
      transcript: HistoryEntry[];
      turns: number;
      /** figures the analysis already has, for the judge's reasons */
      figures: { repetition_mean: number | null; echo_mean: number | null; turn_balance: number | null; flags: string[]; stop_reason: string | null };
    }
  | {
      /** a note on one window of a conversation (analyze --notes, analysis/notes.ts) */
      kind: "window_note";
      /** "window 3 of 7, 120-180 s" */
      window: string;
      /** the window's messages, attributed */
      transcript: HistoryEntry[];
      /** the window's lexicon sentiment, when it has one */
      sentiment: number | null;
    }
  | {
      /**
       * a story and one persona per speaker, read from a recorded transcript (run --continue,
       * manager/continue.ts): the speakers are the agents
       */
      kind: "from_transcript";
      title: string;
      roles: Array<{ id: string; role: string; name: string }>;
      transcript: HistoryEntry[];
    };

export interface GenerateRequest {
  model: string;
  options: ModelOptions;
  task: GenerationTask;
  messages: ChatMessage[];
  /** JSON Schema the output must follow (structured output) */
  jsonSchema?: Record<string, unknown>;
  signal?: AbortSignal;
  onToken?: (text: string, tokens: number) => void;
}

export interface GenerateResult {
  text: string;
  /** tokens generated, as counted by the engine */
  tokens_generated: number;
  /** prompt tokens as counted by the engine; null when the engine does not say */
  prompt_tokens: number | null;
  generation_time_ms: number;
  time_to_first_token_ms: number | null;
  /** tokens / generation time after the first token, as the engine defines it */
  tokens_per_second: number;
  load_time_ms: number;
  done_reason: "stop" | "length" | "cut";
}

export interface ModelInfo {
  name: string;
  /** bytes on disk, when the provider says */
  size?: number;
  details?: string;
  /** why it cannot be used, when it cannot (an embedded model file that is missing or not a GGUF model) */
  problem?: string;
}

export interface LlmProvider {
  readonly name: ProviderName;
  generate(req: GenerateRequest): Promise<GenerateResult>;
  /** the model's context window in tokens, when the provider knows it (else the configured default applies) */
  contextWindow?(model: string, options: ModelOptions): Promise<number | null>;
  /** the prompt's size in tokens, counted with the model's own tokenizer and chat template */
  countTokens?(model: string, messages: ChatMessage[]): Promise<number>;
  /** the models this provider can use */
  listModels?(): Promise<ModelInfo[]>;
  /** frees what the provider holds (loaded models, connections) */
  close?(): Promise<void>;
}

/** structured output parsed and validated with the same schema the model was given */
export interface StructuredResult<T> {
  value: T;
  result: GenerateResult;
}

export type AnySchema<T> = z.ZodType<T>;
