import type {
  ChatMessage,
  ChatOptions,
  ChatResponseFormat,
  ChatTool,
  ChatToolChoice,
  CompletionOptions,
  GenerationOptions,
} from '@llama-pajamas/run-core';
import { LlmFeatureUnsupportedError } from '@llama-pajamas/run-core';
import { badParam } from '../errors.js';

/** The body of `POST /v1/chat/completions`, as OpenAI documents it (the fields the server reads). */
export interface ChatCompletionBody {
  model?: string;
  messages: unknown;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  n?: number | null;
  tools?: unknown;
  tool_choice?: unknown;
  parallel_tool_calls?: boolean;
  response_format?: unknown;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  frequency_penalty?: number | null;
  presence_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
}

/** The body of `POST /v1/completions` (prompt-only clients). */
export interface CompletionBody {
  model?: string;
  prompt: unknown;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  n?: number | null;
  best_of?: number | null;
  echo?: boolean | null;
  suffix?: string | null;
  logprobs?: number | null;
  frequency_penalty?: number | null;
  presence_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  response_format?: unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Text of a message's `content`: a string, or an array of `{type: 'text', text}` parts (joined). */
function textOf(content: unknown, param: string, nullable: boolean): string | null {
  if (content === null || content === undefined) {
    if (nullable) return null;
    throw badParam(param, `'${param}' is required: a string or an array of text parts.`);
  }
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part, j) => {
        if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
        const type = isRecord(part) ? JSON.stringify(part.type) : typeof part;
        throw badParam(
          `${param}[${j}]`,
          `Content part ${j} of ${param.replace(/\.content$/, '')} is ${type}; chat models here take only text parts ({"type": "text", "text": "…"}).`,
          'unsupported_content',
        );
      })
      .join('');
  }
  throw badParam(param, `'${param}' must be a string or an array of text parts.`);
}

/** Turns OpenAI's `messages` into run-core chat messages; 400 names the first message at fault. */
export function parseMessages(raw: unknown): ChatMessage[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw badParam('messages', "'messages' must be a non-empty array of {role, content} messages.");
  }
  return raw.map((m, i): ChatMessage => {
    const p = `messages[${i}]`;
    if (!isRecord(m)) throw badParam(p, `${p} must be an object with a role and content.`);
    const role = m.role;
    if (role === 'system' || role === 'developer' || role === 'user') {
      return { role, content: textOf(m.content, `${p}.content`, false) ?? '' };
    }
    if (role === 'assistant') {
      const calls = m.tool_calls;
      if (calls !== undefined && calls !== null && !Array.isArray(calls)) {
        throw badParam(`${p}.tool_calls`, `${p}.tool_calls must be an array.`);
      }
      const toolCalls = (calls ?? []).map((c: unknown, j) => {
        const f = isRecord(c) ? c.function : undefined;
        if (
          !isRecord(c) ||
          typeof c.id !== 'string' ||
          !isRecord(f) ||
          typeof f.name !== 'string' ||
          typeof f.arguments !== 'string'
        ) {
          throw badParam(
            `${p}.tool_calls[${j}]`,
            `${p}.tool_calls[${j}] must be {"id", "type": "function", "function": {"name", "arguments": "<JSON text>"}}.`,
          );
        }
        return { id: c.id, name: f.name, arguments: f.arguments };
      });
      const content = textOf(m.content, `${p}.content`, true);
      return toolCalls.length > 0 ? { role, content, toolCalls } : { role, content };
    }
    if (role === 'tool') {
      if (typeof m.tool_call_id !== 'string' || m.tool_call_id === '') {
        throw badParam(
          `${p}.tool_call_id`,
          `${p} is a tool message: it needs the 'tool_call_id' of the call it answers.`,
        );
      }
      return { role, toolCallId: m.tool_call_id, content: textOf(m.content, `${p}.content`, false) ?? '' };
    }
    throw badParam(
      `${p}.role`,
      `${p}.role is ${JSON.stringify(role)}; expected one of system, developer, user, assistant, tool.`,
    );
  });
}

/** Turns OpenAI's `tools` into run-core tools. */
export function parseTools(raw: unknown): ChatTool[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw badParam('tools', "'tools' must be an array of {type: 'function', function: {...}}.");
  return raw.map((t, i): ChatTool => {
    const f = isRecord(t) ? t.function : undefined;
    if (!isRecord(t) || t.type !== 'function' || !isRecord(f) || typeof f.name !== 'string') {
      throw badParam(
        `tools[${i}]`,
        `tools[${i}] must be {"type": "function", "function": {"name", "description", "parameters"}}.`,
      );
    }
    if (f.parameters !== undefined && !isRecord(f.parameters)) {
      throw badParam(
        `tools[${i}].function.parameters`,
        `tools[${i}].function.parameters must be a JSON Schema object.`,
      );
    }
    if (f.description !== undefined && typeof f.description !== 'string') {
      throw badParam(`tools[${i}].function.description`, `tools[${i}].function.description must be a string.`);
    }
    return {
      name: f.name,
      ...(f.description === undefined ? {} : { description: f.description }),
      ...(f.parameters === undefined ? {} : { parameters: f.parameters }),
    };
  });
}

/** Turns OpenAI's `tool_choice` into run-core's. */
export function parseToolChoice(raw: unknown): ChatToolChoice | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (raw === 'auto' || raw === 'none' || raw === 'required') return raw;
  if (isRecord(raw) && raw.type === 'function' && isRecord(raw.function) && typeof raw.function.name === 'string') {
    return { name: raw.function.name };
  }
  throw badParam(
    'tool_choice',
    `'tool_choice' must be 'none', 'auto', 'required' or {"type": "function", "function": {"name"}}.`,
  );
}

/** Turns OpenAI's `response_format` into run-core's. */
export function parseResponseFormat(raw: unknown): ChatResponseFormat | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (isRecord(raw) && (raw.type === 'text' || raw.type === 'json_object')) return { type: raw.type };
  if (isRecord(raw) && raw.type === 'json_schema') {
    const js = raw.json_schema;
    if (!isRecord(js) || !isRecord(js.schema)) {
      throw badParam('response_format.json_schema', '\'response_format.json_schema\' must be {"name", "schema": {…}}.');
    }
    return { type: 'json_schema', schema: js.schema, ...(typeof js.name === 'string' ? { name: js.name } : {}) };
  }
  throw badParam('response_format', `'response_format.type' must be 'text', 'json_object' or 'json_schema'.`);
}

type SamplingBody = Pick<
  ChatCompletionBody,
  'temperature' | 'top_p' | 'seed' | 'stop' | 'n' | 'frequency_penalty' | 'presence_penalty' | 'logit_bias'
>;

/** Checks and converts the sampling fields both endpoints share. */
function parseSampling(body: SamplingBody, maxTokens: number | null | undefined, maxParam: string): GenerationOptions {
  const o: GenerationOptions = {};
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    throw new LlmFeatureUnsupportedError({
      feature: 'n',
      reason: `only n = 1 is served (got ${String(body.n)}); send n requests instead.`,
    });
  }
  if (maxTokens !== undefined && maxTokens !== null) {
    if (!Number.isInteger(maxTokens) || maxTokens < 1)
      throw badParam(maxParam, `'${maxParam}' must be a positive integer.`);
    o.maxTokens = maxTokens;
  }
  const t = body.temperature;
  if (t !== undefined && t !== null) {
    if (typeof t !== 'number' || t < 0 || t > 2)
      throw badParam('temperature', "'temperature' must be a number in [0, 2].");
    o.temperature = t;
  }
  const p = body.top_p;
  if (p !== undefined && p !== null) {
    if (typeof p !== 'number' || p <= 0 || p > 1) throw badParam('top_p', "'top_p' must be a number in (0, 1].");
    o.topP = p;
  }
  if (body.seed !== undefined && body.seed !== null) {
    if (!Number.isInteger(body.seed)) throw badParam('seed', "'seed' must be an integer.");
    o.seed = body.seed;
  }
  const stop = body.stop;
  if (stop !== undefined && stop !== null) {
    const list = typeof stop === 'string' ? [stop] : stop;
    if (!Array.isArray(list) || list.length > 4 || list.some((s) => typeof s !== 'string' || s === '')) {
      throw badParam('stop', "'stop' must be a non-empty string or an array of up to 4 non-empty strings.");
    }
    o.stop = list;
  }
  for (const k of ['frequency_penalty', 'presence_penalty'] as const) {
    const v = body[k];
    if (v !== undefined && v !== null && v !== 0) {
      throw new LlmFeatureUnsupportedError({
        feature: k,
        reason: 'penalties are not applied by this server; send 0 or leave it out.',
      });
    }
  }
  if (body.logit_bias && Object.keys(body.logit_bias).length > 0) {
    throw new LlmFeatureUnsupportedError({
      feature: 'logit_bias',
      reason: 'token biases are not applied by this server; leave it out.',
    });
  }
  return o;
}

/** Checks a chat request and turns it into run-core messages and options. */
export function parseChatBody(body: ChatCompletionBody): { messages: ChatMessage[]; options: ChatOptions } {
  if (body.logprobs === true || (body.top_logprobs !== undefined && body.top_logprobs !== null)) {
    throw new LlmFeatureUnsupportedError({
      feature: body.logprobs === true ? 'logprobs' : 'top_logprobs',
      reason: "node-llama-cpp's chat API gives no token probabilities; send logprobs: false or leave it out.",
    });
  }
  const maxParam =
    body.max_completion_tokens !== undefined && body.max_completion_tokens !== null
      ? 'max_completion_tokens'
      : 'max_tokens';
  const options: ChatOptions = parseSampling(body, body.max_completion_tokens ?? body.max_tokens, maxParam);
  const tools = parseTools(body.tools);
  if (tools) options.tools = tools;
  const toolChoice = parseToolChoice(body.tool_choice);
  if (toolChoice) options.toolChoice = toolChoice;
  const responseFormat = parseResponseFormat(body.response_format);
  if (responseFormat) options.responseFormat = responseFormat;
  return { messages: parseMessages(body.messages), options };
}

/** Checks a completion request and returns its prompt and options. */
export function parseCompletionBody(body: CompletionBody): { prompt: string; options: CompletionOptions } {
  let prompt = body.prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') prompt = prompt[0];
  if (typeof prompt !== 'string' || prompt === '') {
    throw badParam(
      'prompt',
      "'prompt' must be a non-empty string (or an array of one string; one prompt per request).",
    );
  }
  for (const [k, v, ok] of [
    ['echo', body.echo, body.echo === undefined || body.echo === null || body.echo === false],
    ['suffix', body.suffix, body.suffix === undefined || body.suffix === null || body.suffix === ''],
    ['best_of', body.best_of, body.best_of === undefined || body.best_of === null || body.best_of === 1],
    ['logprobs', body.logprobs, body.logprobs === undefined || body.logprobs === null],
  ] as const) {
    if (!ok)
      throw new LlmFeatureUnsupportedError({
        feature: k,
        reason: `this server does not serve it (got ${JSON.stringify(v)}); leave it out.`,
      });
  }
  const options: CompletionOptions = parseSampling(body, body.max_tokens ?? 16, 'max_tokens');
  const responseFormat = parseResponseFormat(body.response_format);
  if (responseFormat) options.responseFormat = responseFormat;
  return { prompt, options };
}
