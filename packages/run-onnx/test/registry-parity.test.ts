import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTensor,
  loadSpeechToText as loadSpeechToTextOn,
  loadTextToSpeech as loadTextToSpeechOn,
  loadVisionModel as loadVisionModelOnRuntime,
  openSession,
  resolveBackend,
  resolveRuntime,
  type PiperTTS,
  type WhisperSpeechToText,
} from '@llama-pajamas/run-core';
import {
  OnnxSession,
  loadSpeechToText,
  loadTextToSpeech,
  loadVisionModel,
  onnxBackend,
  registerOnnxBackend,
} from '../src/index.js';
import { images, visionFixtures } from './fixtures/index.js';
import { asset } from '../../../tools/test/assets.js';

// The same model opened two ways must give the same answers: through the registry (resolveBackend(['onnx']) and
// run-core's loaders) and through run-onnx's own functions. Speech (Whisper, Piper) cases live here too.
registerOnnxBackend();

describe('registry parity: YOLO (tools/fixtures/models/yolov8-tiny)', () => {
  it('the registry resolves onnx to run-onnx’s backend', async () => {
    const { name, backend } = await resolveBackend(['onnx']);
    expect(name).toBe('onnx');
    expect(backend).toBe(onnxBackend);
    expect(backend.files.extensions).toEqual(['.onnx']);
  });

  it('a session opened through the registry gives the same output as OnnxSession.create', async () => {
    const runtime = await resolveRuntime({ runtime: ['onnx'], session: { intraOpThreads: 1 } });
    await using viaRegistry = await openSession(runtime, visionFixtures.yolov8Tiny);
    await using direct = await OnnxSession.create(visionFixtures.yolov8Tiny, { intraOpThreads: 1 });
    expect(viaRegistry.inputs).toEqual(direct.inputs);
    expect(viaRegistry.outputs).toEqual(direct.outputs);
    expect(viaRegistry.metadata).toEqual(direct.metadata);
    const [input] = direct.inputs;
    const dims = input!.dims as number[];
    const pixels = new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => (i % 255) / 255);
    const feeds = { [input!.name]: createTensor('float32', pixels, dims) };
    const a = await viaRegistry.run(feeds);
    const b = await direct.run(feeds);
    expect(Object.keys(a)).toEqual(Object.keys(b));
    for (const key of Object.keys(b)) expect(a[key]!.data).toEqual(b[key]!.data);
  });

  it('run-core loadVisionModel on the registry and run-onnx loadVisionModel detect identically', async () => {
    const viaRegistry = await loadVisionModelOnRuntime(visionFixtures.yolov8Tiny, {
      runtime: 'onnx',
      session: { intraOpThreads: 1 },
    });
    const direct = await loadVisionModel(visionFixtures.yolov8Tiny, { intraOpThreads: 1 });
    try {
      expect(viaRegistry.modelId).toBe(direct.modelId);
      expect(viaRegistry.modelType).toBe(direct.modelType);
      expect(viaRegistry.labels).toEqual(direct.labels);
      expect(viaRegistry.capabilities).toEqual(direct.capabilities);
      const dog = await readFile(images.dog);
      // Random weights score ~1e-4 everywhere: confidence 0 keeps the top detections so there is much to compare.
      const options = { confidence: 0, maxDetections: 50 };
      const a = await viaRegistry.detect(dog, options);
      const b = await direct.detect(dog, options);
      expect(b.detections.length).toBeGreaterThan(0);
      expect(a).toEqual(b);
      expect(await viaRegistry.batchDetect([images.person, dog], options)).toEqual(
        await direct.batchDetect([images.person, dog], options),
      );
    } finally {
      await Promise.all([viaRegistry.unload(), direct.unload()]);
    }
  });
});

// Speech fixtures: tools/fixtures/models (MANIFEST.json); speech: tools/test/fetch-test-media.sh (LibriVox, public domain).
const root = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const WHISPER = root('tools/fixtures/models/whisper-tiny');
const WHISPER_INT8 = root('tools/fixtures/models/whisper-tiny.en-int8');
const VOICE = root('tools/fixtures/models/piper-voice');
const SPEECH = asset('media/speech/sense_and_sensibility_01_austen_64kb-0880.wav');

let runtime: string;
beforeAll(async () => {
  runtime = (await resolveBackend(['onnx'])).name;
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
