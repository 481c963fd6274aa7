/**
 * Chat and completion types of {@link LLMBackend}: messages, tools, response formats, generation options and
 * typed results. They follow OpenAI's chat model (roles, tool calls, JSON-schema output) in camelCase.
 */

/** A JSON Schema object, as given by the caller (validated by the runtime, which says what it cannot enforce). */
export type JsonSchema = { readonly [key: string]: unknown };

/** One call of a tool that the model asked for; `arguments` is JSON text (as OpenAI sends it). */
export interface ChatToolCall {
  /** Id that the `tool` message answering this call quotes as `toolCallId`. */
  id: string;
  /** The tool's name. */
  name: string;
  /** The arguments as a JSON text that matches the tool's `parameters`. */
  arguments: string;
}

/** Instructions for the model (`developer` is OpenAI's newer name for `system`). */
export interface ChatSystemMessage {
  role: 'system' | 'developer';
  content: string;
}

/** What the user said. */
export interface ChatUserMessage {
  role: 'user';
  content: string;
}

/** What the model said before: text, tool calls, or both. */
export interface ChatAssistantMessage {
  role: 'assistant';
  content: string | null;
  toolCalls?: readonly ChatToolCall[];
}

/** The result of one tool call, answering the assistant's call with the same id. */
export interface ChatToolMessage {
  role: 'tool';
  toolCallId: string;
  content: string;
}

/** One message of a conversation. */
export type ChatMessage = ChatSystemMessage | ChatUserMessage | ChatAssistantMessage | ChatToolMessage;

/** The roles a {@link ChatMessage} may have. */
export type ChatRole = ChatMessage['role'];

/** A tool (function) that the model may call. */
export interface ChatTool {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object (default: any object). */
  parameters?: JsonSchema;
}

/**
 * Whether the model may call tools: `auto` (it decides), `none`, `required` (at least one call), or the one tool
 * it must call.
 */
export type ChatToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** The shape of the answer: free text, any JSON object, or JSON that matches a schema (grammar-constrained). */
export type ChatResponseFormat =
  { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; schema: JsonSchema; name?: string };

/** Sampling and stopping options shared by chat and completion. */
export interface GenerationOptions {
  /** Most tokens to generate (default: what is left of the context). */
  maxTokens?: number;
  /** 0 = greedy (default 0 through the backend; OpenAI's default is 1). */
  temperature?: number;
  /** Nucleus sampling threshold in (0, 1] (1 = off). */
  topP?: number;
  /** Keep only the K most likely tokens (0 = off). */
  topK?: number;
  /** Seed of the sampler, for repeatable sampling at temperature > 0. */
  seed?: number;
  /** Texts that end the generation (not included in the output). */
  stop?: readonly string[];
  /** Cancels the generation; the backend frees its sequence and rejects with `AbortedError`. */
  signal?: AbortSignal;
}

/** Options of {@link LLMBackend.chat}. */
export interface ChatOptions extends GenerationOptions {
  tools?: readonly ChatTool[];
  /** Default `auto` when `tools` are given. */
  toolChoice?: ChatToolChoice;
  responseFormat?: ChatResponseFormat;
}

/** Options of {@link LLMBackend.complete} (prompt-only text continuation). */
export interface CompletionOptions extends GenerationOptions {
  /** JSON output, grammar-constrained, as for chat. */
  responseFormat?: ChatResponseFormat;
}

/** Why the generation ended: a natural end or a stop text, the token limit, or tool calls. */
export type FinishReason = 'stop' | 'length' | 'toolCalls';

/** Tokens read and written by one request. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** What {@link LLMBackend.chat} returns. */
export interface ChatResult {
  /** The answer's text (null when the model only called tools). */
  content: string | null;
  toolCalls: ChatToolCall[];
  finishReason: FinishReason;
  usage: TokenUsage;
}

/** What {@link LLMBackend.complete} returns. */
export interface CompletionResult {
  text: string;
  finishReason: Exclude<FinishReason, 'toolCalls'>;
  usage: TokenUsage;
}

/**
 * One piece of a streamed answer: text as it is generated, a finished tool call, and last a `done` delta with
 * the finish reason and usage.
 */
export type ChatDelta =
  | { type: 'text'; text: string }
  | { type: 'toolCall'; index: number; call: ChatToolCall }
  | { type: 'done'; finishReason: FinishReason; usage: TokenUsage };

/** One piece of a streamed completion. */
export type CompletionDelta =
  | { type: 'text'; text: string }
  | { type: 'done'; finishReason: Exclude<FinishReason, 'toolCalls'>; usage: TokenUsage };
