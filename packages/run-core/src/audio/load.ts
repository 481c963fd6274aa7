import { AudioTooLongError, invalidParameter } from '../errors.js';
import type { AudioInput, PcmAudio } from '../types/speech.js';
import { decodeAudio, resolveAudioLimits, type AudioLimits } from './decode.js';
import { resample, toMono } from './resample.js';

/** Options of {@link loadAudio}: the target rate plus {@link AudioLimits}. */
export interface LoadAudioOptions extends AudioLimits {
  /** Output sample rate in Hz (default 16000, what Whisper and Silero VAD take). */
  sampleRate?: number;
}

function isPcmAudio(value: unknown): value is PcmAudio {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    (value as PcmAudio).samples instanceof Float32Array
  );
}

/**
 * Turns any {@link AudioInput} (file bytes, a path, or PCM) into mono float PCM at `sampleRate` (default 16 kHz):
 * decodes with {@link decodeAudio}, averages the channels, and resamples with {@link resample}.
 * @example
 * const pcm = await loadAudio('meeting.mp3');
 * // { samples: Float32Array(…), sampleRate: 16000 }
 */
export async function loadAudio(input: AudioInput, options: LoadAudioOptions = {}): Promise<PcmAudio> {
  const sampleRate = options.sampleRate ?? 16000;
  if (!Number.isSafeInteger(sampleRate) || sampleRate < 1) {
    throw invalidParameter('options.sampleRate', 'a positive integer (Hz)', sampleRate);
  }
  if (isPcmAudio(input)) {
    const { maxDurationSeconds } = resolveAudioLimits(options);
    if (!Number.isSafeInteger(input.sampleRate) || input.sampleRate < 1) {
      throw invalidParameter('audio.sampleRate', 'a positive integer (Hz)', input.sampleRate);
    }
    const seconds = input.samples.length / input.sampleRate;
    if (seconds > maxDurationSeconds) {
      throw new AudioTooLongError(
        `The audio is ${seconds.toFixed(1)} s long but the limit is ${maxDurationSeconds} s. Send shorter audio or raise limits.maxDurationSeconds.`,
        { details: { seconds, maxDurationSeconds } },
      );
    }
    if (input.sampleRate === sampleRate) return { samples: input.samples, sampleRate };
    return { samples: resample(input.samples, input.sampleRate, sampleRate), sampleRate };
  }
  if (!(input instanceof Uint8Array) && typeof input !== 'string') {
    throw invalidParameter('audio', 'audio file bytes, a file path, or { samples: Float32Array, sampleRate }', input);
  }
  const decoded = await decodeAudio(input, options);
  const mono = toMono(decoded.channels);
  const samples = decoded.sampleRate === sampleRate ? mono : resample(mono, decoded.sampleRate, sampleRate);
  return { samples, sampleRate };
}
