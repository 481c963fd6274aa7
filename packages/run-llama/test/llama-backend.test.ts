import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunError, type ChatTool } from '@llama-pajamas/run-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLlamaModel, type LlamaChatBackend } from '../src/index.js';
import { noModel, smolLm2 } from './fixtures/index.js';

const weather: ChatTool = {
  name: 'get_weather',
  description: 'Current weather of a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe.skipIf(noModel)(
  'LlamaChatBackend on SmolLM2-135M (real GGUF; skipped only without the model, which tools/test/setup-llm.sh fetches and CI installs)',
  () => {
    let llm: LlamaChatBackend;
    beforeAll(async () => {
      llm = await loadLlamaModel(smolLm2, { parallel: 2, contextSize: 1024 });
    });
    afterAll(async () => {
      await llm?.unload();
    });

    it('reads the chat template from the GGUF and answers', async () => {
      expect(llm.modelType).toBe('llm');
      expect(llm.modelId).toBe('SmolLM2-135M-Instruct.Q4_1');
      expect(llm.chatTemplate).toBe('ChatML');
      expect(llm.contextSize).toBe(1024);
      const r = await llm.chat([{ role: 'user', content: 'What is the capital of France?' }], { maxTokens: 24 });
      expect(r.content).toMatch(/Paris/);
      expect(r.finishReason).toBe('stop');
      expect(r.usage.promptTokens).toBe(
        llm.countChatTokens([{ role: 'user', content: 'What is the capital of France?' }]),
      );
      expect(r.usage.totalTokens).toBe(r.usage.promptTokens + r.usage.completionTokens);
    });

    it('streams text deltas that add up to the non-streamed answer, then done', async () => {
      const messages = [{ role: 'user' as const, content: 'Name three colors.' }];
      const whole = await llm.chat(messages, { maxTokens: 16 });
      const deltas = [];
      for await (const d of llm.chatStream(messages, { maxTokens: 16 })) deltas.push(d);
      const done = deltas.at(-1);
      expect(done?.type).toBe('done');
      const text = deltas.map((d) => (d.type === 'text' ? d.text : '')).join('');
      expect(text).toBe(whole.content);
      expect(deltas.filter((d) => d.type === 'text').length).toBeGreaterThan(2);
      expect(done).toMatchObject({ finishReason: whole.finishReason, usage: whole.usage });
    });

    it('follows a JSON schema (grammar-constrained)', async () => {
      const schema = {
        type: 'object',
        properties: {
          name: { type: 'string', maxLength: 20 },
          age: { type: 'integer' },
          pet: { enum: ['cat', 'dog'] },
        },
        required: ['name', 'age', 'pet'],
        additionalProperties: false,
      };
      const r = await llm.chat([{ role: 'user', content: 'Describe a person and their pet.' }], {
        maxTokens: 80,
        responseFormat: { type: 'json_schema', schema },
      });
      const v = JSON.parse(r.content!) as Record<string, unknown>;
      expect(Object.keys(v).sort()).toEqual(['age', 'name', 'pet']);
      expect(Number.isInteger(v.age)).toBe(true);
      expect(['cat', 'dog']).toContain(v.pet);
    });

    it('refuses schema features a grammar cannot enforce, naming the keyword and path', async () => {
      const e = await llm
        .chat([{ role: 'user', content: 'x' }], {
          responseFormat: {
            type: 'json_schema',
            schema: { type: 'object', properties: { id: { type: 'string', pattern: '^a' } } },
          },
        })
        .catch((x: unknown) => x);
      expect(isRunError(e, 'ERR_RUN_LLM_SCHEMA_UNSUPPORTED')).toBe(true);
      expect((e as Error).message).toMatch(/'pattern' at #\/properties\/id\/pattern/);
    });

    it('calls a tool when tool_choice forces it, and answers from the tool result', async () => {
      const ask = [{ role: 'user' as const, content: 'What is the weather in Paris?' }];
      const r = await llm.chat(ask, { maxTokens: 60, tools: [weather], toolChoice: 'required' });
      expect(r.finishReason).toBe('toolCalls');
      expect(r.content).toBeNull();
      expect(r.toolCalls).toHaveLength(1);
      const call = r.toolCalls[0]!;
      expect(call.name).toBe('get_weather');
      expect(call.id).toMatch(/^call_/);
      expect(typeof (JSON.parse(call.arguments) as { city: unknown }).city).toBe('string');
      const answer = await llm.chat(
        [
          ...ask,
          { role: 'assistant', content: null, toolCalls: r.toolCalls },
          { role: 'tool', toolCallId: call.id, content: '{"temp_c":21}' },
        ],
        { maxTokens: 40, tools: [weather] },
      );
      expect(answer.finishReason).not.toBe('toolCalls');
      expect(answer.content?.length).toBeGreaterThan(0);
    });

    it('continues a plain prompt', async () => {
      const r = await llm.complete('The capital of France is', { maxTokens: 4 });
      expect(r.text).toMatch(/Paris/);
      expect(r.usage.promptTokens).toBe(llm.countTokens('The capital of France is'));
    });

    it('refuses a conversation that does not fit, naming the limit', async () => {
      const e = await llm.chat([{ role: 'user', content: 'hello '.repeat(2000) }]).catch((x: unknown) => x);
      expect(isRunError(e, 'ERR_RUN_LLM_CONTEXT_OVERFLOW')).toBe(true);
      expect((e as Error).message).toMatch(/context holds 1024 tokens/);
      const m = await llm.chat([{ role: 'user', content: 'hi' }], { maxTokens: 5000 }).catch((x: unknown) => x);
      expect((m as Error).message).toMatch(/Lower max_tokens to at most \d+/);
    });

    it('refuses bad conversations with typed errors', async () => {
      const cases: unknown[] = [
        [],
        [{ role: 'wizard', content: 'x' }],
        [{ role: 'tool', toolCallId: 'nope', content: 'x' }],
        [{ role: 'system', content: 'only rules' }],
        [{ role: 'assistant', content: null, toolCalls: [{ id: 'a', name: 'f', arguments: '{bad' }] }],
      ];
      for (const messages of cases) {
        const e = await llm.chat(messages as never).catch((x: unknown) => x);
        expect(isRunError(e, 'ERR_RUN_LLM_INVALID_MESSAGES'), JSON.stringify(messages)).toBe(true);
      }
    });

    it('frees the sequence when a stream is aborted or left early; all sequences still work', async () => {
      const ac = new AbortController();
      let n = 0;
      const e = await (async () => {
        for await (const _ of llm.chatStream([{ role: 'user', content: 'Write a long story.' }], {
          maxTokens: 200,
          signal: ac.signal,
        })) {
          if (++n === 3) ac.abort();
        }
      })().catch((x: unknown) => x);
      expect(isRunError(e, 'ERR_RUN_ABORTED')).toBe(true);
      for await (const _ of llm.chatStream([{ role: 'user', content: 'Write a long story.' }], { maxTokens: 200 }))
        break;
      expect(llm.activeRequests).toBe(0);
      const both = await Promise.all(
        [0, 1].map(() => llm.chat([{ role: 'user', content: 'Say hi.' }], { maxTokens: 8 })),
      );
      expect(both.every((r) => r.usage.completionTokens > 0)).toBe(true);
    });
  },
);

describe('loadLlamaModel errors', () => {
  it('says when the file is missing or not a GGUF', async () => {
    const missing = await loadLlamaModel('/nonexistent/model.gguf').catch((x: unknown) => x);
    expect(isRunError(missing, 'ERR_RUN_MODEL_NOT_FOUND')).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'lp-llama-'));
    const junk = join(dir, 'junk.gguf');
    writeFileSync(junk, 'this is not a gguf file at all');
    const bad = await loadLlamaModel(junk).catch((x: unknown) => x);
    expect(isRunError(bad, 'ERR_RUN_LLAMA_MODEL_LOAD')).toBe(true);
    expect((bad as Error).message).toMatch(/junk\.gguf/);
  });
});
