import { describe, expect, it } from 'vitest';
import { topK, topKInto } from '../src/index.js';
import { rowStats, seededRandom } from '../src/families.js';
import { BeamScratch, topLogprobs } from '../src/families/whisper/decode.js';

/** What beam search took before: `topK` of the full log-softmax row (float32), -Infinity dropped. */
function reference(x: Float32Array, lse: number, k: number): { index: number; score: number }[] {
  const row = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) row[i] = (x[i] as number) - lse;
  return topK(row, k).filter((t) => t.score !== -Infinity);
}

function fast(x: Float32Array, lse: number, s: BeamScratch): { index: number; score: number }[] {
  const n = topLogprobs(x, lse, s);
  return Array.from({ length: n }, (_, j) => ({ index: s.topIdx[j] as number, score: s.topLp[j] as number }));
}

describe('topLogprobs (beam candidates without a log-softmax row)', () => {
  it('equals topK of the full log-softmax row on random rows, with suppressed tokens', () => {
    const random = seededRandom(7);
    const s = new BeamScratch(5, 6, 4, 2000);
    for (let r = 0; r < 200; r++) {
      const x = Float32Array.from({ length: 2000 }, () => (random() - 0.5) * 30);
      for (let i = 0; i < 2000; i += 1 + Math.floor(random() * 5)) x[i] = -Infinity;
      const { lse } = rowStats(x);
      expect(fast(x, lse, s)).toEqual(reference(x, lse, 6));
    }
  });

  it('breaks ties of rounded log-probabilities by index, like the full row (also past the kept logits)', () => {
    const s = new BeamScratch(2, 3, 2, 64);
    // Distinct float32 logits just above 1 that round to one log-probability once 1000 is subtracted: the full row
    // ties them, so the lowest indices win although the logits grow with the index.
    const x = new Float32Array(64).fill(-5);
    for (let i = 0; i < 10; i++) x[10 + i] = 1 + i * 2 ** -23;
    const lse = 1000;
    expect(Math.fround((x[10] as number) - lse)).toBe(Math.fround((x[19] as number) - lse));
    const got = fast(x, lse, s);
    expect(got.map((t) => t.index)).toEqual([10, 11, 12]);
    expect(got).toEqual(reference(x, lse, 3));
    // A clear winner first, then the tie group.
    x[40] = 3;
    expect(fast(x, lse, s)).toEqual(reference(x, lse, 3));
  });

  it('gives nothing for rows without a finite log-sum-exp, and fewer than k when few tokens are allowed', () => {
    const s = new BeamScratch(3, 4, 4, 16);
    const none = new Float32Array(16).fill(-Infinity);
    expect(fast(none, rowStats(none).lse, s)).toEqual([]);
    const two = new Float32Array(16).fill(-Infinity);
    two[3] = 1;
    two[9] = 2;
    expect(fast(two, rowStats(two).lse, s)).toEqual(reference(two, rowStats(two).lse, 4));
    expect(fast(two, rowStats(two).lse, s).map((t) => t.index)).toEqual([9, 3]);
  });
});

describe('topKInto', () => {
  it('fills caller buffers best first, ties by lower index, NaN and scores below atLeast skipped', () => {
    const idx = new Int32Array(3);
    const val = new Float64Array(3);
    expect(topKInto([0.1, 0.7, Number.NaN, 0.7, -Infinity], 3, idx, val)).toBe(3);
    expect([...idx]).toEqual([1, 3, 0]);
    expect([...val]).toEqual([0.7, 0.7, 0.1]);
    expect(topKInto([-Infinity, 2, -Infinity], 3, idx, val, -Number.MAX_VALUE)).toBe(1);
    expect(idx[0]).toBe(1);
  });
});
