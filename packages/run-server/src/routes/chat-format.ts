import { randomBytes } from 'node:crypto';
import type { ChatResult, ChatToolCall, CompletionResult, FinishReason, TokenUsage } from '@llama-pajamas/run-core';

/** OpenAI's `usage` object. */
export function usageBody(u: TokenUsage): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.totalTokens };
}

/** OpenAI's `finish_reason`. */
export function finishBody(f: FinishReason): 'stop' | 'length' | 'tool_calls' {
  return f === 'toolCalls' ? 'tool_calls' : f;
}

/** OpenAI's `tool_calls[i]` (with `index` for stream deltas). */
export function toolCallBody(c: ChatToolCall, index?: number): Record<string, unknown> {
  return {
    ...(index === undefined ? {} : { index }),
    id: c.id,
    type: 'function',
    function: { name: c.name, arguments: c.arguments },
  };
}

/** A fresh response id with OpenAI's prefix (`chatcmpl-…`, `cmpl-…`). */
export function responseId(prefix: string): string {
  return `${prefix}-${randomBytes(12).toString('base64url')}`;
}

/** The `chat.completion` object of a non-streamed answer. */
export function chatCompletionBody(id: string, model: string, created: number, r: ChatResult): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content: r.content, refusal: null };
  if (r.toolCalls.length > 0) message.tool_calls = r.toolCalls.map((c) => toolCallBody(c));
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    system_fingerprint: null,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishBody(r.finishReason) }],
    usage: usageBody(r.usage),
  };
}

/** One `chat.completion.chunk` of a streamed answer. */
export function chatChunkBody(
  id: string,
  model: string,
  created: number,
  delta: Record<string, unknown>,
  finish: FinishReason | null,
  usage?: null,
): Record<string, unknown> {
  return {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish === null ? null : finishBody(finish) }],
    ...(usage === null ? { usage: null } : {}),
  };
}

/** The `text_completion` object of a non-streamed completion. */
export function completionBody(
  id: string,
  model: string,
  created: number,
  r: CompletionResult,
): Record<string, unknown> {
  return {
    id,
    object: 'text_completion',
    created,
    model,
    system_fingerprint: null,
    choices: [{ index: 0, text: r.text, logprobs: null, finish_reason: r.finishReason }],
    usage: usageBody(r.usage),
  };
}
