import { mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio, topK, type Tensor, type WhisperSpeechToText } from '@llama-pajamas/run-core';
import {
  applyTimestampRules,
  buildPrefix,
  compressionRatio,
  decodeWindow,
  logMelSpectrogram,
  rowStats,
  seededRandom,
  type RowStats,
  type StepLogits,
  type WindowDecodeOptions,
  type WindowDecodeResult,
} from '@llama-pajamas/run-core/families';
import { loadSpeechToText } from '../src/speech/whisper.js';
import { asset } from '../../../tools/test/assets.js';

// Provenance: tools/fixtures/generate.py (random-weight Whisper tiny, fp32), tools/fixtures/models/MANIFEST.json
// (the real Whisper tiny.en, int8); speech: tools/test/fetch-test-media.sh (LibriVox, public domain).
const FIXTURES = resolve(__dirname, '../../../tools/fixtures/models');
const SPEECH = asset('media/speech');
const CLIPS = readdirSync(SPEECH)
  .filter((f) => f.endsWith('.wav'))
  .sort();

type Pipeline = WhisperSpeechToText['pipeline'];

/*
 * The reference: run-core's beam search as it was before its bookkeeping was made cheaper (a string-keyed map of
 * candidates, arrays copied per candidate, a full log-softmax row per beam, the prefix run once per beam), kept
 * here word for word so that the new one is checked against it on every run, on this machine's CPU.
 */
function refLogSumExp(x: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if ((x[i] as number) > max) max = x[i] as number;
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp((x[i] as number) - max);
  return max + Math.log(s);
}

function refRow(logits: StepLogits, b: number, pos: number): Float32Array {
  const off = (b * logits.length + pos) * logits.vocab;
  return logits.data.subarray(off, off + logits.vocab);
}

function refFilter(p: Pipeline, opts: WindowDecodeOptions, x: Float32Array, sampled: readonly number[]): RowStats {
  const sp = p.tokenizer.special;
  const always = [...p.config.suppressTokens, sp.sot, sp.sotPrev];
  for (const t of [sp.transcribe, sp.translate, sp.sotLm, sp.noSpeech]) if (t !== undefined) always.push(t);
  const suppress = (ts: readonly number[]): void => {
    for (const t of ts) if (t >= 0 && t < x.length) x[t] = -Infinity;
  };
  if (sampled.length === 0) suppress(p.config.beginSuppressTokens);
  suppress(always);
  if (opts.ignoreEot) x[sp.eot] = -Infinity;
  if (opts.withTimestamps) return applyTimestampRules(x, sampled, sp, p.config.maxInitialTimestampIndex);
  return rowStats(x);
}

function refRepeat(t: Tensor, n: number): Tensor {
  if (n === 1) return t;
  const out = new Float32Array(t.data.length * n);
  for (let i = 0; i < n; i++) out.set(t.data as Float32Array, i * t.data.length);
  return { type: t.type, dims: [n, ...t.dims.slice(1)], data: out };
}

interface RefBeam {
  tokens: number[];
  lps: number[];
  sum: number;
}

async function referenceBeamSearch(p: Pipeline, encoderHidden: Tensor, opts: WindowDecodeOptions) {
  const { runner, tokenizer, config } = p;
  const sp = tokenizer.special;
  const { prefix, sotIndex } = buildPrefix(tokenizer, config, opts);
  const cap = config.maxTargetPositions - prefix.length;
  const maxNew = Math.max(0, Math.min(opts.maxNewTokens ?? Math.floor(config.maxTargetPositions / 2), cap));
  const width = opts.beamSize;
  const useCache = (opts.useCache ?? true) && runner.hasCache;
  const hidden = refRepeat(encoderHidden, width);
  const state = runner.newState(width);
  let beams: RefBeam[] = Array.from({ length: width }, () => ({ tokens: [], lps: [], sum: 0 }));
  let logits = await runner.step(
    state,
    beams.map(() => prefix),
    hidden,
    { useCache },
  );
  const x0 = refRow(logits, 0, sotIndex);
  const noSpeechProb =
    sp.noSpeech === undefined ? 0 : Math.exp(Math.fround((x0[sp.noSpeech] as number) - refLogSumExp(x0)));
  const finished: RefBeam[] = [];
  const lpRows = Array.from({ length: width }, () => new Float32Array(logits.vocab));
  for (let i = 0; i < maxNew && finished.length < width; i++) {
    const scores = new Map<string, { beam: RefBeam; source: number }>();
    beams.forEach((beam, b) => {
      const x = refRow(logits, b, logits.length - 1);
      const { lse } = refFilter(p, opts, x, beam.tokens);
      const lp = lpRows[b] as Float32Array;
      for (let k = 0; k < x.length; k++) lp[k] = (x[k] as number) - lse;
      for (const { index: t, score } of topK(lp, width + 1)) {
        if (score === -Infinity) continue;
        const tokens = [...beam.tokens, t];
        const key = tokens.join(',');
        if (scores.has(key)) continue;
        const l = lp[t] as number;
        scores.set(key, { beam: { tokens, lps: [...beam.lps, l], sum: beam.sum + l }, source: b });
      }
    });
    const ranked = [...scores.values()].sort((a, b) => b.beam.sum - a.beam.sum);
    const next: RefBeam[] = [];
    const sources: number[] = [];
    for (const c of ranked) {
      const last = c.beam.tokens[c.beam.tokens.length - 1];
      if (last === sp.eot) {
        if (finished.length < width) {
          finished.push({ tokens: c.beam.tokens.slice(0, -1), lps: c.beam.lps.slice(0, -1), sum: c.beam.sum });
        }
      } else {
        next.push(c.beam);
        sources.push(c.source);
      }
      if (next.length === width) break;
    }
    if (next.length === 0 || finished.length >= width || i === maxNew - 1) {
      beams = next;
      break;
    }
    runner.reorder(state, sources);
    beams = next;
    const ids = useCache
      ? beams.map((b) => [b.tokens[b.tokens.length - 1] as number])
      : beams.map((b) => [...prefix, ...b.tokens]);
    logits = await runner.step(state, ids, hidden, { useCache });
  }
  const candidates = finished.length > 0 ? finished : beams;
  let best = candidates[0] as RefBeam;
  let bestScore = -Infinity;
  for (const c of candidates) {
    const score = c.sum / Math.max(1, c.tokens.length);
    if (score > bestScore) {
      bestScore = score;
      best = c;
    }
  }
  const text = tokenizer.decode(best.tokens);
  return {
    tokens: best.tokens,
    tokenLogprobs: best.lps,
    sumLogprob: best.sum,
    avgLogprob: best.sum / (best.tokens.length + 1),
    noSpeechProb,
    temperature: opts.temperature,
    text,
    compressionRatio: compressionRatio(text),
  } satisfies WindowDecodeResult;
}

/** Runs both and expects the very same result: tokens, every log-probability, sums, no-speech probability. */
async function expectSameAsReference(p: Pipeline, hidden: Tensor, opts: WindowDecodeOptions): Promise<number> {
  const got = await decodeWindow(p.runner, p.tokenizer, p.config, hidden, opts);
  const want = await referenceBeamSearch(p, hidden, opts);
  expect(got.tokens).toEqual(want.tokens);
  expect(got.tokenLogprobs).toEqual(want.tokenLogprobs);
  expect(got).toEqual(want);
  return got.tokens.length;
}

const base = { temperature: 0, random: seededRandom(0) } as const;

describe('beam search against the previous implementation (identical tokens and log-probabilities)', () => {
  let tiny: WhisperSpeechToText;
  let split: WhisperSpeechToText;
  let en: WhisperSpeechToText;
  const hiddens = new Map<string, Tensor[]>();
  beforeAll(async () => {
    // The split export has no tokenizer of its own: it shares whisper-tiny's.
    const splitDir = mkdtempSync(join(tmpdir(), 'whisper-split-beam-'));
    for (const f of ['onnx', 'config.json', 'generation_config.json', 'preprocessor_config.json'])
      symlinkSync(join(FIXTURES, 'whisper-tiny-split', f), join(splitDir, f));
    symlinkSync(join(FIXTURES, 'whisper-tiny', 'tokenizer.json'), join(splitDir, 'tokenizer.json'));
    [tiny, split, en] = await Promise.all([
      loadSpeechToText(join(FIXTURES, 'whisper-tiny'), { vad: false }),
      loadSpeechToText(splitDir, { vad: false }),
      loadSpeechToText(join(FIXTURES, 'whisper-tiny.en-int8'), { vad: false }),
    ]);
    for (const [name, stt] of [
      ['tiny', tiny],
      ['split', split],
      ['en', en],
    ] as const) {
      const list: Tensor[] = [];
      for (const clip of name === 'en' ? CLIPS : CLIPS.slice(0, 2)) {
        const audio = await loadAudio(join(SPEECH, clip), { sampleRate: 16000 });
        list.push(
          await stt.pipeline.encode(logMelSpectrogram(audio.samples, { nMels: stt.pipeline.config.nMels }).data, 1),
        );
      }
      hiddens.set(name, list);
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all([tiny?.unload(), split?.unload(), en?.unload()]);
  });

  it.each([
    { beamSize: 2, withTimestamps: true, useCache: true },
    { beamSize: 3, withTimestamps: false, useCache: true },
    { beamSize: 5, withTimestamps: true, useCache: true },
    { beamSize: 3, withTimestamps: true, useCache: false },
  ])(
    'random-weight fp32 Whisper tiny (merged decoder): %o',
    async (o) => {
      for (const hidden of hiddens.get('tiny') as Tensor[]) {
        const opts = { ...base, ...o, maxNewTokens: 12, languageToken: 50259, taskToken: 50359 };
        expect(await expectSameAsReference(tiny.pipeline, hidden, opts)).toBeGreaterThan(0);
        // With a prompt (conditioning on previous text) and EOT suppressed.
        await expectSameAsReference(tiny.pipeline, hidden, { ...opts, promptTokens: [440, 1133, 13], ignoreEot: true });
      }
    },
    120_000,
  );

  it('random-weight fp32 Whisper tiny, split decoder (decoder + decoder_with_past), beam 4', async () => {
    for (const hidden of hiddens.get('split') as Tensor[]) {
      const opts = {
        ...base,
        beamSize: 4,
        withTimestamps: true,
        maxNewTokens: 12,
        languageToken: 50259,
        taskToken: 50359,
      };
      expect(await expectSameAsReference(split.pipeline, hidden, opts)).toBeGreaterThan(0);
    }
  }, 120_000);

  it('real Whisper tiny.en int8 on the five LibriVox clips, beam 5 with timestamps, to EOT', async () => {
    let finished = 0;
    for (const hidden of hiddens.get('en') as Tensor[]) {
      const opts = { ...base, beamSize: 5, withTimestamps: true };
      const n = await expectSameAsReference(en.pipeline, hidden, opts);
      if (n > 10 && n < 100) finished++;
    }
    // Real speech: every clip ends at EOT with a real transcript, not at the step cap.
    expect(finished).toBe(CLIPS.length);
  }, 300_000);
});
