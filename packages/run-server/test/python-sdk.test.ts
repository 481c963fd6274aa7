/* eslint-disable @typescript-eslint/no-explicit-any -- JSON responses are read loosely in tests. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMultimodalApp } from '../src/index.js';
import { loadTestBackends } from './fixtures/backends.js';
import { fixtures } from './fixtures/index.js';

const python = fileURLToPath(new URL('../.venv/bin/python', import.meta.url));
const script = fileURLToPath(new URL('./python/check_openai_sdk.py', import.meta.url));
const hasVenv = existsSync(python);

describe.runIf(hasVenv)(
  'the official OpenAI Python SDK (skipped when packages/run-server/.venv is missing: run test/python/setup.sh)',
  () => {
    let app: FastifyInstance;
    let url: string;
    beforeAll(async () => {
      const b = await loadTestBackends();
      app = await createMultimodalApp({ vision: b.vision, stt: b.stt, tts: b.tts, options: { apiKey: 'sk-py' } });
      url = await app.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(async () => {
      await app?.close();
    });

    it('transcribes, translates, streams, speaks and embeds', async () => {
      const { stdout } = await promisify(execFile)(python, [script], {
        env: {
          ...process.env,
          LLAMA_PAJAMAS_URL: url,
          LLAMA_PAJAMAS_API_KEY: 'sk-py',
          SPEECH_WAV: fixtures.speech0880,
        },
        timeout: 240_000,
      });
      const seen = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;
      expect(seen.models).toEqual(expect.arrayContaining(['whisper', 'piper', 'yolox']));
      expect(seen.json_text_type).toBe('str');
      expect(seen.verbose.task).toBe('transcribe');
      expect(seen.verbose.duration).toBeCloseTo(2.99, 1);
      expect(seen.srt_starts).toBe('1\n');
      expect(seen.stream_last).toBe('transcript.text.done');
      expect(seen.translation_type).toBe('str');
      expect(seen.speech_wav.riff).toBe('RIFF');
      expect(seen.speech_wav.bytes).toBeGreaterThan(1000);
      expect(seen.embeddings.n).toBe(2);
      expect(seen.embeddings_base64_dims).toBe(seen.embeddings.dims);
      expect(seen.too_long).toBe(400);
    }, 300_000);
  },
);
