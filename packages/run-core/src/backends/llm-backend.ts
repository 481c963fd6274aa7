import type {
  ChatDelta,
  ChatMessage,
  ChatOptions,
  ChatResult,
  CompletionDelta,
  CompletionOptions,
  CompletionResult,
} from '../types/llm.js';
import { ModelBackend } from './model-backend.js';

/**
 * A chat model (an LLM): chat with messages, tool calls and structured output, streaming, prompt-only completion
 * and token counting. A runtime package (run-llama on node-llama-cpp) implements it; run-server serves it.
 * @example
 * const r = await llm.chat([{ role: 'user', content: 'What is the capital of France?' }], { maxTokens: 32 });
 * console.log(r.content, r.finishReason, r.usage.totalTokens);
 * // The capital of France is Paris. stop 44
 */
export abstract class LLMBackend extends ModelBackend {
  /** Always `'llm'`: tells chat models apart from vision and speech backends. */
  readonly modelType = 'llm' as const;
  /** Tokens that one request (prompt + answer) may use. */
  abstract readonly contextSize: number;
  /** Requests that run at the same time (one context sequence each); more wait for a free one. */
  abstract readonly parallelism: number;

  /** Answers the conversation. */
  abstract chat(messages: readonly ChatMessage[], options?: ChatOptions): Promise<ChatResult>;

  /** Answers the conversation piece by piece; the last delta is `done` (finish reason and usage). */
  abstract chatStream(messages: readonly ChatMessage[], options?: ChatOptions): AsyncIterable<ChatDelta>;

  /** Continues a plain text prompt (no chat template). */
  abstract complete(prompt: string, options?: CompletionOptions): Promise<CompletionResult>;

  /** Continues a plain text prompt piece by piece; the last delta is `done`. */
  abstract completeStream(prompt: string, options?: CompletionOptions): AsyncIterable<CompletionDelta>;

  /** Number of tokens of `text` in the model's vocabulary. */
  abstract countTokens(text: string): number;

  /** Number of prompt tokens the conversation takes once rendered with the model's chat template. */
  abstract countChatTokens(messages: readonly ChatMessage[], options?: Pick<ChatOptions, 'tools'>): number;
}
