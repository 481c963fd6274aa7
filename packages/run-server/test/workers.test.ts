import { readFileSync } from 'node:fs';
import { STTBackend, TTSBackend, VisionBackend } from '@llama-pajamas/run-core';
import { hostedWorkers, loadInWorkers, type WorkerSpeechToText } from '@llama-pajamas/run-core/workers';
import {
  defaultVadModelPath,
  loadSpeechToText,
  loadTextToSpeech,
  loadTextToSpeechInWorkers,
  loadVisionModel,
  loadVisionModelInWorkers,
  type LoadSpeechToTextOptions,
} from '@llama-pajamas/run-onnx';
import type { FastifyInstance } from 'fastify';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMultimodalApp } from '../src/index.js';
import { CRASH_PROMPT } from './fixtures/crashable-whisper.js';
import { fixtures } from './fixtures/index.js';

// Models hosted in worker threads behind a real server on loopback: real Whisper tiny.en int8 with the bundled
// Silero VAD (what `llama-pajamas serve --stt whisper-tiny.en-int8 --workers 2` loads), real speech, the official
// openai SDK. Every response must be byte for byte the one the in-process server gives the same request alone.

const whisper = `${fixtures.toolsModels}whisper-tiny.en-int8`;
const sttOptions: LoadSpeechToTextOptions = { dtype: 'int8', vad: defaultVadModelPath(), intraOpThreads: 1 };
const clips = ['0870', '0880', '0890', '0920'].map((n) => ({
  name: `clip-${n}.wav`,
  bytes: readFileSync(fixtures.speech0880.replace('0880', n)),
}));
const voice = new URL('../../../.cache/voices/en_US-joe-medium/en_US-joe-medium.onnx', import.meta.url).pathname;

let inProcess: FastifyInstance;
let workers: FastifyInstance;
let local: OpenAI;
let hosted: OpenAI;
let hostedBase: string;
let localBase: string;
let stt: WorkerSpeechToText;

const client = (base: string) => new OpenAI({ apiKey: 'x', baseURL: `${base}/v1`, maxRetries: 0, timeout: 600_000 });

beforeAll(async () => {
  const [real, tts, yolox] = await Promise.all([
    loadSpeechToText(whisper, sttOptions),
    loadTextToSpeech(voice, { intraOpThreads: 1 }),
    loadVisionModel(fixtures.yolox, { task: 'detect', labels: fixtures.coco80, intraOpThreads: 1 }),
  ]);
  inProcess = await createMultimodalApp({ stt: { whisper: real }, tts: { joe: tts }, vision: { yolox } });
  localBase = await inProcess.listen({ port: 0, host: '127.0.0.1' });
  local = client(localBase);
  // The worker-side loader is run-onnx's own, wrapped so that one prompt can kill the thread it runs in.
  stt = await loadInWorkers(
    'stt',
    {
      module: new URL('./fixtures/crashable-whisper.ts', import.meta.url).href,
      export: 'loadCrashableSpeechToText',
      path: whisper,
      options: sttOptions,
    },
    { workers: 2 },
  );
  const [wtts, wyolox] = await Promise.all([
    loadTextToSpeechInWorkers(voice, { workers: 1, intraOpThreads: 1 }),
    loadVisionModelInWorkers(fixtures.yolox, {
      workers: 2,
      task: 'detect',
      labels: fixtures.coco80,
      intraOpThreads: 1,
    }),
  ]);
  expect(stt).toBeInstanceOf(STTBackend);
  expect(wtts).toBeInstanceOf(TTSBackend);
  expect(wyolox).toBeInstanceOf(VisionBackend);
  workers = await createMultimodalApp({ stt: { whisper: stt }, tts: { joe: wtts }, vision: { yolox: wyolox } });
  hostedBase = await workers.listen({ port: 0, host: '127.0.0.1' });
  hosted = client(hostedBase);
}, 300_000);
afterAll(async () => {
  await workers?.close();
  await inProcess?.close();
  await stt?.unload();
});

async function transcribe(c: OpenAI, clip: (typeof clips)[number], signal?: AbortSignal): Promise<string> {
  const r = await c.audio.transcriptions.create(
    {
      file: await toFile(clip.bytes, clip.name, { type: 'audio/wav' }),
      model: 'whisper',
      response_format: 'verbose_json',
    },
    signal ? { signal } : {},
  );
  return JSON.stringify(r);
}

async function health(): Promise<{ models: { model: string; running: number; workers?: Record<string, number> }[] }> {
  return (await fetch(`${hostedBase}/health`)).json() as Promise<never>;
}

/** Polls `/health` (no time limit of its own) until the whisper model's `workers` field passes `check`. */
async function untilWorkers(check: (workers: Record<string, number>) => boolean): Promise<void> {
  for (;;) {
    const w = (await health()).models.find((m) => m.model === 'whisper')?.workers;
    if (w && check(w)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('speech-to-text in worker threads', () => {
  const alone = new Map<string, string>();
  beforeAll(async () => {
    for (const clip of clips) alone.set(clip.name, await transcribe(local, clip));
  }, 300_000);

  it('4 concurrent requests give the responses the in-process server gives each alone, byte for byte', async () => {
    const got = await Promise.all(clips.map((clip) => transcribe(hosted, clip)));
    clips.forEach((clip, i) => expect(got[i]).toBe(alone.get(clip.name)));
    const h = (await health()).models.find((m) => m.model === 'whisper');
    expect(h?.workers).toEqual({ count: 2, busy: 0, queued: 0, restarts: 0 });
  });

  it('/health answers while transcriptions run, and shows the busy workers', async () => {
    const clip = clips[3] as (typeof clips)[number];
    let settled = false;
    const running = Promise.all([transcribe(hosted, clip), transcribe(hosted, clip)]).finally(() => {
      settled = true;
    });
    let seen: Record<string, number> | undefined;
    while (!settled) {
      const h = (await health()).models.find((m) => m.model === 'whisper');
      if (!settled && h?.workers?.busy === 2) seen = h.workers;
      if (seen) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    // The event loop answered /health while both workers were busy (in-process, a run blocks it).
    expect(seen).toMatchObject({ count: 2, busy: 2 });
    expect(settled).toBe(false);
    for (const body of await running) expect(body).toBe(alone.get(clip.name));
  });

  it('aborting one request does not change the others', async () => {
    const controller = new AbortController();
    const others = clips.slice(0, 3).map((clip) => transcribe(hosted, clip));
    const aborted = transcribe(hosted, clips[3] as (typeof clips)[number], controller.signal).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 200);
    expect(await aborted).toBeInstanceOf(Error);
    const bodies = await Promise.all(others);
    clips.slice(0, 3).forEach((clip, i) => expect(bodies[i]).toBe(alone.get(clip.name)));
    // The server's own abort reached the worker: both are idle again, none was replaced.
    await untilWorkers((w) => w.busy === 0);
    expect(hostedWorkers(stt)).toMatchObject({ workers: 2, restarts: 0 });
  });

  it('a worker that dies fails its request with 503 ERR_RUN_WORKER_EXITED; the others and later ones are served', async () => {
    const clip = clips[0] as (typeof clips)[number];
    const other = transcribe(hosted, clips[1] as (typeof clips)[number]);
    const crash = hosted.audio.transcriptions
      .create({
        file: await toFile(clip.bytes, clip.name, { type: 'audio/wav' }),
        model: 'whisper',
        prompt: CRASH_PROMPT,
      })
      .catch((e: unknown) => e);
    const e = (await crash) as { status?: number; error?: { code?: string } };
    expect(e.status).toBe(503);
    expect(e.error?.code).toBe('ERR_RUN_WORKER_EXITED');
    expect(await other).toBe(alone.get(clips[1]?.name ?? ''));
    expect(await transcribe(hosted, clip)).toBe(alone.get(clip.name));
    await untilWorkers((w) => w.count === 2);
    expect(hostedWorkers(stt)).toMatchObject({ workers: 2, restarts: 1 });
  });

  it('streams a transcription (stream=true, server-sent events) exactly as in-process', async () => {
    const clip = clips[2] as (typeof clips)[number];
    const events = async (base: string): Promise<string> => {
      const form = new FormData();
      form.append('file', new Blob([clip.bytes], { type: 'audio/wav' }), clip.name);
      form.append('model', 'whisper');
      form.append('stream', 'true');
      return (await fetch(`${base}/v1/audio/transcriptions`, { method: 'POST', body: form })).text();
    };
    const hostedEvents = await events(hostedBase);
    expect(hostedEvents).toContain('transcript.text.done');
    expect(hostedEvents).toBe(await events(localBase));
  });
});

describe('text-to-speech and detection in worker threads', () => {
  it('speaks through a worker (a WAV at the voice’s rate)', async () => {
    const input = 'Worker threads speak too.';
    const [a = Buffer.alloc(0), b = Buffer.alloc(0)] = await Promise.all(
      [hosted, local].map(async (c) =>
        Buffer.from(
          await (
            await c.audio.speech.create({ model: 'tts-1', voice: 'alloy', input, response_format: 'wav' })
          ).arrayBuffer(),
        ),
      ),
    );
    expect(a.subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect(a.readUInt32LE(24)).toBe(b.readUInt32LE(24));
    // The voice's own noise (RandomNormalLike in the graph) changes the length a little from run to run.
    expect(Math.abs(a.length - b.length) / b.length).toBeLessThan(0.25);
  });

  it('detects with YOLOX through workers exactly as in-process, one and several images at once', async () => {
    const body = (image: string) => ({ image: readFileSync(image).toString('base64') });
    const post = async (base: string, image: string) =>
      await fetch(`${base}/v1/images/detect`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body(image)),
      }).then((r) => r.text());
    const images = [fixtures.dog, fixtures.person, fixtures.eagle];
    const expected = await Promise.all(images.map((i) => post(localBase, i)));
    const got = await Promise.all(images.map((i) => post(hostedBase, i)));
    expect(got).toEqual(expected);
    expect(JSON.parse(got[0] as string)).toMatchObject({ object: 'list' });
  });
});
