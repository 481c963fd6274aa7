import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeWindow,
  encodeWav,
  logMelSpectrogram,
  seededRandom,
  WhisperRunner,
  type InferenceSession,
  type RunOptions,
  type TranscriptionEvent,
  type WhisperSpeechToText,
} from '@llama-pajamas/run-core';
import { OnnxSession } from '../src/session-impl.js';
import { loadSpeechToText } from '../src/speech/whisper.js';

// Provenance: tools/fixtures/generate.py (random-weight architecture-true Whisper tiny, real multilingual vocab,
// Optimum export; GOLDEN.json from PyTorch). Speech: shared/media/speech (LibriVox, public domain).
const MODEL = resolve(__dirname, '../../../tools/fixtures/models/whisper-tiny');
const SPLIT = resolve(__dirname, '../../../tools/fixtures/models/whisper-tiny-split');
const SPEECH = resolve(__dirname, '../../../../shared/media/speech/sense_and_sensibility_01_austen_64kb-0880.wav');

interface Golden {
  audio: { num_samples: number; frequency_hz: number; amplitude: number };
  input_features: { values_at: Record<string, number>; mean: number; std: number };
  encoder_last_hidden_state: { shape: number[]; first_values: number[] };
  decoder_prefix: number[];
  greedy_token_ids: number[];
}
const golden = JSON.parse(readFileSync(join(MODEL, 'GOLDEN.json'), 'utf8')) as Golden;
const sine = Float32Array.from(
  { length: golden.audio.num_samples },
  (_, n) => golden.audio.amplitude * Math.sin((2 * Math.PI * golden.audio.frequency_hz * n) / 16000),
);
// Keep tests fast on random weights: greedy only, few tokens per window.
const FAST = { temperature: 0, maxNewTokens: 12 } as const;

let stt: WhisperSpeechToText;
beforeAll(async () => {
  stt = await loadSpeechToText(MODEL, { vad: false });
});
afterAll(async () => {
  await stt.unload();
});

describe('loadSpeechToText on the whisper-tiny fixture', () => {
  it('matches GOLDEN.json: log-mel, encoder output and 10 greedy tokens (with and without the KV cache)', async () => {
    const p = stt.pipeline;
    const mel = logMelSpectrogram(sine);
    for (const [key, v] of Object.entries(golden.input_features.values_at)) {
      const [, m, t] = JSON.parse(key) as number[];
      expect(mel.data[(m as number) * 3000 + (t as number)]).toBeCloseTo(v, 5);
    }
    const hidden = await p.encode(mel.data, 1);
    expect(hidden.dims).toEqual(golden.encoder_last_hidden_state.shape);
    golden.encoder_last_hidden_state.first_values.forEach((v, i) => expect(hidden.data[i]).toBeCloseTo(v, 4));
    for (const useCache of [true, false]) {
      const state = p.runner.newState(1);
      const seq = [...golden.decoder_prefix];
      let logits = await p.runner.step(state, [seq], hidden, { useCache });
      const out: number[] = [];
      for (let i = 0; i < 10; i++) {
        const off = (logits.length - 1) * logits.vocab;
        let best = 0;
        for (let k = 1; k < logits.vocab; k++) if ((logits.data[off + k] as number) > (logits.data[off + best] as number)) best = k;
        out.push(best);
        seq.push(best);
        logits = await p.runner.step(state, useCache ? [[best]] : [seq], hidden, { useCache });
      }
      expect(out).toEqual(golden.greedy_token_ids);
    }
  });

  it('greedy and beam decoding give identical tokens with the KV cache and without it', async () => {
    const p = stt.pipeline;
    const hidden = await p.encode(logMelSpectrogram(sine).data, 1);
    for (const beamSize of [1, 3]) {
      const base = { languageToken: 50259, taskToken: 50359, withTimestamps: true, temperature: 0, beamSize, maxNewTokens: 8, random: seededRandom(0) };
      const cached = await decodeWindow(p.runner, p.tokenizer, p.config, hidden, base);
      const plain = await decodeWindow(p.runner, p.tokenizer, p.config, hidden, { ...base, useCache: false });
      expect(cached.tokens.length).toBeGreaterThan(0);
      expect(plain.tokens).toEqual(cached.tokens);
    }
  });

  it.each([
    ['merged', MODEL, ['decoder_model_merged.onnx']],
    ['split', SPLIT, ['decoder_model.onnx', 'decoder_with_past_model.onnx']],
  ] as const)('fetches only logits and decoder presents on cached steps (%s export), same tokens', async (_, dir, files) => {
    // Real sessions, observed: the encoder K/V presents are not copied out of onnxruntime after the first step.
    const p = stt.pipeline;
    const hidden = await p.encode(logMelSpectrogram(sine).data, 1);
    const calls: { outputNames: readonly string[] | undefined; outputs: string[] }[] = [];
    const open = async (f: string) => {
      const s = await OnnxSession.create(join(dir, 'onnx', f));
      const run = s.run.bind(s);
      s.run = async (feeds, options?: RunOptions) => {
        const out = await run(feeds, options);
        calls.push({ outputNames: options?.outputNames, outputs: Object.keys(out) });
        return out;
      };
      return s;
    };
    const encoder = await OnnxSession.create(join(dir, 'onnx', 'encoder_model.onnx'));
    const [decoder, decoderWithPast] = await Promise.all(files.map(open));
    const runner = new WhisperRunner({ encoder, decoder: decoder as InferenceSession, ...(decoderWithPast ? { decoderWithPast } : {}) });
    const base = { languageToken: 50259, taskToken: 50359, withTimestamps: true, temperature: 0, beamSize: 1, maxNewTokens: 6, random: seededRandom(0) };
    const cached = await decodeWindow(runner, p.tokenizer, p.config, hidden, base);
    const reference = await decodeWindow(p.runner, p.tokenizer, p.config, hidden, { ...base, useCache: false });
    expect(cached.tokens).toEqual(reference.tokens);
    cached.tokenLogprobs.forEach((lp, i) => expect(lp).toBeCloseTo(reference.tokenLogprobs[i] as number, 4));
    expect(calls).toHaveLength(6);
    expect(calls[0]?.outputNames).toBeUndefined(); // the first step needs the encoder K/V
    expect(calls[0]?.outputs.some((n) => n.includes('.encoder.'))).toBe(true);
    for (const c of calls.slice(1)) {
      expect(c.outputNames).toContain('logits');
      expect(c.outputs.filter((n) => n.includes('.encoder.'))).toEqual([]);
      expect(c.outputs.filter((n) => n.includes('.decoder.'))).toHaveLength(2 * p.config.decoderLayers);
    }
    await encoder.dispose();
    await decoder?.dispose();
    await decoderWithPast?.dispose();
  });

  it('runs the split decoder export (decoder_model + decoder_with_past) to the same tokens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'whisper-split-'));
    for (const f of ['onnx', 'config.json', 'generation_config.json', 'preprocessor_config.json']) symlinkSync(join(SPLIT, f), join(dir, f));
    symlinkSync(join(MODEL, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    const split = await loadSpeechToText(dir, { vad: false });
    const a = await stt.transcribe({ samples: sine, sampleRate: 16000 }, { ...FAST, language: 'en' });
    const b = await split.transcribe({ samples: sine, sampleRate: 16000 }, { ...FAST, language: 'en' });
    expect(b.segments.map((s) => s.tokens)).toEqual(a.segments.map((s) => s.tokens));
    await split.unload();
  });

  it('transcribes real speech into verbose_json-shaped segments', async () => {
    const r = await stt.transcribe(SPEECH, { ...FAST, language: 'en', wordTimestamps: true });
    expect(r.task).toBe('transcribe');
    expect(r.language).toBe('en');
    expect(r.duration).toBeCloseTo(2.99, 1);
    for (const s of r.segments) {
      expect(Object.keys(s).sort()).toEqual(
        ['avgLogprob', 'compressionRatio', 'end', 'id', 'noSpeechProb', 'seek', 'start', 'temperature', 'text', 'tokens', 'words'].sort(),
      );
      expect(s.end).toBeGreaterThanOrEqual(s.start);
      expect(s.noSpeechProb).toBeGreaterThanOrEqual(0);
      expect(s.noSpeechProb).toBeLessThanOrEqual(1);
    }
    expect(stt.supportedLanguages).toHaveLength(99);
    expect(stt.canTranslate).toBe(true);
  });

  it('detects a language when none is given', async () => {
    const r = await stt.transcribe({ samples: sine, sampleRate: 16000 }, FAST);
    expect(stt.supportedLanguages).toContain(r.language);
  });

  it('handles wrong-rate audio (a 44.1 kHz WAV) by resampling', async () => {
    const stereo44 = encodeWav({ samples: sine.slice(0, 8000), sampleRate: 44100 });
    const r = await stt.transcribe(stereo44, { ...FAST, language: 'en' });
    expect(r.duration).toBeCloseTo(8000 / 44100, 1);
  });

  it('refuses bad input with typed errors, never a crash', async () => {
    await expect(stt.transcribe(new Uint8Array(0))).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_RUN_AUDIO_/) });
    const wav = readFileSync(SPEECH);
    await expect(stt.transcribe(wav.subarray(0, 30))).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_RUN_AUDIO_/) });
    await expect(stt.transcribe(new Uint8Array(2000).fill(7))).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_RUN_AUDIO_/) });
    await expect(stt.transcribe(SPEECH, { language: 'klingon' })).rejects.toMatchObject({ code: 'ERR_RUN_LANGUAGE_UNSUPPORTED' });
    await expect(stt.transcribe({ samples: new Float32Array(16000 * 20), sampleRate: 16000 }, { maxDurationSeconds: 10 })).rejects.toMatchObject({
      code: 'ERR_RUN_AUDIO_TOO_LONG',
    });
    const empty = await stt.transcribe({ samples: new Float32Array(0), sampleRate: 16000 }, FAST);
    expect(empty.segments).toEqual([]);
    expect(empty.text).toBe('');
  });

  it('rejects model folders that are not Whisper exports', async () => {
    await expect(loadSpeechToText('/nonexistent/whisper')).rejects.toMatchObject({ code: 'ERR_RUN_MODEL_NOT_FOUND' });
    await expect(loadSpeechToText(SPLIT)).rejects.toMatchObject({ code: 'ERR_RUN_MODEL_UNRECOGNIZED' }); // no tokenizer.json
    await expect(loadSpeechToText(MODEL, { dtype: 'fp16' })).rejects.toMatchObject({ code: 'ERR_RUN_MODEL_UNRECOGNIZED' });
    const dir = mkdtempSync(join(tmpdir(), 'whisper-bad-'));
    writeFileSync(join(dir, 'encoder_model.onnx'), 'not onnx');
    writeFileSync(join(dir, 'decoder_model_merged.onnx'), 'not onnx');
    for (const f of ['config.json', 'tokenizer.json']) symlinkSync(join(MODEL, f), join(dir, f));
    await expect(loadSpeechToText(dir, { vad: false })).rejects.toMatchObject({ code: 'ERR_RUN_MODEL_UNRECOGNIZED' });
  });

  it('batchTranscribe batches the encoder and matches one-by-one transcription', async () => {
    const inputs = [{ samples: sine, sampleRate: 16000 }, { samples: sine.slice(0, 8000), sampleRate: 16000 }];
    const batch = await stt.batchTranscribe(inputs, { ...FAST, language: 'en' });
    const single = [];
    for (const i of inputs) single.push(await stt.transcribe(i, { ...FAST, language: 'en' }));
    expect(batch.map((r) => r.segments.map((s) => s.tokens))).toEqual(single.map((r) => r.segments.map((s) => s.tokens)));
  });
});

describe('VAD and streaming', () => {
  let withVad: WhisperSpeechToText;
  beforeAll(async () => {
    withVad = await loadSpeechToText(MODEL, { vad: true });
  });
  afterAll(async () => {
    await withVad.unload();
  });

  it('skips silence: silent audio gives no segments (no hallucination)', async () => {
    const r = await withVad.transcribe({ samples: new Float32Array(16000 * 5), sampleRate: 16000 }, FAST);
    expect(r.segments).toEqual([]);
    expect(r.text).toBe('');
    expect(r.duration).toBe(5);
  });

  it('streams segment events in time order, then one final event', async () => {
    const wav = readFileSync(SPEECH);
    const speech = (await import('@llama-pajamas/run-core')).loadAudio(new Uint8Array(wav), { sampleRate: 16000 });
    const pcm = (await speech).samples;
    const silence = new Float32Array(16000);
    const audio = new Float32Array(pcm.length * 2 + silence.length * 3);
    audio.set(silence, 0);
    audio.set(pcm, 16000);
    audio.set(silence, 16000 + pcm.length);
    audio.set(pcm, 32000 + pcm.length);
    async function* chunks(): AsyncIterable<Float32Array> {
      for (let i = 0; i < audio.length; i += 4000) yield await Promise.resolve(audio.subarray(i, i + 4000));
    }
    const events: TranscriptionEvent[] = [];
    for await (const e of withVad.transcribeStreaming(chunks(), { ...FAST, language: 'en', sampleRate: 16000 })) events.push(e);
    const last = events[events.length - 1];
    expect(last?.type).toBe('final');
    expect(events.filter((e) => e.type === 'final')).toHaveLength(1);
    const starts = events.flatMap((e) => (e.type === 'segment' ? [e.segment.start] : []));
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    if (last?.type === 'final') {
      expect(last.result.duration).toBeCloseTo(audio.length / 16000, 1);
      expect(last.result.segments.length).toBe(starts.length);
    }
  });
});
