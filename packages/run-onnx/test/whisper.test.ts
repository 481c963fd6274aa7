import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWindow, logMelSpectrogram, seededRandom, WhisperRunner } from '@llama-pajamas/run-core/families';
import {
  encodeWav,
  type InferenceSession,
  type RunOptions,
  type Tensor,
  type TranscriptionEvent,
  type WhisperSpeechToText,
} from '@llama-pajamas/run-core';
import { OnnxSession } from '../src/session-impl.js';
import { loadSpeechToText } from '../src/speech/whisper.js';
import { asset } from '../../../tools/test/assets.js';

// Provenance: tools/fixtures/generate.py (random-weight architecture-true Whisper tiny, real multilingual vocab,
// Optimum export; GOLDEN.json from PyTorch). Speech: shared/media/speech (LibriVox, public domain).
const MODEL = resolve(__dirname, '../../../tools/fixtures/models/whisper-tiny');
const SPLIT = resolve(__dirname, '../../../tools/fixtures/models/whisper-tiny-split');
const SPEECH = asset('media/speech/sense_and_sensibility_01_austen_64kb-0880.wav');

interface Golden {
  audio: { num_samples: number; frequency_hz: number; amplitude: number };
  input_features: { values_at: Record<string, number>; mean: number; std: number };
  encoder_last_hidden_state: { shape: number[]; first_values: number[] };
  decoder_prefix: number[];
  greedy_token_ids: number[];
  /** onnxruntime-python on onnx/*_fp16.onnx, same greedy rule. */
  onnx_fp16_greedy_token_ids: number[];
  cross_attentions_last_layer_prefix: {
    shape: number[];
    row_sums: number[][];
    head0_last_token_first_values: number[];
    argmax_per_head_token: number[][];
  };
}
const golden = JSON.parse(readFileSync(join(MODEL, 'GOLDEN.json'), 'utf8')) as Golden;
const sine = Float32Array.from(
  { length: golden.audio.num_samples },
  (_, n) => golden.audio.amplitude * Math.sin((2 * Math.PI * golden.audio.frequency_hz * n) / 16000),
);
/** Greedy decoding straight through the runner, after the golden prefix, with or without the KV cache. */
async function greedyTokens(
  p: WhisperSpeechToText['pipeline'],
  hidden: Tensor,
  useCache: boolean,
  steps: number,
): Promise<number[]> {
  const state = p.runner.newState(1);
  const seq = [...golden.decoder_prefix];
  let logits = await p.runner.step(state, [seq], hidden, { useCache });
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const off = (logits.length - 1) * logits.vocab;
    let best = 0;
    for (let k = 1; k < logits.vocab; k++)
      if ((logits.data[off + k] as number) > (logits.data[off + best] as number)) best = k;
    out.push(best);
    seq.push(best);
    logits = await p.runner.step(state, useCache ? [[best]] : [seq], hidden, { useCache });
  }
  return out;
}

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
      expect(await greedyTokens(p, hidden, useCache, 10)).toEqual(golden.greedy_token_ids);
    }
  });

  it('greedy and beam decoding give identical tokens with the KV cache and without it', async () => {
    const p = stt.pipeline;
    const hidden = await p.encode(logMelSpectrogram(sine).data, 1);
    for (const beamSize of [1, 3]) {
      const base = {
        languageToken: 50259,
        taskToken: 50359,
        withTimestamps: true,
        temperature: 0,
        beamSize,
        maxNewTokens: 8,
        random: seededRandom(0),
      };
      const cached = await decodeWindow(p.runner, p.tokenizer, p.config, hidden, base);
      const plain = await decodeWindow(p.runner, p.tokenizer, p.config, hidden, { ...base, useCache: false });
      expect(cached.tokens.length).toBeGreaterThan(0);
      expect(plain.tokens).toEqual(cached.tokens);
    }
  });

  it.each([
    ['merged', MODEL, ['decoder_model_merged.onnx']],
    ['split', SPLIT, ['decoder_model.onnx', 'decoder_with_past_model.onnx']],
  ] as const)(
    'fetches only logits and decoder presents on cached steps (%s export), same tokens',
    async (kind, dir, files) => {
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
      const runner = new WhisperRunner({
        encoder,
        decoder: decoder as InferenceSession,
        ...(decoderWithPast ? { decoderWithPast } : {}),
      });
      const base = {
        languageToken: 50259,
        taskToken: 50359,
        withTimestamps: true,
        temperature: 0,
        beamSize: 1,
        maxNewTokens: 6,
        random: seededRandom(0),
      };
      const cached = await decodeWindow(runner, p.tokenizer, p.config, hidden, base);
      const reference = await decodeWindow(p.runner, p.tokenizer, p.config, hidden, { ...base, useCache: false });
      expect(cached.tokens).toEqual(reference.tokens);
      cached.tokenLogprobs.forEach((lp, i) => expect(lp).toBeCloseTo(reference.tokenLogprobs[i] as number, 4));
      // 6 steps, plus (merged export) the runner's one check that cached steps may get a stand-in for the encoder
      // states.
      expect(calls).toHaveLength(kind === 'merged' ? 7 : 6);
      // The first step needs the encoder K/V; cross-attentions (merged export) are never fetched while decoding.
      expect(calls[0]?.outputs.some((n) => n.includes('.encoder.'))).toBe(true);
      for (const c of calls) expect(c.outputs.filter((n) => n.startsWith('cross_attentions.'))).toEqual([]);
      for (const c of calls.slice(1)) {
        expect(c.outputNames).toContain('logits');
        expect(c.outputs.filter((n) => n.includes('.encoder.'))).toEqual([]);
        expect(c.outputs.filter((n) => n.includes('.decoder.'))).toHaveLength(2 * p.config.decoderLayers);
      }
      await encoder.dispose();
      await decoder?.dispose();
      await decoderWithPast?.dispose();
    },
  );

  it('reads the cross-attention outputs: same weights as PyTorch (GOLDEN.json), only when asked for', async () => {
    const p = stt.pipeline;
    expect(p.runner.crossAttentionLayers).toEqual([0, 1]);
    expect(p.wordTimestampMethod).toBe('cross-attention');
    const hidden = await p.encode(logMelSpectrogram(sine).data, 1);
    const { logits, attentions } = await p.runner.crossAttentions(golden.decoder_prefix, hidden, [1]);
    expect(logits.length).toBe(golden.decoder_prefix.length);
    const t = attentions.get(1);
    const want = golden.cross_attentions_last_layer_prefix;
    expect(t?.dims).toEqual([1, ...want.shape]);
    const [heads, tokens, frames] = want.shape as [number, number, number];
    const data = t?.data as Float32Array;
    for (let h = 0; h < heads; h++) {
      for (let k = 0; k < tokens; k++) {
        const row = data.subarray((h * tokens + k) * frames, (h * tokens + k + 1) * frames);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo((want.row_sums[h] as number[])[k] as number, 4);
        let best = 0;
        for (let f = 1; f < frames; f++) if ((row[f] as number) > (row[best] as number)) best = f;
        expect(best).toBe((want.argmax_per_head_token[h] as number[])[k]);
      }
    }
    want.head0_last_token_first_values.forEach((v, f) => expect(data[(tokens - 1) * frames + f]).toBeCloseTo(v, 5));
    await expect(p.runner.crossAttentions(golden.decoder_prefix, hidden, [5])).rejects.toMatchObject({
      code: 'ERR_RUN_MODEL_UNRECOGNIZED',
    });
  });

  it('word timestamps: cross-attention DTW with cross-attention outputs, interpolation without (split export)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'whisper-split-'));
    for (const f of ['onnx', 'config.json', 'generation_config.json', 'preprocessor_config.json'])
      symlinkSync(join(SPLIT, f), join(dir, f));
    symlinkSync(join(MODEL, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    const split = await loadSpeechToText(dir, { vad: false });
    expect(split.pipeline.runner.crossAttentionLayers).toEqual([]);
    expect(split.pipeline.wordTimestampMethod).toBe('interpolation');
    const opts = { ...FAST, language: 'en', wordTimestamps: true } as const;
    const dtwResult = await stt.transcribe(SPEECH, opts);
    const interp = await split.transcribe(SPEECH, opts);
    expect(dtwResult.wordTimestampMethod).toBe('cross-attention');
    expect(interp.wordTimestampMethod).toBe('interpolation');
    const noWords = await stt.transcribe(SPEECH, { ...FAST, language: 'en' });
    expect(noWords.wordTimestampMethod).toBeUndefined();
    for (const r of [dtwResult, interp]) {
      expect(r.segments.length).toBeGreaterThan(0);
      let previous = 0;
      for (const s of r.segments) {
        for (const w of s.words ?? []) {
          expect(w.end).toBeGreaterThanOrEqual(w.start);
          expect(w.start).toBeGreaterThanOrEqual(previous - 0.01);
          expect(w.start).toBeGreaterThanOrEqual(s.start - 0.01);
          expect(w.end).toBeLessThanOrEqual(s.end + 0.01);
          previous = w.end;
        }
      }
      expect((r.words ?? []).map((w) => w.word).join('')).toBe(
        r.segments
          .flatMap((s) => s.words ?? [])
          .map((w) => w.word)
          .join(''),
      );
    }
    await split.unload();
  });

  it('runs the split decoder export (decoder_model + decoder_with_past) to the same tokens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'whisper-split-'));
    for (const f of ['onnx', 'config.json', 'generation_config.json', 'preprocessor_config.json'])
      symlinkSync(join(SPLIT, f), join(dir, f));
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
        [
          'avgLogprob',
          'compressionRatio',
          'end',
          'id',
          'noSpeechProb',
          'seek',
          'start',
          'temperature',
          'text',
          'tokens',
          'words',
        ].sort(),
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
    await expect(stt.transcribe(new Uint8Array(0))).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_RUN_AUDIO_/),
    });
    const wav = readFileSync(SPEECH);
    await expect(stt.transcribe(wav.subarray(0, 30))).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_RUN_AUDIO_/),
    });
    await expect(stt.transcribe(new Uint8Array(2000).fill(7))).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_RUN_AUDIO_/),
    });
    await expect(stt.transcribe(SPEECH, { language: 'klingon' })).rejects.toMatchObject({
      code: 'ERR_RUN_LANGUAGE_UNSUPPORTED',
    });
    await expect(
      stt.transcribe({ samples: new Float32Array(16000 * 20), sampleRate: 16000 }, { maxDurationSeconds: 10 }),
    ).rejects.toMatchObject({
      code: 'ERR_RUN_AUDIO_TOO_LONG',
    });
    const empty = await stt.transcribe({ samples: new Float32Array(0), sampleRate: 16000 }, FAST);
    expect(empty.segments).toEqual([]);
    expect(empty.text).toBe('');
  });

  it('rejects model folders that are not Whisper exports', async () => {
    await expect(loadSpeechToText('/nonexistent/whisper')).rejects.toMatchObject({ code: 'ERR_RUN_MODEL_NOT_FOUND' });
    await expect(loadSpeechToText(SPLIT)).rejects.toMatchObject({ code: 'ERR_RUN_MODEL_UNRECOGNIZED' }); // no tokenizer.json
    await expect(loadSpeechToText(MODEL, { dtype: 'int8' })).rejects.toMatchObject({
      code: 'ERR_RUN_MODEL_UNRECOGNIZED',
    });
    const dir = mkdtempSync(join(tmpdir(), 'whisper-bad-'));
    writeFileSync(join(dir, 'encoder_model.onnx'), 'not onnx');
    writeFileSync(join(dir, 'decoder_model_merged.onnx'), 'not onnx');
    for (const f of ['config.json', 'tokenizer.json']) symlinkSync(join(MODEL, f), join(dir, f));
    await expect(loadSpeechToText(dir, { vad: false })).rejects.toMatchObject({ code: 'ERR_RUN_MODEL_UNRECOGNIZED' });
  });

  it('batchTranscribe batches the encoder and matches one-by-one transcription', async () => {
    const inputs = [
      { samples: sine, sampleRate: 16000 },
      { samples: sine.slice(0, 8000), sampleRate: 16000 },
    ];
    const batch = await stt.batchTranscribe(inputs, { ...FAST, language: 'en' });
    const single = [];
    for (const i of inputs) single.push(await stt.transcribe(i, { ...FAST, language: 'en' }));
    expect(batch.map((r) => r.segments.map((s) => s.tokens))).toEqual(
      single.map((r) => r.segments.map((s) => s.tokens)),
    );
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
    for await (const e of withVad.transcribeStreaming(chunks(), { ...FAST, language: 'en', sampleRate: 16000 }))
      events.push(e);
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

describe('fp16 export (onnx/*_fp16.onnx: float16 weights, inputs and outputs)', () => {
  let fp16: WhisperSpeechToText;
  beforeAll(async () => {
    fp16 = await loadSpeechToText(MODEL, { dtype: 'fp16', vad: false });
  });
  afterAll(async () => {
    await fp16.unload();
  });

  it('declares float16 I/O, and the loader feeds it: GOLDEN greedy tokens with and without the KV cache', async () => {
    const p = fp16.pipeline;
    const encoder = await OnnxSession.create(join(MODEL, 'onnx', 'encoder_model_fp16.onnx'));
    const decoder = await OnnxSession.create(join(MODEL, 'onnx', 'decoder_model_merged_fp16.onnx'));
    expect(encoder.inputs.find((i) => i.name === 'input_features')?.type).toBe('float16');
    expect(decoder.inputs.find((i) => i.name === 'encoder_hidden_states')?.type).toBe('float16');
    expect(decoder.inputs.find((i) => i.name === 'past_key_values.0.decoder.key')?.type).toBe('float16');
    expect(decoder.outputs.find((o) => o.name === 'logits')?.type).toBe('float16');
    expect(decoder.outputs.find((o) => o.name === 'cross_attentions.1')?.type).toBe('float16');
    await encoder.dispose();
    await decoder.dispose();
    const hidden = await p.encode(logMelSpectrogram(sine).data, 1);
    expect(hidden.type).toBe('float16');
    expect(golden.onnx_fp16_greedy_token_ids).toEqual(golden.greedy_token_ids);
    for (const useCache of [true, false]) {
      expect(await greedyTokens(p, hidden, useCache, 10)).toEqual(golden.greedy_token_ids);
    }
  });

  it('gives logits close to fp32 (fp16 tolerance) and the same transcription tokens', async () => {
    const a = stt.pipeline;
    const b = fp16.pipeline;
    const mel = logMelSpectrogram(sine).data;
    const la = await a.runner.step(a.runner.newState(1), [golden.decoder_prefix], await a.encode(mel, 1));
    const lb = await b.runner.step(b.runner.newState(1), [golden.decoder_prefix], await b.encode(mel, 1));
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < la.data.length; i++) {
      worst = Math.max(worst, Math.abs((la.data[i] as number) - (lb.data[i] as number)));
      scale = Math.max(scale, Math.abs(la.data[i] as number));
    }
    process.stdout.write(
      `[whisper-tiny fp16 vs fp32] logits max |Δ| ${worst.toFixed(4)} (max |logit| ${scale.toFixed(2)})\n`,
    );
    expect(worst / scale).toBeLessThan(0.01);
    const opts = { ...FAST, language: 'en', wordTimestamps: true } as const;
    const r16 = await fp16.transcribe({ samples: sine, sampleRate: 16000 }, opts);
    const r32 = await stt.transcribe({ samples: sine, sampleRate: 16000 }, opts);
    expect(r16.segments.map((s) => s.tokens)).toEqual(r32.segments.map((s) => s.tokens));
    expect(r16.wordTimestampMethod).toBe('cross-attention');
    expect((r16.words ?? []).map((w) => w.word)).toEqual((r32.words ?? []).map((w) => w.word));
  });
});
