/* eslint-disable @typescript-eslint/no-explicit-any -- JSON output of the Python script is read loosely. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadLlamaModel, type LlamaChatBackend } from '@llama-pajamas/run-llama';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMultimodalApp } from '../src/index.js';
import { noChatModel, smolLm2 } from './fixtures/chat.js';

const python = fileURLToPath(new URL('../.venv/bin/python', import.meta.url));
const script = fileURLToPath(new URL('./python/check_chat_sdk.py', import.meta.url));
const skip = noChatModel || (existsSync(python) ? false : 'run packages/run-server/test/python/setup.sh');

describe.skipIf(skip)(
  'chat through the official OpenAI Python SDK (real SmolLM2-135M GGUF; skipped only without the SDK venv or the model, which CI installs)',
  () => {
    let app: FastifyInstance;
    let url: string;
    let llm: LlamaChatBackend;
    beforeAll(async () => {
      llm = await loadLlamaModel(smolLm2, { modelId: 'smollm2', parallel: 2, contextSize: 1024 });
      app = await createMultimodalApp({ llm, options: { apiKey: 'sk-py-chat' } });
      url = await app.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(async () => {
      await app?.close();
      await llm?.unload();
    });

    it('chats, streams, follows a schema, round-trips a tool call and completes', async () => {
      const { stdout } = await promisify(execFile)(python, [script], {
        env: { ...process.env, LLAMA_PAJAMAS_URL: url, LLAMA_PAJAMAS_API_KEY: 'sk-py-chat' },
        timeout: 240_000,
      });
      const seen = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;
      expect(seen.models).toEqual(['smollm2']);
      expect(seen.plain.content).toMatch(/Paris/);
      expect(seen.plain.finish).toBe('stop');
      expect(seen.stream.content).toBe(seen.plain.content);
      expect(seen.stream.finish).toBe('stop');
      expect(seen.stream.usage).toBeGreaterThan(0);
      expect(seen.json_schema_keys).toEqual(['age', 'name']);
      expect(seen.tool_call).toEqual({ finish: 'tool_calls', name: 'get_weather', args: ['city'] });
      expect(seen.tool_answer.finish).not.toBe('tool_calls');
      expect(seen.tool_answer.has_text).toBe(true);
      expect(seen.completion).toMatch(/Paris/);
      expect(seen.overflow).toBe(400);
    }, 300_000);
  },
);
