import { describe, expect, it } from 'vitest';
import { resolveVadOptions, speechSegmentsFromProbabilities } from '../src/families.js';

// The get_speech_timestamps rules on hand-made probability tracks (512-sample windows at 16 kHz = 32 ms).
const geometry = (windows: number) => ({ sampleRate: 16000, windowSize: 512, totalSamples: windows * 512 });
const track = (...runs: [number, number][]): number[] => runs.flatMap(([p, n]) => Array<number>(n).fill(p));
const s = (samples: number) => samples / 16000;

describe('speechSegmentsFromProbabilities (silero get_speech_timestamps)', () => {
  it('one stretch of speech, padded by 30 ms (480 samples) on both sides', () => {
    const probs = track([0, 10], [0.9, 20], [0, 10]);
    expect(speechSegmentsFromProbabilities(probs, geometry(40))).toEqual([
      { start: s(10 * 512 - 480), end: s(30 * 512 + 480) },
    ]);
  });

  it('drops speech shorter than 250 ms and bridges silence shorter than 100 ms', () => {
    // 5 windows = 160 ms of speech: dropped
    expect(speechSegmentsFromProbabilities(track([0, 10], [0.9, 5], [0, 10]), geometry(25))).toEqual([]);
    // a 2-window (64 ms) gap inside speech does not split it
    const merged = speechSegmentsFromProbabilities(
      track([0, 5], [0.9, 10], [0.1, 2], [0.9, 10], [0, 10]),
      geometry(37),
    );
    expect(merged).toHaveLength(1);
    // a 10-window (320 ms) gap does, and the padding is split when the gap is under 2 x 30 ms… here it is not
    const split = speechSegmentsFromProbabilities(
      track([0, 5], [0.9, 10], [0.1, 10], [0.9, 10], [0, 10]),
      geometry(45),
    );
    expect(split).toEqual([
      { start: s(5 * 512 - 480), end: s(15 * 512 + 480) },
      { start: s(25 * 512 - 480), end: s(35 * 512 + 480) },
    ]);
  });

  it('hysteresis: probabilities between negThreshold (0.35) and threshold keep speech going', () => {
    const probs = track([0, 5], [0.9, 10], [0.4, 20], [0, 10]);
    expect(speechSegmentsFromProbabilities(probs, geometry(45))).toEqual([
      { start: s(5 * 512 - 480), end: s(35 * 512 + 480) },
    ]);
  });

  it('speech running to the end of the audio ends at the last sample', () => {
    const probs = track([0, 5], [0.9, 20]);
    const g = { sampleRate: 16000, windowSize: 512, totalSamples: 25 * 512 - 100 };
    expect(speechSegmentsFromProbabilities(probs, g)).toEqual([{ start: s(5 * 512 - 480), end: s(25 * 512 - 100) }]);
  });

  it('splits speech longer than maxSpeechDurationSeconds', () => {
    const probs = track([0, 5], [0.9, 200], [0, 10]);
    const segs = speechSegmentsFromProbabilities(probs, geometry(215), { maxSpeechDurationSeconds: 2 });
    expect(segs.length).toBeGreaterThanOrEqual(3);
    for (const g of segs) expect(g.end - g.start).toBeLessThanOrEqual(2.1);
  });

  it('rejects bad options with ERR_RUN_INVALID_ARGUMENT', () => {
    expect(resolveVadOptions()).toEqual({
      threshold: 0.5,
      negThreshold: 0.35,
      minSpeechDurationMs: 250,
      minSilenceDurationMs: 100,
      speechPadMs: 30,
      maxSpeechDurationSeconds: Number.POSITIVE_INFINITY,
    });
    expect(() => resolveVadOptions({ threshold: 1.5 })).toThrow(
      expect.objectContaining({ code: 'ERR_RUN_INVALID_ARGUMENT' }),
    );
    expect(() => resolveVadOptions({ threshold: 0.5, negThreshold: 0.6 })).toThrow(
      expect.objectContaining({ code: 'ERR_RUN_INVALID_ARGUMENT' }),
    );
    expect(() => resolveVadOptions({ speechPadMs: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_RUN_INVALID_ARGUMENT' }),
    );
  });
});
