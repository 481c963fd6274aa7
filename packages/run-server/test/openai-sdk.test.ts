/* eslint-disable @typescript-eslint/no-explicit-any -- JSON responses are read loosely in tests. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import decodeAudio from '@audio/decode';
import type { FastifyInstance } from 'fastify';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAudioEncoder, createMultimodalApp, hasFfmpeg, PCM_SAMPLE_RATE } from '../src/index.js';
import { loadTestBackends } from './fixtures/backends.js';
import { fixtures } from './fixtures/index.js';

const KEY = 'sk-test-local';
let app: FastifyInstance;
let base: string;
let client: OpenAI;

beforeAll(async () => {
  const b = await loadTestBackends();
  app = await createMultimodalApp({ vision: b.vision, stt: b.stt, tts: b.tts, options: { apiKey: KEY } });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  client = new OpenAI({ apiKey: KEY, baseURL: `${base}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await app?.close();
});

const wav = (): Buffer => readFileSync(fixtures.speech0880);
const speechFile = async () => toFile(wav(), 'speech.wav', { type: 'audio/wav' });

describe('audio transcriptions through the openai SDK', () => {
  it('json', async () => {
    const r = await client.audio.transcriptions.create({ file: await speechFile(), model: 'whisper-1' });
    expect(typeof r.text).toBe('string');
  });
  it('text, srt and vtt', async () => {
    const text = await client.audio.transcriptions.create({
      file: await speechFile(),
      model: 'whisper-1',
      response_format: 'text',
    });
    expect(typeof text).toBe('string');
    const srt = await client.audio.transcriptions.create({
      file: await speechFile(),
      model: 'whisper-1',
      response_format: 'srt',
    });
    expect(srt).toMatch(/^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n/);
    const vtt = await client.audio.transcriptions.create({
      file: await speechFile(),
      model: 'whisper-1',
      response_format: 'vtt',
    });
    expect(vtt).toMatch(/^WEBVTT\n\n\d\d:\d\d:\d\d\.\d{3} --> /);
  });
  it('verbose_json with words and segments (OpenAI field names)', async () => {
    const r = await client.audio.transcriptions.create({
      file: await speechFile(),
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
      language: 'en',
    });
    expect((r as unknown as { task: string }).task).toBe('transcribe');
    expect(r.language).toBe('english');
    expect(r.duration).toBeCloseTo(2.99, 1);
    expect(r.segments?.length).toBeGreaterThan(0);
    const s = r.segments![0]!;
    expect(Object.keys(s).sort()).toEqual([
      'avg_logprob',
      'compression_ratio',
      'end',
      'id',
      'no_speech_prob',
      'seek',
      'start',
      'temperature',
      'text',
      'tokens',
    ]);
    expect(Array.isArray(r.words)).toBe(true);
    for (const w of r.words!) expect(Object.keys(w).sort()).toEqual(['end', 'start', 'word']);
  });
  it('streams transcript.text.delta then transcript.text.done', async () => {
    const stream = await client.audio.transcriptions.create({
      file: await speechFile(),
      model: 'whisper-1',
      stream: true,
    });
    const events: { type: string; delta?: string; text?: string }[] = [];
    for await (const e of stream) events.push(e);
    expect(events.at(-1)?.type).toBe('transcript.text.done');
    const deltas = events
      .filter((e) => e.type === 'transcript.text.delta')
      .map((e) => e.delta)
      .join('');
    expect(deltas.trim()).toBe(events.at(-1)!.text!.trim());
  });
  it('translations', async () => {
    const r = await client.audio.translations.create({
      file: await speechFile(),
      model: 'whisper-1',
      response_format: 'verbose_json',
    });
    expect(r.text.length).toBeGreaterThanOrEqual(0);
    expect((r as unknown as { task: string }).task).toBe('translate');
  });
});

describe('audio speech through the openai SDK', () => {
  const input = 'Hello there. This is a test of the speech endpoint!';
  for (const format of ['mp3', 'opus', 'flac', 'wav'] as const) {
    it(`${format}: decodes to audio of a plausible length`, async () => {
      const res = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input, response_format: format });
      expect(res.headers.get('content-type')).toMatch(/^audio\//);
      const bytes = new Uint8Array(await res.arrayBuffer());
      const audio = await decodeAudio(bytes);
      const seconds = audio.channelData[0]!.length / audio.sampleRate;
      expect(audio.sampleRate).toBe(format === 'opus' ? 48000 : 22050);
      expect(seconds).toBeGreaterThan(0.3);
      expect(seconds).toBeLessThan(30);
    });
  }
  it('pcm is raw 24 kHz s16le (exact length from the encoder, plausible length over HTTP)', async () => {
    // The voice's noise makes each synthesis a little different in length, so the exact check is on the encoder.
    const tone = new Float32Array(22050).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 22050));
    const enc = await createAudioEncoder('pcm', 22050);
    const bytes = Buffer.concat([await enc.push(tone), await enc.end()]);
    expect(bytes.byteLength).toBe(2 * PCM_SAMPLE_RATE);
    const back = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
    expect(Math.max(...back) / 32767).toBeCloseTo(0.5, 1);
    const res = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input, response_format: 'pcm' });
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.byteLength % 2).toBe(0);
    expect(body.byteLength / 2 / PCM_SAMPLE_RATE).toBeGreaterThan(0.3);
  });
  // CI installs Debian's ffmpeg (tools/test/setup-test-deps.sh); without it this test is skipped and says so.
  it.runIf(hasFfmpeg('ffmpeg'))('aac through ffmpeg decodes at the voice rate [needs ffmpeg on PATH]', async () => {
    const res = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input, response_format: 'aac' });
    expect(res.headers.get('content-type')).toMatch(/audio\/aac/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    // ffprobe reads the ADTS header; @audio/decode's AAC decoder reports twice the rate (it assumes SBR) with
    // twice the samples, so only the duration is taken from it.
    const probe = execFileSync(
      'ffprobe',
      ['-v', 'error', '-show_entries', 'stream=codec_name,sample_rate,channels', '-of', 'json', '-'],
      {
        input: bytes,
        encoding: 'utf8',
      },
    );
    expect(JSON.parse(probe).streams[0]).toMatchObject({ codec_name: 'aac', sample_rate: '22050', channels: 1 });
    const audio = await decodeAudio(bytes);
    expect(audio.channelData[0]!.length / audio.sampleRate).toBeGreaterThan(0.3);
  });
  it('aac without ffmpeg answers 501 and names the fix', async () => {
    const b = await loadTestBackends();
    const noFfmpeg = await createMultimodalApp({ tts: b.tts, options: { ffmpegPath: false } });
    try {
      const res = await noFfmpeg.inject({
        method: 'POST',
        url: '/v1/audio/speech',
        payload: { model: 'tts-1', voice: 'alloy', input, response_format: 'aac' },
      });
      expect(res.statusCode).toBe(501);
      expect(res.json()).toMatchObject({
        error: { type: expect.any(String), message: expect.stringMatching(/ffmpeg/) },
      });
    } finally {
      await noFfmpeg.close();
    }
  });
  it('speed changes the length; unknown voices are 400', async () => {
    const a = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input, response_format: 'pcm' });
    const b = await client.audio.speech.create({
      model: 'tts-1',
      voice: 'alloy',
      input,
      response_format: 'pcm',
      speed: 2,
    });
    const la = (await a.arrayBuffer()).byteLength;
    const lb = (await b.arrayBuffer()).byteLength;
    expect(lb).toBeLessThan(la * 0.8);
    await expect(client.audio.speech.create({ model: 'tts-1', voice: 'nobody-here', input })).rejects.toMatchObject({
      status: 400,
    });
  });
  it('stream_format audio sends chunked audio that decodes', async () => {
    const res = await client.audio.speech.create({
      model: 'tts-1',
      voice: 'alloy',
      input,
      response_format: 'mp3',
      stream_format: 'audio',
    });
    const audio = await decodeAudio(new Uint8Array(await res.arrayBuffer()));
    expect(audio.channelData[0]!.length / audio.sampleRate).toBeGreaterThan(0.3);
  });
  it('stream_format sse sends speech.audio.delta (base64) and speech.audio.done', async () => {
    const res = await fetch(`${base}/v1/audio/speech`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tts-1', voice: 'alloy', input, response_format: 'pcm', stream_format: 'sse' }),
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = (await res.text())
      .split('\n\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l.replace(/^data: /, '')) as { type: string; audio?: string });
    expect(events.at(-1)?.type).toBe('speech.audio.done');
    const pcm = Buffer.concat(
      events.filter((e) => e.type === 'speech.audio.delta').map((e) => Buffer.from(e.audio!, 'base64')),
    );
    expect(pcm.byteLength / 2 / PCM_SAMPLE_RATE).toBeGreaterThan(0.3);
  });
});

describe('models, embeddings, images', () => {
  it('models.list lists every served model with capabilities', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['yolox', 'whisper', 'piper']));
  });
  it('images/detect finds the dog in dog.jpg (boxes in source pixels)', async () => {
    const image = readFileSync(fixtures.dog).toString('base64');
    const res = await fetch(`${base}/v1/images/detect`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ image, model: 'yolox' }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      object: string;
      model: string;
      data: { width: number; height: number; detections: { class_name: string; box: { x2: number } }[] }[];
    };
    expect(body.object).toBe('list');
    expect(body.data[0]!.width).toBe(768);
    expect(body.data[0]!.height).toBe(576);
    expect(body.data[0]!.detections.map((d) => d.class_name)).toContain('dog');
  });
  it('embeddings.create on the CLIP-style model, float and base64 (the SDK default)', async () => {
    const f = await client.embeddings.create({
      model: 'clip',
      input: ['a photo of a cat', 'a dog'],
      encoding_format: 'float',
    });
    expect(f.data).toHaveLength(2);
    const v = f.data[0]!.embedding;
    expect(Math.hypot(...v)).toBeCloseTo(1, 4);
    const b = await client.embeddings.create({ model: 'clip', input: 'a photo of a cat' });
    expect(b.data[0]!.embedding.length).toBe(v.length);
    b.data[0]!.embedding.forEach((x, i) => expect(x).toBeCloseTo(v[i]!, 5));
  });
  const post = async (path: string, body: unknown): Promise<{ status: number; body: Record<string, any> }> => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  it('images/classify: malamute for dog.jpg, bald eagle for eagle.jpg (a batch, data URL + base64)', async () => {
    const dog = `data:image/jpeg;base64,${readFileSync(fixtures.dog).toString('base64')}`;
    const eagle = readFileSync(fixtures.eagle).toString('base64');
    const r = await post('/v1/images/classify', { model: 'mobilenet', image: [dog, eagle], top_k: 3 });
    expect(r.status).toBe(200);
    expect(r.body.data).toHaveLength(2);
    expect(r.body.data[0].predictions[0].class_id).toBe(249);
    expect(r.body.data[1].predictions[0].class_id).toBe(22);
    expect(r.body.data[0].predictions).toHaveLength(3);
  });
  it('images/embed: image embeddings, and CLIP text via input', async () => {
    const dog = readFileSync(fixtures.dog).toString('base64');
    const r = await post('/v1/images/embed', { model: 'mobilenet-embed', image: dog });
    expect(r.status).toBe(200);
    expect(r.body.data[0].embedding).toHaveLength(1280);
    const t = await post('/v1/images/embed', { model: 'clip', input: ['a cat'] });
    expect(t.status).toBe(200);
    expect(t.body.data[0].source).toBe('text');
    const z = await post('/v1/images/classify', { model: 'clip', image: dog, labels: ['cat', 'dog'] });
    expect(z.status).toBe(200);
    expect(z.body.data[0].predictions).toHaveLength(2);
  });
  it('health lists every backend as loaded', async () => {
    const h = (await (await fetch(`${base}/health`)).json()) as {
      models: { model: string; loaded: boolean; busy: boolean }[];
    };
    expect(h.models.every((m) => m.loaded)).toBe(true);
  });
});
