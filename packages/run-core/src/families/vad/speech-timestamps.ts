import { invalidParameter } from '../../errors.js';
import type { SpeechSegment } from '../../types/speech.js';

/** Options of voice activity detection; defaults are those of silero-vad's `get_speech_timestamps`. */
export interface VadOptions {
  /** Speech probability at or above which a window is speech (default 0.5). */
  threshold?: number;
  /** Probability below which speech ends (default `max(threshold - 0.15, 0.01)`). */
  negThreshold?: number;
  /** Speech shorter than this is dropped (default 250 ms). */
  minSpeechDurationMs?: number;
  /** Silence must last this long to end a segment (default 100 ms). */
  minSilenceDurationMs?: number;
  /** Padding added on each side of a segment (default 30 ms). */
  speechPadMs?: number;
  /** Longer speech is split, at the last silence over 98 ms when there is one (default Infinity). */
  maxSpeechDurationSeconds?: number;
  /** Cancels the detection. */
  signal?: AbortSignal;
}

/** {@link VadOptions} with every default filled in. */
export interface ResolvedVadOptions {
  threshold: number;
  negThreshold: number;
  minSpeechDurationMs: number;
  minSilenceDurationMs: number;
  speechPadMs: number;
  maxSpeechDurationSeconds: number;
}

/** Checks {@link VadOptions} and fills in the defaults; throws {@link InvalidArgumentError} on a bad value. */
export function resolveVadOptions(options: VadOptions = {}): ResolvedVadOptions {
  const threshold = options.threshold ?? 0.5;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold < 1)) {
    throw invalidParameter('options.threshold', 'a number in (0, 1)', threshold);
  }
  const negThreshold = options.negThreshold ?? Math.max(threshold - 0.15, 0.01);
  if (typeof negThreshold !== 'number' || !(negThreshold > 0 && negThreshold <= threshold)) {
    throw invalidParameter('options.negThreshold', `a number in (0, threshold=${threshold}]`, negThreshold);
  }
  const nonNegative = (name: string, value: number): number => {
    if (typeof value !== 'number' || !(value >= 0)) throw invalidParameter(`options.${name}`, 'a number >= 0', value);
    return value;
  };
  const maxSpeechDurationSeconds = options.maxSpeechDurationSeconds ?? Number.POSITIVE_INFINITY;
  if (typeof maxSpeechDurationSeconds !== 'number' || !(maxSpeechDurationSeconds > 0)) {
    throw invalidParameter('options.maxSpeechDurationSeconds', 'a number > 0 (or Infinity)', maxSpeechDurationSeconds);
  }
  return {
    threshold,
    negThreshold,
    minSpeechDurationMs: nonNegative('minSpeechDurationMs', options.minSpeechDurationMs ?? 250),
    minSilenceDurationMs: nonNegative('minSilenceDurationMs', options.minSilenceDurationMs ?? 100),
    speechPadMs: nonNegative('speechPadMs', options.speechPadMs ?? 30),
    maxSpeechDurationSeconds,
  };
}

/**
 * Turns per-window speech probabilities into speech segments, with the algorithm of silero-vad's
 * `get_speech_timestamps` (hysteresis between `threshold` and `negThreshold`, minimum speech and silence
 * durations, splitting of over-long speech, padding that never overlaps the next segment).
 * @param probabilities one probability per window of `windowSize` samples, in order
 * @param totalSamples length of the audio in samples (the last window may be partial)
 * @example
 * speechSegmentsFromProbabilities(probs, { sampleRate: 16000, windowSize: 512, totalSamples: 48000 });
 * // [{ start: 0.994, end: 2.846 }]
 */
export function speechSegmentsFromProbabilities(
  probabilities: ArrayLike<number>,
  geometry: { sampleRate: number; windowSize: number; totalSamples: number },
  options: VadOptions = {},
): SpeechSegment[] {
  const o = resolveVadOptions(options);
  const { sampleRate: sr, windowSize: win, totalSamples } = geometry;
  const minSpeech = (sr * o.minSpeechDurationMs) / 1000;
  const pad = (sr * o.speechPadMs) / 1000;
  const maxSpeech = sr * o.maxSpeechDurationSeconds - win - 2 * pad;
  const minSilence = (sr * o.minSilenceDurationMs) / 1000;
  const minSilenceAtMaxSpeech = (sr * 98) / 1000;

  const speeches: { start: number; end: number }[] = [];
  let triggered = false;
  let current: { start?: number; end?: number } = {};
  let tempEnd = 0;
  let prevEnd = 0;
  let nextStart = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    const at = win * i;
    if (p >= o.threshold && tempEnd) {
      tempEnd = 0;
      if (nextStart < prevEnd) nextStart = at;
    }
    if (p >= o.threshold && !triggered) {
      triggered = true;
      current = { start: at };
      continue;
    }
    if (triggered && at - current.start! > maxSpeech) {
      if (prevEnd) {
        speeches.push({ start: current.start!, end: prevEnd });
        current = {};
        if (nextStart < prevEnd) triggered = false;
        else current = { start: nextStart };
        prevEnd = nextStart = tempEnd = 0;
      } else {
        speeches.push({ start: current.start!, end: at });
        current = {};
        prevEnd = nextStart = tempEnd = 0;
        triggered = false;
        continue;
      }
    }
    if (p < o.negThreshold && triggered) {
      if (!tempEnd) tempEnd = at;
      if (at - tempEnd > minSilenceAtMaxSpeech) prevEnd = tempEnd;
      if (at - tempEnd < minSilence) continue;
      if (tempEnd - current.start! > minSpeech) speeches.push({ start: current.start!, end: tempEnd });
      current = {};
      prevEnd = nextStart = tempEnd = 0;
      triggered = false;
    }
  }
  if (current.start !== undefined && totalSamples - current.start > minSpeech) {
    speeches.push({ start: current.start, end: totalSamples });
  }
  for (let i = 0; i < speeches.length; i++) {
    const s = speeches[i]!;
    if (i === 0) s.start = Math.floor(Math.max(0, s.start - pad));
    const next = speeches[i + 1];
    if (next !== undefined) {
      const silence = next.start - s.end;
      if (silence < 2 * pad) {
        s.end += Math.floor(silence / 2);
        next.start = Math.floor(Math.max(0, next.start - Math.floor(silence / 2)));
      } else {
        s.end = Math.floor(Math.min(totalSamples, s.end + pad));
        next.start = Math.floor(Math.max(0, next.start - pad));
      }
    } else {
      s.end = Math.floor(Math.min(totalSamples, s.end + pad));
    }
  }
  return speeches.map((s) => ({ start: s.start / sr, end: s.end / sr }));
}
