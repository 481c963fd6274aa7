import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyTimestampRules,
  compressionRatio,
  decodeWindow,
  float16ToFloat32,
  float32ToFloat16,
  parseWhisperConfig,
  rowStats,
  WhisperPipeline,
  WhisperRunner,
  WhisperTokenizer,
} from '../src/families.js';
import { createTensor, type InferenceSession, type Tensor, type TensorInfo } from '../src/index.js';
import { seededRandom } from '../src/families/whisper/logits.js';
import { whisperFixtures } from './fixtures/whisper/index.js';

const tokJson = JSON.parse(readFileSync(join(whisperFixtures.whisperTiny, 'tokenizer.json'), 'utf8')) as object;
const tokenizer = WhisperTokenizer.fromJson(tokJson);
const TS = 50364; // <|0.00|>
const EOT = 50257;
const VOCAB = 51865;

interface TokGolden {
  encode: Record<string, number[]>;
  special: Record<string, number>;
  decodeWithTimestamps: { ids: number[]; text: string };
}

describe('WhisperTokenizer vs HF WhisperTokenizerFast', () => {
  const golden = JSON.parse(readFileSync(whisperFixtures.tokenizerGolden, 'utf8')) as TokGolden;
  it.each(Object.entries(golden.encode))('encodes %j', (text, ids) => {
    expect(tokenizer.encode(text)).toEqual(ids);
    expect(tokenizer.decode(ids)).toBe(text);
  });
  it('finds the special tokens, 99 languages and the timestamp range', () => {
    const s = tokenizer.special;
    expect(s.eot).toBe(golden.special['<|endoftext|>']);
    expect(s.sot).toBe(golden.special['<|startoftranscript|>']);
    expect(s.sotPrev).toBe(golden.special['<|startofprev|>']);
    expect(s.translate).toBe(golden.special['<|translate|>']);
    expect(s.transcribe).toBe(golden.special['<|transcribe|>']);
    expect(s.noSpeech).toBe(golden.special['<|nocaptions|>']);
    expect(s.noTimestamps).toBe(golden.special['<|notimestamps|>']);
    expect(s.timestampBegin).toBe(s.noTimestamps + 1);
    expect(tokenizer.languageToken('en')).toBe(golden.special['<|en|>']);
    expect(tokenizer.languageToken('FR')).toBe(golden.special['<|fr|>']);
    expect(tokenizer.languageOf(golden.special['<|zh|>'] as number)).toBe('zh');
    expect(tokenizer.languages.size).toBe(99);
    expect(tokenizer.languageToken('xx')).toBeUndefined();
  });
  it('drops special and timestamp tokens when decoding', () => {
    expect(tokenizer.decode(golden.decodeWithTimestamps.ids)).toBe(golden.decodeWithTimestamps.text);
  });
  it('rejects a tokenizer without Whisper tokens', () => {
    const bare = { ...(tokJson as Record<string, unknown>), added_tokens: [] };
    expect(() => WhisperTokenizer.fromJson(bare)).toThrow(
      expect.objectContaining({ code: 'ERR_RUN_MODEL_UNRECOGNIZED' }),
    );
  });
});

describe('applyTimestampRules', () => {
  const sp = { eot: EOT, noTimestamps: 50363, timestampBegin: TS };
  const fresh = (): Float32Array => new Float32Array(VOCAB);
  it('forces a timestamp no later than max_initial_timestamp first', () => {
    const x = fresh();
    x[415] = 5;
    applyTimestampRules(x, [], sp, 50);
    expect(x[415]).toBe(-Infinity);
    expect(x[TS]).toBe(0);
    expect(x[TS + 50]).toBe(0);
    expect(x[TS + 51]).toBe(-Infinity);
    expect(x[50363]).toBe(-Infinity);
  });
  it('after an opening timestamp allows text; after a pair forbids a third timestamp', () => {
    const a = fresh();
    a[415] = 30;
    applyTimestampRules(a, [TS], sp, 50);
    expect(a[415]).toBe(30);
    const b = fresh();
    b[415] = 30;
    applyTimestampRules(b, [TS, 415, TS + 10, TS + 10], sp, 50);
    expect(b[TS + 20]).toBe(-Infinity);
    expect(b[415]).toBe(30);
  });
  it('after text then a single timestamp forbids text (the pair must close) and earlier timestamps', () => {
    const x = fresh();
    x[415] = 30;
    x[TS + 20] = 1;
    applyTimestampRules(x, [TS, 415, TS + 10], sp, 50);
    expect(x[415]).toBe(-Infinity);
    expect(x[TS + 9]).toBe(-Infinity);
    expect(x[TS + 10]).not.toBe(-Infinity); // the closing one may repeat the time
    expect(x[EOT]).toBe(-Infinity); // timestamps outweigh EOT (the only text-range token left): forced
  });
  it('returns the max, argmax and log-sum-exp of the filtered row, bit-identical to recomputing them', () => {
    // Reference: the plain two-pass log-sum-exp and first-index argmax the decoder used before the fused pass.
    const reference = (x: Float32Array): { max: number; argmax: number; lse: number } => {
      let max = -Infinity;
      let argmax = 0;
      for (let i = 0; i < x.length; i++) if ((x[i] as number) > max) [max, argmax] = [x[i] as number, i];
      if (max === -Infinity) return { max, argmax, lse: -Infinity };
      let s = 0;
      for (let i = 0; i < x.length; i++) s += Math.exp((x[i] as number) - max);
      return { max, argmax, lse: max + Math.log(s) };
    };
    const random = seededRandom(3);
    const histories: number[][] = [[], [TS], [TS, 415], [TS, 415, TS + 10], [TS, 415, TS + 10, TS + 10], [415, 416]];
    let forced = 0;
    for (const sampled of histories) {
      for (const tsBias of [-4, 0, 3]) {
        const x = Float32Array.from({ length: VOCAB }, (_, i) => (random() - 0.5) * 8 + (i >= TS ? tsBias : 0));
        const stats = applyTimestampRules(x, sampled, sp, 50);
        expect(stats).toEqual(reference(x));
        expect(rowStats(x)).toEqual(reference(x));
        const lastIsText = sampled.length > 0 && (sampled[sampled.length - 1] as number) < TS;
        if (lastIsText && x[100] === -Infinity) forced++; // only the forcing rule fills text after a text token
      }
    }
    expect(forced).toBeGreaterThan(0); // the "timestamps outweigh text" branch was taken at least once
    expect(rowStats(new Float32Array(8).fill(-Infinity))).toEqual({ max: -Infinity, argmax: 0, lse: -Infinity });
  });
  it('forces a timestamp when timestamps together outweigh every text token', () => {
    const x = fresh();
    x[415] = 2; // vs 1501 timestamps at logit 0: logsumexp ≈ 7.3
    applyTimestampRules(x, [TS, 415], sp, 50);
    expect(x[415]).toBe(-Infinity);
  });
});

describe('float16', () => {
  it('round-trips exactly representable values and rounds to nearest even', () => {
    const v = new Float32Array([0, -0, 1, -2, 0.5, 65504, 6.103515625e-5, 5.960464477539063e-8, Infinity, 1e6]);
    const back = float16ToFloat32(float32ToFloat16(v));
    expect(Array.from(back)).toEqual([
      0,
      -0,
      1,
      -2,
      0.5,
      65504,
      6.103515625e-5,
      5.960464477539063e-8,
      Infinity,
      Infinity,
    ]);
    expect(float32ToFloat16(new Float32Array([1 + 2 ** -11]))[0]).toBe(0x3c00); // tie → even
    expect(float32ToFloat16(new Float32Array([0.1]))[0]).toBe(0x2e66);
    expect(Number.isNaN(float16ToFloat32(float32ToFloat16(new Float32Array([NaN])))[0])).toBe(true);
  });
});

describe('compressionRatio', () => {
  it('is high for looping text and low for normal text (zlib like OpenAI)', () => {
    expect(compressionRatio(' the the the the the the the the the the the the the the the the')).toBeGreaterThan(2.4);
    expect(compressionRatio(' he was not an ill disposed young man')).toBeLessThan(1.5);
    expect(compressionRatio('')).toBe(0);
  });
});

/**
 * A scripted stand-in for an Optimum merged decoder, at the InferenceSession seam: its "KV cache" carries the token
 * ids (so cache plumbing is really exercised) and each step's logits favour the token `script(window, sampled)`.
 */
class ScriptedDecoder implements InferenceSession {
  readonly inputs: TensorInfo[] = [
    { name: 'input_ids', type: 'int64', dims: ['batch', 'seq'] },
    { name: 'encoder_hidden_states', type: 'float32', dims: ['batch', 1500, 4] },
    { name: 'past_key_values.0.decoder.key', type: 'float32', dims: ['batch', 1, 'past', 1] },
    { name: 'past_key_values.0.decoder.value', type: 'float32', dims: ['batch', 1, 'past', 1] },
    { name: 'past_key_values.0.encoder.key', type: 'float32', dims: ['batch', 1, 'enc', 1] },
    { name: 'past_key_values.0.encoder.value', type: 'float32', dims: ['batch', 1, 'enc', 1] },
    { name: 'use_cache_branch', type: 'bool', dims: [1] },
  ];
  readonly outputs: TensorInfo[] = [];
  readonly metadata = {};
  window = -1;
  calls = 0;
  constructor(private readonly script: (window: number, seq: number[]) => number) {}
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    this.calls++;
    const ids = feeds.input_ids as Tensor<'int64'>;
    const [batch, len] = ids.dims as [number, number];
    const cached = (feeds.use_cache_branch as Tensor<'bool'>).data[0] === 1;
    const past = feeds['past_key_values.0.decoder.key'] as Tensor<'float32'>;
    const pastLen = cached ? (past.dims[2] as number) : 0;
    if (!cached && len > 1) this.window++;
    const total = pastLen + len;
    const present = new Float32Array(batch * total);
    const logits = new Float32Array(batch * len * VOCAB);
    for (let b = 0; b < batch; b++) {
      const seq: number[] = [];
      for (let i = 0; i < pastLen; i++) seq.push(past.data[b * pastLen + i] as number);
      for (let i = 0; i < len; i++) seq.push(Number(ids.data[b * len + i]));
      present.set(seq, b * total);
      for (let p = 0; p < len; p++) {
        const upTo = seq.slice(0, pastLen + p + 1);
        const sotAt = upTo.lastIndexOf(50258);
        const sampled = upTo.slice(sotAt + 1).filter((t) => t < 50258 || t >= TS);
        const target = this.script(this.window, sampled);
        logits[(b * len + p) * VOCAB + target] = 20;
      }
    }
    const kv = createTensor('float32', present, [batch, 1, total, 1]);
    const enc = createTensor('float32', new Float32Array(batch * 3), [batch, 1, 3, 1]);
    return Promise.resolve({
      logits: createTensor('float32', logits, [batch, len, VOCAB]),
      'present.0.decoder.key': kv,
      'present.0.decoder.value': kv,
      'present.0.encoder.key': enc,
      'present.0.encoder.value': enc,
    });
  }
  async dispose(): Promise<void> {}
  async [Symbol.asyncDispose](): Promise<void> {}
}

class ZeroEncoder implements InferenceSession {
  readonly inputs: TensorInfo[] = [{ name: 'input_features', type: 'float32', dims: ['batch', 80, 3000] }];
  readonly outputs: TensorInfo[] = [];
  readonly metadata = {};
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const b = feeds.input_features?.dims[0] as number;
    return Promise.resolve({
      last_hidden_state: createTensor('float32', new Float32Array(b * 1500 * 4), [b, 1500, 4]),
    });
  }
  async dispose(): Promise<void> {}
  async [Symbol.asyncDispose](): Promise<void> {}
}

const config = parseWhisperConfig(
  { model_type: 'whisper', vocab_size: VOCAB, decoder_layers: 1, decoder_attention_heads: 1, d_model: 4 },
  { begin_suppress_tokens: [220, EOT], is_multilingual: true, max_initial_timestamp_index: 50 },
);

/** Plays a list of tokens, then EOT. */
const play =
  (list: number[]) =>
  (_w: number, sampled: number[]): number =>
    list[sampled.length] ?? EOT;

function pipelineWith(script: (window: number, seq: number[]) => number): { p: WhisperPipeline; dec: ScriptedDecoder } {
  const dec = new ScriptedDecoder(script);
  const runner = new WhisperRunner({ encoder: new ZeroEncoder(), decoder: dec });
  return { p: new WhisperPipeline(runner, tokenizer, config), dec };
}

const speechLike = (seconds: number): Float32Array =>
  Float32Array.from({ length: seconds * 16000 }, (_, n) => 0.3 * Math.sin(n * 0.05) * Math.sin(n * 0.0007));

describe('decoding on a scripted decoder', () => {
  const he = 415;
  const was = 390;
  const not = 406;
  it('greedy with the KV cache gives the same tokens as recomputing the sequence', async () => {
    const script = play([TS, he, was, TS + 50, TS + 50, not, TS + 100]);
    const { p, dec } = pipelineWith(script);
    const hidden = await p.encode(new Float32Array(80 * 3000), 1);
    const base = {
      languageToken: 50259,
      taskToken: 50359,
      withTimestamps: true,
      temperature: 0,
      beamSize: 1,
      random: seededRandom(1),
    };
    const cached = await decodeWindow(p.runner, tokenizer, config, hidden, base);
    const callsCached = dec.calls;
    const plain = await decodeWindow(p.runner, tokenizer, config, hidden, { ...base, useCache: false });
    expect(cached.tokens).toEqual([TS, he, was, TS + 50, TS + 50, not, TS + 100]);
    expect(plain.tokens).toEqual(cached.tokens);
    // 8 steps, plus the runner's one check (per load) that cached steps may get a stand-in for the encoder states.
    expect(callsCached).toBe(9);
    expect(cached.text).toBe(' he was not');
    expect(cached.avgLogprob).toBeCloseTo(cached.sumLogprob / 8, 10);
    const beam = await decodeWindow(p.runner, tokenizer, config, hidden, { ...base, beamSize: 3 });
    expect(beam.tokens).toEqual(cached.tokens);
    const beamPlain = await decodeWindow(p.runner, tokenizer, config, hidden, {
      ...base,
      beamSize: 3,
      useCache: false,
    });
    expect(beamPlain.tokens).toEqual(cached.tokens);
  });

  it('caps the steps of a decoder that never stops', async () => {
    const { p } = pipelineWith(() => he);
    const hidden = await p.encode(new Float32Array(80 * 3000), 1);
    const r = await decodeWindow(p.runner, tokenizer, config, hidden, {
      languageToken: 50259,
      taskToken: 50359,
      withTimestamps: false,
      temperature: 0,
      beamSize: 1,
      random: seededRandom(1),
    });
    expect(r.tokens.length).toBe(224);
    expect(r.compressionRatio).toBeGreaterThan(2.4);
  });

  it('splits segments on timestamp pairs and seeks by the last timestamp across 30 s windows', async () => {
    // Window 0 ends with a timestamp pair at 10.00 s (an unfinished segment opens there): the next window starts
    // at 10 s. Window 1 ends with a single timestamp: the window is done, seek jumps past it (OpenAI's rules).
    const { p } = pipelineWith((w, s) =>
      w === 0 ? play([TS, he, TS + 250, TS + 250, was, TS + 500, TS + 500])(w, s) : play([TS, not, TS + 100])(w, s),
    );
    const r = await p.transcribePcm(speechLike(35), { language: 'en', temperature: 0 });
    expect(r.segments.map((s) => [s.id, s.seek, s.start, s.end, s.text])).toEqual([
      [0, 0, 0, 5, ' he'],
      [1, 0, 5, 10, ' was'],
      [2, 1000, 10, 12, ' not'],
    ]);
    expect(r.text).toBe(' he was not');
    expect(r.language).toBe('en');
    expect(r.segments[0]?.tokens).toEqual([TS, he, TS + 250]);
  });

  it('interpolates word timestamps inside segments', async () => {
    const { p } = pipelineWith(play([TS, he, was, not, TS + 150]));
    const r = await p.transcribePcm(speechLike(5), { language: 'en', wordTimestamps: true });
    expect(r.words?.map((w) => w.word)).toEqual([' he', ' was', ' not']);
    expect(r.words?.[0]?.start).toBe(0);
    expect(r.words?.[2]?.end).toBe(3);
    for (const w of r.words ?? []) expect(w.probability).toBeGreaterThan(0.5);
  });

  it('falls back to sampling when greedy output loops, reproducibly with a seed', async () => {
    const { p } = pipelineWith((_w, s) => (s.length === 0 ? TS : he));
    const a = await p.transcribePcm(speechLike(3), { language: 'en', seed: 7, maxNewTokens: 40 });
    const b = await p.transcribePcm(speechLike(3), { language: 'en', seed: 7, maxNewTokens: 40 });
    expect(a.segments[0]?.temperature).toBe(1);
    expect(a.text).toBe(b.text);
  });

  it('rejects unknown languages and bad options with typed errors', async () => {
    const { p } = pipelineWith(play([]));
    await expect(p.transcribePcm(speechLike(1), { language: 'xx' })).rejects.toMatchObject({
      code: 'ERR_RUN_LANGUAGE_UNSUPPORTED',
    });
    await expect(p.transcribePcm(speechLike(1), { temperature: -1 })).rejects.toMatchObject({
      code: 'ERR_RUN_INVALID_ARGUMENT',
    });
    await expect(p.transcribePcm(speechLike(1), { beamSize: 0, language: 'en' })).rejects.toMatchObject({
      code: 'ERR_RUN_INVALID_ARGUMENT',
    });
  });

  it('detects the language from the language-token logits', async () => {
    const { p } = pipelineWith((_w, s) => (s.length === 0 ? 50265 : EOT)); // <|fr|> after SOT
    const hidden = await p.encode(new Float32Array(80 * 3000), 1);
    expect((await p.detectLanguage(hidden)).code).toBe('fr');
  });
});
