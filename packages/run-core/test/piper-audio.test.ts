import { describe, expect, it } from 'vitest';
import { peakNormalized } from '../src/families/piper/piper-tts.js';

/** The normalisation as it was written before (Float32Array.from, for…of with Math.max): the reference. */
function reference(data: Float32Array): Float32Array {
  const audio = Float32Array.from(data);
  let peak = 0;
  for (const x of audio) peak = Math.max(peak, Math.abs(x));
  const gain = 1 / Math.max(0.01, peak);
  for (let i = 0; i < audio.length; i++) audio[i] = audio[i]! * gain;
  return audio;
}

/** Deterministic pseudo-random samples in [-scale, scale] (a small LCG, so failures reproduce). */
function noise(n: number, scale: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

describe('Piper peak normalisation', () => {
  it('is bit-identical to the previous algorithm, loud, quiet (peak < 0.01) and negative-peaked audio', () => {
    const cases = [
      noise(22050, 0.8, 1),
      noise(75_000, 3.5, 2),
      noise(1000, 0.004, 3), // quieter than the 0.01 floor: scaled by 100, not to full range
      Float32Array.of(0.1, -0.7, 0.3),
      Float32Array.of(0, 0, 0),
      new Float32Array(0),
    ];
    for (const input of cases) {
      const copy = new Float32Array(input);
      const got = peakNormalized(input);
      expect(Buffer.from(got.buffer).equals(Buffer.from(reference(input).buffer))).toBe(true);
      expect(got).not.toBe(input);
      expect(input).toEqual(copy); // the model's output is left as it was
    }
    expect(Math.max(...peakNormalized(Float32Array.of(0.1, -0.7, 0.3)).map(Math.abs))).toBe(1);
    expect(Array.from(peakNormalized(Float32Array.of(0.002, -0.004)))).toEqual(
      [Math.fround(0.002) * 100, Math.fround(-0.004) * 100].map(Math.fround),
    );
  });
});
