import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  AudioUnsupportedFormatError,
  decodeAudio,
  InvalidArgumentError,
  ModelNotFoundError,
  resample,
  toMono,
  TTSBackend,
  type SpeechChunk,
  type TranscriptionEvent,
  type WhisperSpeechToText,
} from '@llama-pajamas/run-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadSpeechToText,
  loadSpeechToTextInWorkers,
  loadTextToSpeech,
  loadTextToSpeechInWorkers,
} from '../src/index.js';
import type { WorkerSpeechToText, WorkerTextToSpeech } from '@llama-pajamas/run-core/workers';

// run-onnx's loaders in worker threads against the same loaders in-process: the real int8 Whisper tiny.en with the
// bundled VAD, real speech, and the real en_US-joe-medium voice with its noise off (the graph's RandomNormalLike
// makes every synthesis differ otherwise). Results must be identical.

const root = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const whisper = root('tools/fixtures/models/whisper-tiny.en-int8');
const voice = root('.cache/voices/en_US-joe-medium/en_US-joe-medium.onnx');
const clip = readFileSync(root('.cache/test-media/speech/sense_and_sensibility_01_austen_64kb-0880.wav'));
const deterministic = { noiseScale: 0, noiseW: 0 } as const;

let stt: WorkerSpeechToText;
let local: WhisperSpeechToText;
let tts: WorkerTextToSpeech;
beforeAll(async () => {
  [stt, local, tts] = await Promise.all([
    loadSpeechToTextInWorkers(whisper, { workers: 1, dtype: 'int8', intraOpThreads: 1 }),
    loadSpeechToText(whisper, { dtype: 'int8', intraOpThreads: 1 }),
    loadTextToSpeechInWorkers(voice, { workers: 1, intraOpThreads: 1 }),
  ]);
}, 300_000);
afterAll(async () => {
  await Promise.all([stt?.unload(), local?.unload(), tts?.unload()]);
});

/** Mono 16 kHz samples of the clip, in one-second chunks (what the server's streaming route feeds). */
async function* seconds(samples: Float32Array): AsyncGenerator<Float32Array> {
  for (let i = 0; i < samples.length; i += 16000) yield await Promise.resolve(samples.slice(i, i + 16000));
}

describe('Whisper in a worker thread', () => {
  it('streams the same events as in-process', async () => {
    const decoded = await decodeAudio(clip);
    const samples = resample(toMono(decoded.channels), decoded.sampleRate, 16000);
    const collect = async (it: AsyncIterable<TranscriptionEvent>) => {
      const out: TranscriptionEvent[] = [];
      for await (const e of it) out.push(e);
      return JSON.stringify(out);
    };
    const hosted = await collect(stt.transcribeStreaming(seconds(samples), { sampleRate: 16000 }));
    expect(hosted).toBe(await collect(local.transcribeStreaming(seconds(samples), { sampleRate: 16000 })));
    expect(hosted).toContain('"type":"final"');
  });

  it('batchTranscribe and word timestamps as in-process', async () => {
    const options = { wordTimestamps: true };
    expect(JSON.stringify(await stt.batchTranscribe([clip, clip], options))).toBe(
      JSON.stringify(await local.batchTranscribe([clip, clip], options)),
    );
  });

  it('errors arrive as the same classes with the same messages', async () => {
    const bad = new Uint8Array([1, 2, 3, 4]);
    const [hosted, inProcess] = await Promise.all(
      [stt.transcribe(bad), local.transcribe(bad)].map((p) => p.catch((e: unknown) => e)),
    );
    expect(inProcess).toBeInstanceOf(AudioUnsupportedFormatError);
    expect(hosted).toBeInstanceOf(AudioUnsupportedFormatError);
    expect(hosted).toMatchObject({
      code: (inProcess as AudioUnsupportedFormatError).code,
      message: (inProcess as Error).message,
      details: (inProcess as AudioUnsupportedFormatError).details,
    });
    const arg = await stt.transcribe(clip, { beamSize: -1 }).catch((e: unknown) => e);
    expect(arg).toBeInstanceOf(InvalidArgumentError);
    const missing = await loadSpeechToTextInWorkers(root('no/such/model'), { workers: 1 }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ModelNotFoundError);
  });
});

describe('Piper in a worker thread', () => {
  it('speaks the same samples as in-process, whole and streamed', async () => {
    expect(tts).toBeInstanceOf(TTSBackend);
    const inProcess = await loadTextToSpeech(voice, { intraOpThreads: 1 });
    try {
      expect(tts.sampleRate).toBe(inProcess.sampleRate);
      expect(tts.speakerNames).toEqual(inProcess.speakerNames);
      const text = 'Worker threads speak too. Each sentence comes as it is ready!';
      const whole = await tts.synthesize(text, deterministic);
      expect(whole.samples).toEqual((await inProcess.synthesize(text, deterministic)).samples);
      const chunks: SpeechChunk[] = [];
      for await (const c of tts.synthesizeStreaming(text, deterministic)) chunks.push(c);
      const expected: SpeechChunk[] = [];
      for await (const c of inProcess.synthesizeStreaming(text, deterministic)) expected.push(c);
      expect(chunks.map((c) => c.text)).toEqual(expected.map((c) => c.text));
      chunks.forEach((c, i) => expect(c.samples).toEqual(expected[i]?.samples));
      // A reader that stops early stops the worker's stream too; the worker is free for the next call.
      for await (const c of tts.synthesizeStreaming(text, deterministic)) {
        expect(c.index).toBe(0);
        break;
      }
      expect((await tts.synthesize('Still here.', deterministic)).samples.length).toBeGreaterThan(1000);
    } finally {
      await inProcess.unload();
    }
  });
});
