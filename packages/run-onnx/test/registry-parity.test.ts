import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadSpeechToText as loadSpeechToTextOn,
  loadTextToSpeech as loadTextToSpeechOn,
  resolveBackend,
  type PiperTTS,
  type WhisperSpeechToText,
} from '@llama-pajamas/run-core';
import { loadSpeechToText, loadTextToSpeech, onnxBackend, registerOnnxBackend } from '../src/index.js';

// The same fixtures opened two ways: through the registry (resolveBackend(['onnx']) + run-core's loaders) and
// through run-onnx's loadX wrappers; the results must be identical. Fixtures: tools/fixtures/models (MANIFEST.json);
// speech: shared/media/speech (LibriVox, public domain).
const root = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const WHISPER = root('tools/fixtures/models/whisper-tiny');
const WHISPER_INT8 = root('tools/fixtures/models/whisper-tiny.en-int8');
const VOICE = root('tools/fixtures/models/piper-voice');
const SPEECH = fileURLToPath(
  new URL('../../../../shared/media/speech/sense_and_sensibility_01_austen_64kb-0880.wav', import.meta.url),
);

let runtime: string;
beforeAll(async () => {
  registerOnnxBackend();
  const resolved = await resolveBackend(['onnx']);
  expect(resolved.backend).toBe(onnxBackend);
  runtime = resolved.name;
});

describe('Whisper (whisper-tiny fixture): registry and loadSpeechToText agree', () => {
  let viaRegistry: WhisperSpeechToText;
  let viaWrapper: WhisperSpeechToText;
  beforeAll(async () => {
    viaRegistry = await loadSpeechToTextOn(WHISPER, { runtime });
    viaWrapper = await loadSpeechToText(WHISPER, { vad: false });
  });
  afterAll(async () => {
    await viaRegistry.unload();
    await viaWrapper.unload();
  });

  it('same model, same transcription (segments, tokens, times, word timestamps)', async () => {
    expect(viaRegistry.modelId).toBe(viaWrapper.modelId);
    expect(viaRegistry.supportedLanguages).toEqual(viaWrapper.supportedLanguages);
    const options = { language: 'en', temperature: 0, maxNewTokens: 12, wordTimestamps: true } as const;
    const a = await viaRegistry.transcribe(SPEECH, options);
    const b = await viaWrapper.transcribe(SPEECH, options);
    expect(a.segments.length).toBeGreaterThan(0);
    expect(a).toEqual(b);
  });

  it('a folder with only quantized files loads without a dtype (the runtime preference picks int8)', async () => {
    const [a, b] = await Promise.all([
      loadSpeechToTextOn(WHISPER_INT8, { runtime }),
      loadSpeechToText(WHISPER_INT8, { vad: false }),
    ]);
    const options = { temperature: 0, maxNewTokens: 8 } as const;
    expect(await a.transcribe(SPEECH, options)).toEqual(await b.transcribe(SPEECH, options));
    await a.unload();
    await b.unload();
  });
});

describe('Piper (piper-voice fixture): registry and loadTextToSpeech agree', () => {
  let viaRegistry: PiperTTS;
  let viaWrapper: PiperTTS;
  beforeAll(async () => {
    viaRegistry = await loadTextToSpeechOn(VOICE, { runtime, inference: { noiseScale: 0, noiseW: 0 } });
    viaWrapper = await loadTextToSpeech(VOICE, { inference: { noiseScale: 0, noiseW: 0 } });
  });
  afterAll(async () => {
    await viaRegistry.unload();
    await viaWrapper.unload();
  });

  it('same voice, same audio, sample for sample', async () => {
    expect(viaRegistry).toMatchObject({
      modelId: viaWrapper.modelId,
      sampleRate: viaWrapper.sampleRate,
      numSpeakers: viaWrapper.numSpeakers,
    });
    const text = 'Hello there. How are you today?';
    const a = await viaRegistry.synthesize(text);
    const b = await viaWrapper.synthesize(text);
    expect(a.samples.length).toBeGreaterThan(1000);
    expect(a.sampleRate).toBe(b.sampleRate);
    expect(a.samples).toEqual(b.samples);
  });
});
