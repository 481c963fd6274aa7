import type { ChatDelta, CompletionDelta, LLMBackend } from '@llama-pajamas/run-core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sseStart, sseWrite, type RouteContext } from '../context.js';
import { toApiError } from '../errors.js';
import type { ServedModel } from '../models.js';
import { beginTask } from '../task-call.js';
import {
  chatChunkBody,
  chatCompletionBody,
  completionBody,
  responseId,
  toolCallBody,
  usageBody,
} from './chat-format.js';
import { parseChatBody, parseCompletionBody, type ChatCompletionBody, type CompletionBody } from './chat-request.js';
import { streamSignal } from './chat-stream.js';

const streamFields = {
  model: { type: 'string' },
  stream: { type: 'boolean' },
  stream_options: {
    anyOf: [{ type: 'null' }, { type: 'object', properties: { include_usage: { type: 'boolean' } } }],
  },
} as const;

/**
 * Streams `deltas` as server-sent events. Nothing is sent before the first delta, so a request that fails before
 * generating (context overflow, a bad schema) gets a normal 4xx JSON error; a failure later is sent as an `error`
 * event. Leaving early (client gone) closes the iterator, which frees the backend's sequence.
 */
async function sendStream<D extends { type: string }>(
  reply: FastifyReply,
  deltas: AsyncIterable<D>,
  alive: () => void,
  write: (d: D) => void,
  onStart: () => void,
): Promise<void> {
  const it = deltas[Symbol.asyncIterator]();
  try {
    let r = await it.next(); // throws before any byte is sent: the error handler answers with JSON
    sseStart(reply);
    onStart();
    while (!r.done) {
      write(r.value);
      alive();
      r = await it.next();
    }
    reply.raw.write('data: [DONE]\n\n');
  } catch (error) {
    if (!reply.raw.headersSent) throw error;
    if (!reply.raw.destroyed) sseWrite(reply, toApiError(error).toBody());
  } finally {
    await it.return?.();
  }
  if (!reply.raw.destroyed) reply.raw.end();
}

function registerChatCompletions(app: FastifyInstance, ctx: RouteContext): void {
  const url = '/v1/chat/completions';
  app.post<{ Body: ChatCompletionBody }>(
    url,
    {
      schema: {
        summary: 'Chat with a model (OpenAI-compatible): streaming, tools, JSON-schema output',
        tags: ['chat'],
        body: {
          type: 'object',
          required: ['messages'],
          properties: { ...streamFields, messages: { type: 'array' } },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { messages, options } = parseChatBody(body);
      const created = Math.floor(Date.now() / 1000);
      const id = responseId('chatcmpl');
      if (body.stream !== true) {
        const call = beginTask<LLMBackend>(ctx, request, reply, 'chat', body.model, url);
        const r = await call.run(() => call.model.backend.chat(messages, { ...options, signal: call.signal }));
        return chatCompletionBody(id, call.model.id, created, r);
      }
      const model = ctx.models.pick<LLMBackend>('chat', body.model, url);
      const includeUsage = body.stream_options?.include_usage === true;
      const s = streamSignal(reply, ctx.requestTimeoutMs);
      const chunk = (delta: Record<string, unknown>, finish: Parameters<typeof chatChunkBody>[4] = null): void =>
        sseWrite(reply, chatChunkBody(id, model.id, created, delta, finish, includeUsage ? null : undefined));
      try {
        await model.queue.run(
          () =>
            sendStream<ChatDelta>(
              reply,
              model.backend.chatStream(messages, { ...options, signal: s.signal }),
              s.alive,
              (d) => {
                if (d.type === 'text') chunk({ content: d.text });
                else if (d.type === 'toolCall') chunk({ tool_calls: [toolCallBody(d.call, d.index)] });
                else {
                  chunk({}, d.finishReason);
                  if (includeUsage) {
                    sseWrite(reply, {
                      ...chatChunkBody(id, model.id, created, {}, null),
                      choices: [],
                      usage: usageBody(d.usage),
                    });
                  }
                }
              },
              () => chunk({ role: 'assistant', content: '' }),
            ),
          s.signal,
        );
      } finally {
        s.done();
      }
      return reply;
    },
  );
}

function completionChunk(
  id: string,
  model: ServedModel,
  created: number,
  text: string,
  finish: string | null,
): Record<string, unknown> {
  return {
    id,
    object: 'text_completion',
    created,
    model: model.id,
    system_fingerprint: null,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
  };
}

function registerCompletions(app: FastifyInstance, ctx: RouteContext): void {
  const url = '/v1/completions';
  app.post<{ Body: CompletionBody }>(
    url,
    {
      schema: {
        summary: 'Continue a text prompt (OpenAI-compatible legacy completions)',
        tags: ['chat'],
        body: { type: 'object', required: ['prompt'], properties: { ...streamFields } },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { prompt, options } = parseCompletionBody(body);
      const created = Math.floor(Date.now() / 1000);
      const id = responseId('cmpl');
      if (body.stream !== true) {
        const call = beginTask<LLMBackend>(ctx, request, reply, 'chat', body.model, url);
        const r = await call.run(() => call.model.backend.complete(prompt, { ...options, signal: call.signal }));
        return completionBody(id, call.model.id, created, r);
      }
      const model = ctx.models.pick<LLMBackend>('chat', body.model, url);
      const includeUsage = body.stream_options?.include_usage === true;
      const s = streamSignal(reply, ctx.requestTimeoutMs);
      try {
        await model.queue.run(
          () =>
            sendStream<CompletionDelta>(
              reply,
              model.backend.completeStream(prompt, { ...options, signal: s.signal }),
              s.alive,
              (d) => {
                if (d.type === 'text') sseWrite(reply, completionChunk(id, model, created, d.text, null));
                else {
                  sseWrite(reply, completionChunk(id, model, created, '', d.finishReason));
                  if (includeUsage)
                    sseWrite(reply, {
                      ...completionChunk(id, model, created, '', null),
                      choices: [],
                      usage: usageBody(d.usage),
                    });
                }
              },
              () => undefined,
            ),
          s.signal,
        );
      } finally {
        s.done();
      }
      return reply;
    },
  );
}

/** Registers `POST /v1/chat/completions` and `POST /v1/completions` (the `llm` entry of the task table). */
export function registerChatRoutes(app: FastifyInstance, ctx: RouteContext): void {
  registerChatCompletions(app, ctx);
  registerCompletions(app, ctx);
}
