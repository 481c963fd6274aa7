import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  alignmentMatrix,
  medianFilter,
  mergePunctuations,
  splitToWordTokens,
  wordsFromMatrix,
  WhisperTokenizer,
  type WordTiming,
} from '../src/families.js';
import { dtw } from '../src/families/whisper/dtw.js';
import { whisperFixtures } from './fixtures/whisper/index.js';

// Goldens: fixtures/whisper/make_alignment_golden.py (numpy re-statement of openai-whisper's timing.py).
interface Golden {
  median_filter: { rows: number; cols: number; width: number; x: number[][]; y: number[][] }[];
  dtw: { n: number; m: number; x: number[][]; text_indices: number[]; time_indices: number[] }[];
  alignment: {
    heads: number;
    tokens: number;
    src_frames: number;
    frames: number;
    sot_len: number;
    attention: number[][][];
    matrix: number[][];
    text_indices: number[];
    time_indices: number[];
    jump_times: number[];
  };
}
const golden = JSON.parse(readFileSync(whisperFixtures.alignmentGolden, 'utf8')) as Golden;
const tokenizer = WhisperTokenizer.fromJson(
  JSON.parse(readFileSync(join(whisperFixtures.whisperTiny, 'tokenizer.json'), 'utf8')) as object,
);
const EOT = tokenizer.special.eot;

describe('medianFilter (OpenAI median_filter: reflect padding)', () => {
  it('matches numpy on every golden case', () => {
    for (const c of golden.median_filter) {
      const y = medianFilter(Float32Array.from(c.x.flat()), c.rows, c.cols, c.width);
      const want = c.y.flat();
      expect(y.length).toBe(want.length);
      want.forEach((v, i) => expect(y[i]).toBeCloseTo(v, 6));
    }
  });

  it('gives the documented example and rejects even widths', () => {
    expect([...medianFilter(Float32Array.of(1, 9, 2, 8, 3), 1, 5, 3)]).toEqual([9, 2, 8, 3, 8]);
    expect(() => medianFilter(new Float32Array(4), 1, 4, 4)).toThrow(RangeError);
    expect(() => medianFilter(new Float32Array(3), 1, 4, 3)).toThrow(/rows × cols/);
  });
});

describe('dtw (OpenAI dtw_cpu + backtrace)', () => {
  it('finds the same path as numpy, ties included', () => {
    for (const c of golden.dtw) {
      const { textIndices, timeIndices } = dtw(Float64Array.from(c.x.flat()), c.n, c.m);
      expect(textIndices).toEqual(c.text_indices);
      expect(timeIndices).toEqual(c.time_indices);
    }
  });

  it('gives the documented example; empty input gives an empty path', () => {
    expect(dtw(Float64Array.of(0, 1, 1, 1, 0, 1), 2, 3)).toEqual({ textIndices: [0, 1, 1], timeIndices: [0, 1, 2] });
    expect(dtw(new Float64Array(0), 0, 0)).toEqual({ textIndices: [], timeIndices: [] });
    expect(() => dtw(new Float64Array(5), 2, 3)).toThrow(RangeError);
  });
});

describe('alignmentMatrix + DTW (find_alignment)', () => {
  const a = golden.alignment;
  const heads = a.attention.map((h) => Float32Array.from(h.flat()));
  const matrix = alignmentMatrix(heads, a.tokens, a.src_frames, a.frames);

  it('crops, renormalises, z-scores, median-filters and averages like OpenAI (|Δ| < 1e-4)', () => {
    const want = a.matrix.flat();
    expect(matrix.length).toBe(want.length);
    let worst = 0;
    want.forEach((v, i) => (worst = Math.max(worst, Math.abs((matrix[i] as number) - v))));
    expect(worst).toBeLessThan(1e-4);
  });

  it('DTW over the text rows gives the reference path and jump times', () => {
    const rows = a.tokens - a.sot_len - 1;
    const sliced = matrix.subarray(a.sot_len * a.frames, (a.tokens - 1) * a.frames);
    const neg = Float64Array.from(sliced, (v) => -v);
    const { textIndices, timeIndices } = dtw(neg, rows, a.frames);
    expect(textIndices).toEqual(a.text_indices);
    expect(timeIndices).toEqual(a.time_indices);
    // wordsFromMatrix: one token per word here (" a" " b" …), so word starts are the jump times.
    const text = [' a', ' b', ' c', ' d', ' e', ' f'].map((w) => tokenizer.encode(w)[0] as number);
    expect(text).toHaveLength(rows - 1);
    const words = wordsFromMatrix(
      sliced,
      a.frames,
      text,
      text.map(() => 0.5),
      tokenizer,
      EOT,
    );
    expect(words.map((w) => w.word)).toEqual([' a', ' b', ' c', ' d', ' e', ' f']);
    expect(words.map((w) => w.start)).toEqual(a.jump_times.slice(0, rows - 1));
    expect(words.map((w) => w.end)).toEqual(a.jump_times.slice(1, rows));
    expect(words.every((w) => w.probability === 0.5)).toBe(true);
  });

  it('rejects inconsistent shapes', () => {
    expect(() => alignmentMatrix(heads, a.tokens, a.src_frames, a.src_frames + 1)).toThrow(RangeError);
    expect(() => alignmentMatrix([new Float32Array(3)], a.tokens, a.src_frames, a.frames)).toThrow(RangeError);
  });
});

describe('word grouping (split_to_word_tokens, merge_punctuations)', () => {
  it('splits on leading spaces and punctuation, keeps the special token last', () => {
    const ids = tokenizer.encode(' He was not an ill-disposed young man.');
    const { words, wordTokens } = splitToWordTokens([...ids, EOT], tokenizer, EOT);
    expect(words).toEqual([' He', ' was', ' not', ' an', ' ill', '-disposed', ' young', ' man', '.', '']);
    expect(wordTokens.flat()).toEqual([...ids, EOT]);
  });

  it('never cuts a multi-byte character; languages without spaces split per character group', () => {
    const text = ' こんにちは、世界';
    const ids = tokenizer.encode(text);
    const { words } = splitToWordTokens([...ids, EOT], tokenizer, EOT, 'ja');
    expect(words.join('')).toBe(text);
    expect(words.some((w) => w.includes('\ufffd'))).toBe(false);
    expect(words.length).toBeGreaterThan(2);
  });

  it('glues opening punctuation to the next word and closing punctuation to the previous one', () => {
    const w = (word: string, start: number): WordTiming => ({
      word,
      tokens: [start],
      start,
      end: start + 1,
      probability: 1,
    });
    const alignment = [
      w(' "', 0),
      w('Hello', 1),
      w(',', 2),
      w(' world', 3),
      w('!"', 4),
      w(' (', 5),
      w('ok', 6),
      w(')', 7),
    ];
    mergePunctuations(alignment);
    expect(alignment.filter((a) => a.word !== '').map((a) => [a.word, a.start, a.tokens])).toEqual([
      [' "Hello,', 1, [0, 1, 2]],
      [' world', 3, [3]],
      ['!"', 4, [4]],
      [' (ok)', 6, [5, 6, 7]],
    ]);
  });
});
