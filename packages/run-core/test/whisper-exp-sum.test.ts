import { describe, expect, it } from 'vitest';
import { agreesWithLoop, expSum, expSumLoop, expSumUsesWasm, type ExpSum } from '../src/families/whisper/exp-sum.js';
import { applyTimestampRules, rowStats, seededRandom } from '../src/families/whisper/logits.js';

/** Rows shaped like Whisper logits: a vocabulary of 51864, logits spread over ~40, some suppressed. */
function rows(count: number, length = 51864): Float32Array[] {
  const random = seededRandom(7);
  return Array.from({ length: count }, (_, r) => {
    const x = new Float32Array(length);
    const spread = 5 + (r % 7) * 6;
    for (let i = 0; i < length; i++) x[i] = random() < 0.02 ? -Infinity : (random() - 0.7) * spread;
    return x;
  });
}

describe('expSum: the exp pass of the log-sum-exp, bit-identical to Math.exp summed in index order', () => {
  it('runs the WebAssembly SIMD path on this runtime (it passed its self-check against Math.exp)', () => {
    expect(expSumUsesWasm()).toBe(true);
  });

  it('gives the very same sums as the plain loop on 60 vocabulary-sized rows, whole and in parts', () => {
    for (const x of rows(60)) {
      let max = -Infinity;
      for (const v of x) if (v > max) max = v;
      expect(Object.is(expSum(x, 0, x.length, max, 0), expSumLoop(x, 0, x.length, max, 0))).toBe(true);
      expect(Object.is(expSum(x, 3, 50257, max, 0.25), expSumLoop(x, 3, 50257, max, 0.25))).toBe(true);
    }
  });

  it('handles rows longer than its initial memory, empty and odd ranges', () => {
    const [x] = rows(1, 300_001) as [Float32Array];
    expect(Object.is(expSum(x, 0, x.length, 3, 0), expSumLoop(x, 0, x.length, 3, 0))).toBe(true);
    expect(expSum(x, 5, 5, 0, 1.5)).toBe(1.5);
    expect(Object.is(expSum(x, 7, 8, 0, 0), Math.exp((x[7] as number) - 0))).toBe(true);
  });

  it('its self-check rejects a sum that differs from the loop in the last bit', () => {
    expect(agreesWithLoop(expSumLoop)).toBe(true);
    const off: ExpSum = (x, from, to, max, s) => {
      const r = expSumLoop(x, from, to, max, s);
      return to - from > 100 ? r * (1 + Number.EPSILON) : r;
    };
    expect(agreesWithLoop(off)).toBe(false);
  });

  it('rowStats and applyTimestampRules give the log-sum-exp of the plain loop', () => {
    const tokens = { eot: 50256, noTimestamps: 50362, timestampBegin: 50363 };
    for (const x of rows(10)) {
      let max = -Infinity;
      for (const v of x) if (v > max) max = v;
      expect(rowStats(x).lse).toBe(max + Math.log(expSumLoop(x, 0, x.length, max, 0)));
      const y = x.slice();
      const stats = applyTimestampRules(y, [50363, 100], tokens, 50);
      let m = -Infinity;
      for (const v of y) if (v > m) m = v;
      expect(stats.lse).toBe(m + Math.log(expSumLoop(y, 0, y.length, m, 0)));
    }
  });
});
