import { readFileSync } from 'node:fs';
import {
  listBackends,
  loadSpeechToText,
  registerBackend,
  type Backend,
  type InferenceSession,
  type ModelSource,
  type SessionOptions,
  type WhisperSpeechToText,
} from '@llama-pajamas/run-core';
import { defaultVadModelPath, onnxBackend } from '@llama-pajamas/run-onnx';
import type { FastifyInstance } from 'fastify';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMultimodalApp } from '../src/index.js';
import { fixtures } from './fixtures/index.js';

// Concurrent transcriptions on one served model go through the micro-batcher into batchTranscribe: real Whisper
// models on onnxruntime, real speech, a real server on loopback. Every response must be byte for byte the one the
// same request gets alone; the session counts show what was shared.

/** Runs of each session, by the file it was opened from, and the batch dims they saw. */
const runs = new Map<string, { calls: number; batches: number[] }>();

function counted(name: string, session: InferenceSession): InferenceSession {
  return new Proxy(session, {
    get(target, prop, receiver) {
      if (prop === 'run') {
        return (feeds: Record<string, { dims: readonly number[] }>, options?: unknown) => {
          const entry = runs.get(name) ?? { calls: 0, batches: [] };
          entry.calls++;
          entry.batches.push(Number(Object.values(feeds)[0]?.dims[0] ?? 0));
          runs.set(name, entry);
          return target.run(feeds as never, options as never);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** onnxruntime, with every session's runs counted (the seam the loaders open sessions through). */
const countedOnnx: Backend = {
  init: onnxBackend.init.bind(onnxBackend),
  files: onnxBackend.files,
  async createSession(model: ModelSource, options?: SessionOptions): Promise<InferenceSession> {
    // Sessions opened from bytes (the rewritten Whisper decoder) carry their file's name in `options.name`.
    const name = typeof model === 'string' ? (model.split('/').pop() as string) : (options?.name ?? 'bytes');
    return counted(name, await onnxBackend.createSession(model, options));
  },
};

function encoderRuns(): { calls: number; batches: number[] } {
  const e = [...runs.entries()].find(([n]) => n.startsWith('encoder_model'));
  return e ? { calls: e[1].calls, batches: [...e[1].batches] } : { calls: 0, batches: [] };
}
function decoderCalls(): number {
  return [...runs.entries()].filter(([n]) => n.startsWith('decoder_model')).reduce((n, [, e]) => n + e.calls, 0);
}

const clips = ['0870', '0880', '0890', '0920'].map((n) => readFileSync(fixtures.speech0880.replace('0880', n)));

let real: WhisperSpeechToText;
let random: WhisperSpeechToText;
let app: FastifyInstance;
let base: string;
let small: FastifyInstance;
let smallBase: string;

beforeAll(async () => {
  if (!listBackends().includes('counted-onnx')) registerBackend('counted-onnx', countedOnnx, -1);
  // What `llama-pajamas serve --stt whisper-tiny.en-int8` loads: int8 weights, the bundled Silero VAD on.
  real = await loadSpeechToText(`${fixtures.toolsModels}whisper-tiny.en-int8`, {
    runtime: 'counted-onnx',
    dtype: 'int8',
    vad: defaultVadModelPath(),
    session: { intraOpThreads: 1 },
  });
  // float32 (multilingual, random weights: greedy and a short cap keep decoding short).
  random = await loadSpeechToText(`${fixtures.toolsModels}whisper-tiny`, {
    runtime: 'counted-onnx',
    vad: defaultVadModelPath(),
    defaults: { temperature: 0, maxNewTokens: 24 },
    session: { intraOpThreads: 1 },
  });
  app = await createMultimodalApp({ stt: { 'tiny.en': real, tiny: random } });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  small = await createMultimodalApp({ stt: { tiny: random }, options: { microBatch: { maxBatch: 2 } } });
  smallBase = await small.listen({ port: 0, host: '127.0.0.1' });
}, 180_000);
afterAll(async () => {
  await app?.close();
  await small?.close();
});

interface Req {
  clip: Buffer;
  model: string;
  fields?: Record<string, string>;
  url?: string;
  signal?: AbortSignal;
  server?: string;
}

async function post(r: Req): Promise<{ status: number; body: string }> {
  const form = new FormData();
  form.append('file', new Blob([r.clip], { type: 'audio/wav' }), 'speech.wav');
  form.append('model', r.model);
  for (const [k, v] of Object.entries(r.fields ?? {})) form.append(k, v);
  const res = await fetch(`${r.server ?? base}${r.url ?? '/v1/audio/transcriptions'}`, {
    method: 'POST',
    body: form,
    ...(r.signal ? { signal: r.signal } : {}),
  });
  return { status: res.status, body: await res.text() };
}

async function oneByOne(reqs: readonly Req[]): Promise<{ status: number; body: string }[]> {
  const out: { status: number; body: string }[] = [];
  for (const r of reqs) out.push(await post(r));
  return out;
}

describe('concurrent transcriptions share runs and answer as if alone', () => {
  it('float32: 4 concurrent requests (every response_format) equal 4 sequential ones, with fewer encoder and decoder runs', async () => {
    const formats = ['json', 'verbose_json', 'text', 'srt', 'vtt'];
    const reqs: Req[] = [...clips, clips[0] as Buffer].map((clip, i) => ({
      clip,
      model: 'tiny',
      fields: { response_format: formats[i % formats.length] as string, language: 'en' },
    }));
    // First the check of batched rows against single runs (once per model).
    await Promise.all(reqs.map(post));
    expect(random.pipeline.batchVerdict).toEqual({ encoder: true, decoder: true });
    runs.clear();
    const alone = await oneByOne(reqs);
    const seqEncoder = encoderRuns();
    const seqDecoder = decoderCalls();
    runs.clear();
    const together = await Promise.all(reqs.map(post));
    const enc = encoderRuns();
    expect(together).toEqual(alone);
    expect(alone.every((r) => r.status === 200)).toBe(true);
    expect(enc.calls).toBeLessThan(seqEncoder.calls);
    expect(Math.max(...enc.batches)).toBeGreaterThan(1);
    expect(decoderCalls()).toBeLessThan(seqDecoder);
    expect(Math.max(...seqEncoder.batches)).toBe(1);
  }, 180_000);

  it('int8 (dynamically quantized: batched rows differ) keeps every response unchanged by running one by one', async () => {
    const reqs: Req[] = clips.map((clip) => ({ clip, model: 'tiny.en', fields: { response_format: 'verbose_json' } }));
    const alone = await oneByOne(reqs);
    const together = await Promise.all(reqs.map(post));
    expect(together).toEqual(alone);
    expect(JSON.parse(alone[1]?.body as string).text).toMatch(/young man/);
    // The first batch was checked against single runs and found to differ: no more batched runs for this model.
    expect(real.pipeline.batchVerdict).toEqual({ encoder: false, decoder: false });
    runs.clear();
    await Promise.all(reqs.slice(0, 2).map(post));
    expect(Math.max(...encoderRuns().batches)).toBe(1);
  }, 300_000);

  it('translations batch too, through the openai SDK', async () => {
    const client = new OpenAI({ apiKey: 'x', baseURL: `${base}/v1`, maxRetries: 0 });
    const send = async (clip: Buffer) =>
      (
        await client.audio.translations.create({
          file: await toFile(clip, 'speech.wav', { type: 'audio/wav' }),
          model: 'tiny',
          response_format: 'verbose_json',
        })
      ).text;
    const alone: string[] = [];
    for (const c of clips) alone.push(await send(c));
    runs.clear();
    const together = await Promise.all(clips.map(send));
    expect(together).toEqual(alone);
    expect(Math.max(...encoderRuns().batches)).toBeGreaterThan(1);
  }, 180_000);

  it('requests with other options go in other groups; a bad upload fails alone', async () => {
    const reqs: Req[] = [
      { clip: clips[0] as Buffer, model: 'tiny', fields: { language: 'en' } },
      { clip: clips[1] as Buffer, model: 'tiny', fields: { language: 'en', prompt: 'Dashwood' } },
      { clip: clips[2] as Buffer, model: 'tiny', fields: { language: 'en' } },
      { clip: Buffer.from('RIFF....WAVEjunk'), model: 'tiny', fields: { language: 'en' } },
      { clip: clips[3] as Buffer, model: 'tiny', fields: { language: 'en' } },
    ];
    const alone = await oneByOne(reqs);
    const together = await Promise.all(reqs.map(post));
    expect(together).toEqual(alone);
    expect(together.map((r) => r.status)).toEqual([200, 200, 200, 415, 200]);
  }, 180_000);

  it('a batch holds at most maxBatch requests; aborting one request does not hurt the others', async () => {
    const reqs: Req[] = [...clips, ...clips].map((clip) => ({
      clip,
      model: 'tiny',
      server: smallBase,
      fields: { language: 'en', response_format: 'verbose_json' },
    }));
    const alone = await oneByOne(reqs.slice(0, 4));
    runs.clear();
    const controller = new AbortController();
    const victim = post({ ...(reqs[2] as Req), signal: controller.signal }).catch((e: unknown) => e);
    const others = Promise.all(reqs.filter((_, i) => i !== 2).map(post));
    setTimeout(() => controller.abort(), 30);
    const [aborted, rest] = await Promise.all([victim, others]);
    expect((aborted as Error).name).toBe('AbortError');
    expect(rest.map((r) => r.body)).toEqual([0, 1, 3, 0, 1, 2, 3].map((i) => alone[i]?.body));
    const batches = encoderRuns().batches;
    expect(Math.max(...batches)).toBe(2);
    // The server is still answering normally.
    expect((await post(reqs[2] as Req)).body).toBe(alone[2]?.body);
  }, 180_000);
});
