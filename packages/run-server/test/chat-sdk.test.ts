/* eslint-disable @typescript-eslint/no-explicit-any -- JSON responses are read loosely in tests. */
import { request as httpRequest } from 'node:http';
import { loadLlamaModel, type LlamaChatBackend } from '@llama-pajamas/run-llama';
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMultimodalApp } from '../src/index.js';
import { noChatModel, smolLm2 } from './fixtures/chat.js';

const KEY = 'sk-chat';
let app: FastifyInstance;
let base: string;
let client: OpenAI;
let llm: LlamaChatBackend;

const weather = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

async function post(path: string, body: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });
  return { status: r.status, json: await r.json() };
}

describe.skipIf(noChatModel)(
  'chat endpoints with a real GGUF (SmolLM2-135M) through the OpenAI JS SDK (skipped only without the model of tools/test/setup-llm.sh, which CI installs)',
  () => {
    beforeAll(async () => {
      llm = await loadLlamaModel(smolLm2, { modelId: 'smollm2', parallel: 2, contextSize: 1024 });
      app = await createMultimodalApp({ llm, options: { apiKey: KEY, maxQueue: 2 } });
      base = await app.listen({ port: 0, host: '127.0.0.1' });
      client = new OpenAI({ apiKey: KEY, baseURL: `${base}/v1`, maxRetries: 0 });
    });
    afterAll(async () => {
      await app?.close();
      await llm?.unload();
    });

    it('lists the chat model in /v1/models and /health', async () => {
      const models = await client.models.list();
      expect(models.data.map((m) => m.id)).toEqual(['smollm2']);
      expect(models.data[0]).toMatchObject({ kind: 'llm', capabilities: ['chat'] });
      const health = (await (await fetch(`${base}/health`)).json()) as any;
      expect(health.models[0]).toMatchObject({ model: 'smollm2', kind: 'llm', loaded: true });
    });

    it('answers a plain chat', async () => {
      const r = await client.chat.completions.create({
        model: 'gpt-4o-mini', // an OpenAI name maps to the default chat model
        messages: [{ role: 'user', content: 'What is the capital of France?' }],
        max_completion_tokens: 24,
      });
      expect(r.object).toBe('chat.completion');
      expect(r.id).toMatch(/^chatcmpl-/);
      expect(r.model).toBe('smollm2');
      expect(r.choices[0]!.message.content).toMatch(/Paris/);
      expect(r.choices[0]!.finish_reason).toBe('stop');
      expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
    });

    it('streams deltas, a finish reason, usage and [DONE]', async () => {
      const stream = await client.chat.completions.create({
        model: 'smollm2',
        messages: [{ role: 'user', content: 'Name three colors.' }],
        max_tokens: 12,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      const finishes: (string | null)[] = [];
      let usage: any;
      let first: any;
      for await (const chunk of stream) {
        first ??= chunk;
        if (chunk.usage) usage = chunk.usage;
        for (const c of chunk.choices) {
          text += c.delta.content ?? '';
          finishes.push(c.finish_reason);
        }
      }
      expect(first.choices[0].delta.role).toBe('assistant');
      expect(text.length).toBeGreaterThan(0);
      expect(['stop', 'length']).toContain(finishes.at(-1));
      expect(usage.completion_tokens).toBeLessThanOrEqual(12);
      const whole = await client.chat.completions.create({
        model: 'smollm2',
        messages: [{ role: 'user', content: 'Name three colors.' }],
        max_tokens: 12,
      });
      expect(text).toBe(whole.choices[0]!.message.content);
      expect(usage).toEqual(whole.usage);
    });

    it('sends the [DONE] line on the wire', async () => {
      const r = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 3, stream: true }),
      });
      expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const body = await r.text();
      expect(body.trim().endsWith('data: [DONE]')).toBe(true);
      expect(body).not.toMatch(/"usage"/); // no include_usage: no usage field at all
    });

    it('follows a json_schema response format', async () => {
      const r = await client.chat.completions.create({
        model: 'smollm2',
        messages: [
          { role: 'developer', content: 'You answer in JSON.' },
          { role: 'user', content: 'Describe a person.' },
        ],
        max_tokens: 80,
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'person',
            strict: true,
            schema: {
              type: 'object',
              properties: { name: { type: 'string', maxLength: 20 }, age: { type: 'integer' } },
              required: ['name', 'age'],
              additionalProperties: false,
            },
          },
        },
      });
      const v = JSON.parse(r.choices[0]!.message.content!) as Record<string, unknown>;
      expect(Object.keys(v).sort()).toEqual(['age', 'name']);
      expect(Number.isInteger(v.age)).toBe(true);
      const obj = await client.chat.completions.create({
        model: 'smollm2',
        messages: [{ role: 'user', content: 'Give me a JSON object about a cat.' }],
        max_tokens: 60,
        response_format: { type: 'json_object' },
      });
      if (obj.choices[0]!.finish_reason === 'stop')
        expect(typeof JSON.parse(obj.choices[0]!.message.content!)).toBe('object');
    });

    it('round-trips a tool call (forced with tool_choice) and answers from the result', async () => {
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        { role: 'user', content: 'What is the weather in Paris?' },
      ];
      const r = await client.chat.completions.create({
        model: 'smollm2',
        messages,
        tools: [weather],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        max_tokens: 60,
      });
      const choice = r.choices[0]!;
      expect(choice.finish_reason).toBe('tool_calls');
      expect(choice.message.content).toBeNull();
      const call = choice.message.tool_calls![0]!;
      expect(call.type).toBe('function');
      if (call.type !== 'function') throw new Error('not a function call');
      expect(call.function.name).toBe('get_weather');
      expect(typeof JSON.parse(call.function.arguments).city).toBe('string');
      messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: '{"temp_c": 21, "sky": "sunny"}' });
      const answer = await client.chat.completions.create({
        model: 'smollm2',
        messages,
        tools: [weather],
        max_tokens: 40,
      });
      expect(answer.choices[0]!.finish_reason).not.toBe('tool_calls');
      expect(answer.choices[0]!.message.content!.length).toBeGreaterThan(0);
      // Streamed: the call arrives as one tool_calls delta.
      const stream = await client.chat.completions.create({
        model: 'smollm2',
        messages: messages.slice(0, 1),
        tools: [weather],
        tool_choice: 'required',
        max_tokens: 60,
        stream: true,
      });
      const deltas: any[] = [];
      let finish: string | null = null;
      for await (const c of stream) {
        for (const ch of c.choices) {
          if (ch.delta.tool_calls) deltas.push(...ch.delta.tool_calls);
          finish = ch.finish_reason ?? finish;
        }
      }
      expect(finish).toBe('tool_calls');
      expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather' } });
    });

    it('serves /v1/completions for prompt-only clients', async () => {
      const r = await client.completions.create({
        model: 'smollm2',
        prompt: 'The capital of France is',
        max_tokens: 4,
      });
      expect(r.object).toBe('text_completion');
      expect(r.choices[0]!.text).toMatch(/Paris/);
      expect(r.usage!.completion_tokens).toBeGreaterThan(0);
      const stream = await client.completions.create({
        model: 'smollm2',
        prompt: 'One, two,',
        max_tokens: 5,
        stream: true,
      });
      let text = '';
      for await (const c of stream) text += c.choices[0]?.text ?? '';
      expect(text.length).toBeGreaterThan(0);
    });

    it('answers hostile requests with 4xx envelopes', async () => {
      const cases: [unknown, number, RegExp][] = [
        [{ messages: [] }, 400, /non-empty array/],
        [{ messages: [{ role: 'wizard', content: 'x' }] }, 400, /messages\[0\]\.role is "wizard"/],
        [
          { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] },
          400,
          /only text parts/,
        ],
        [
          { messages: [{ role: 'tool', tool_call_id: 'call_x', content: 'r' }] },
          400,
          /no assistant tool call with id 'call_x'/,
        ],
        [
          { messages: [{ role: 'user', content: 'hi' }], max_tokens: 10_000_000 },
          400,
          /Lower max_tokens to at most \d+/,
        ],
        [{ messages: [{ role: 'user', content: 'hello '.repeat(3000) }] }, 400, /context holds 1024 tokens/],
        [{ messages: [{ role: 'user', content: 'hi' }], n: 2 }, 400, /only n = 1/],
        [{ messages: [{ role: 'user', content: 'hi' }], logprobs: true }, 400, /no token probabilities/],
        [{ messages: [{ role: 'user', content: 'hi' }], temperature: 5 }, 400, /temperature/],
        [
          {
            messages: [{ role: 'user', content: 'hi' }],
            response_format: {
              type: 'json_schema',
              json_schema: { name: 'x', schema: { type: 'string', pattern: '^a' } },
            },
          },
          400,
          /'pattern' at #\/pattern/,
        ],
        [
          {
            messages: [{ role: 'user', content: 'hi' }],
            response_format: {
              type: 'json_schema',
              json_schema: { name: 'x', schema: { type: 'object', properties: { a: { $ref: '#/nope' } } } },
            },
          },
          400,
          /\$ref/,
        ],
        [{ messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function' }] }, 400, /tools\[0\] must be/],
        [
          {
            messages: [{ role: 'user', content: 'hi' }],
            tools: [{ type: 'function', function: { name: 'bad name!' } }],
          },
          400,
          /tools\[0\]\.name/,
        ],
        [
          {
            messages: [{ role: 'user', content: 'hi' }],
            tools: [weather],
            tool_choice: { type: 'function', function: { name: 'other' } },
          },
          400,
          /not one of the tools/,
        ],
        [
          { messages: [{ role: 'user', content: 'hi' }], tools: [weather], response_format: { type: 'json_object' } },
          400,
          /grammar and offer functions/,
        ],
        [{ model: 'nope', messages: [{ role: 'user', content: 'hi' }] }, 404, /does not exist/],
        [{ messages: 'hi' }, 400, /messages/],
      ];
      for (const [body, status, message] of cases) {
        const r = await post('/v1/chat/completions', body);
        expect(r.status, JSON.stringify(body).slice(0, 120)).toBe(status);
        expect(r.json.error.message, JSON.stringify(body).slice(0, 120)).toMatch(message);
        expect(r.json.error.type).toBeTypeOf('string');
      }
      const c = await post('/v1/completions', { prompt: 'x', echo: true });
      expect(c.status).toBe(400);
      expect(c.json.error.param).toBe('echo');
    });

    it('frees the sequence when a client disconnects mid-stream; every sequence still works after', async () => {
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest(`${base}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        });
        req.on('response', (res) => {
          let seen = 0;
          res.on('data', () => {
            if (++seen === 3) {
              req.destroy();
              resolve();
            }
          });
        });
        req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(e)));
        req.end(
          JSON.stringify({
            messages: [{ role: 'user', content: 'Write a very long story.' }],
            max_tokens: 400,
            stream: true,
          }),
        );
      });
      for (let i = 0; i < 100 && llm.activeRequests > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(llm.activeRequests).toBe(0);
      const both = await Promise.all(
        [0, 1].map(() =>
          client.chat.completions.create({
            model: 'smollm2',
            messages: [{ role: 'user', content: 'Say hi.' }],
            max_tokens: 6,
          }),
        ),
      );
      expect(both.every((r) => r.usage!.completion_tokens > 0)).toBe(true);
    });

    it('does not cut a stream that outlives the request timeout (streams time silence)', async () => {
      // The limit must sit between the longest silence of a stream (the first token, or a gap between tokens) and
      // the whole stream, whatever the machine's speed or load: measure one stream first, then take the geometric
      // mean of the two (a stream of 120 tokens puts a factor of several between it and each side).
      const body = JSON.stringify({
        messages: [{ role: 'user', content: 'Write a long story.' }],
        max_tokens: 120,
        stream: true,
      });
      const stream = async (url: string): Promise<{ text: string; total: number; silence: number }> => {
        const t0 = performance.now();
        const r = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        let last = t0;
        let silence = 0;
        let text = '';
        const decoder = new TextDecoder();
        for await (const chunk of r.body as AsyncIterable<Uint8Array>) {
          const now = performance.now();
          silence = Math.max(silence, now - last);
          last = now;
          text += decoder.decode(chunk, { stream: true });
        }
        return { text, total: performance.now() - t0, silence };
      };
      const open = await createMultimodalApp({ llm });
      const probe = await stream(await open.listen({ port: 0, host: '127.0.0.1' })).finally(() => open.close());
      const limit = Math.round(Math.sqrt(probe.silence * probe.total));
      if (limit < 2 * probe.silence) return; // too few chunks to tell silence from length on this machine
      const short = await createMultimodalApp({ llm, options: { requestTimeoutMs: limit } });
      try {
        const r = await stream(await short.listen({ port: 0, host: '127.0.0.1' }));
        if (r.total <= limit) return; // finished within the limit: proves nothing here
        expect(r.text).toMatch(/"finish_reason":"(length|stop)"/);
        expect(r.text.trim().endsWith('data: [DONE]')).toBe(true);
        expect(r.text).not.toMatch(/"error"/);
      } finally {
        await short.close();
      }
    });

    it('queues past the sequences and refuses past the queue with 429', async () => {
      const body = { messages: [{ role: 'user', content: 'Count to twenty.' }], max_tokens: 24 };
      const results = await Promise.all(Array.from({ length: 6 }, () => post('/v1/chat/completions', body)));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]); // 2 sequences + 2 waiting
      expect(results.find((r) => r.status === 429)!.json.error.type).toBe('rate_limit_error');
    });
  },
);
