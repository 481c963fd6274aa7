import { invalidParameter } from '../errors.js';
import type { PcmAudio } from '../types/speech.js';

/** Options of {@link encodeWav}. */
export interface EncodeWavOptions {
  /** 16 = 16-bit signed PCM (default), 32 = 32-bit IEEE float. */
  bitDepth?: 16 | 32;
}

function checkPcm(audio: PcmAudio): void {
  if (audio === null || typeof audio !== 'object' || !(audio.samples instanceof Float32Array)) {
    throw invalidParameter('audio', '{ samples: Float32Array, sampleRate: number }', audio);
  }
  if (!Number.isSafeInteger(audio.sampleRate) || audio.sampleRate < 1) {
    throw invalidParameter('audio.sampleRate', 'a positive integer', audio.sampleRate);
  }
}

/** Converts one float sample to s16: clipped to [-1, 1], scaled by 32767, rounded (NaN becomes 0). */
function toInt16(x: number): number {
  if (!(x === x)) return 0;
  const clipped = x > 1 ? 1 : x < -1 ? -1 : x;
  return Math.round(clipped * 32767);
}

/**
 * Raw little-endian signed 16-bit PCM (`s16le`, no header): samples are clipped to [-1, 1], scaled by 32767 and
 * rounded.
 * @example
 * encodePcm16(new Float32Array([0, 1, -1]));
 * // Uint8Array [0, 0, 255, 127, 1, 128]
 */
export function encodePcm16(samples: Float32Array): Uint8Array {
  if (!(samples instanceof Float32Array)) throw invalidParameter('samples', 'a Float32Array', samples);
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, toInt16(samples[i]!), true);
  return out;
}

/**
 * A mono WAV file (RIFF, 44-byte header): 16-bit PCM by default, or 32-bit float (`bitDepth: 32`, format 3).
 * @example
 * const wav = encodeWav({ samples, sampleRate: 22050 });
 * // Uint8Array(44 + 2 * samples.length), starts with "RIFF"
 */
export function encodeWav(audio: PcmAudio, options: EncodeWavOptions = {}): Uint8Array {
  checkPcm(audio);
  const bitDepth = options.bitDepth ?? 16;
  if (bitDepth !== 16 && bitDepth !== 32) throw invalidParameter('options.bitDepth', '16 or 32', bitDepth);
  const { samples, sampleRate } = audio;
  const bytesPerSample = bitDepth / 8;
  const dataBytes = samples.length * bytesPerSample;
  if (dataBytes > 0xffffffff - 36) {
    throw invalidParameter(
      'audio.samples',
      `at most ${Math.floor((0xffffffff - 36) / bytesPerSample)} samples for a WAV file`,
      samples,
    );
  }
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string): void => {
    for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, bitDepth === 32 ? 3 : 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * bytesPerSample, true);
  view.setUint16(32, bytesPerSample, true);
  view.setUint16(34, bitDepth, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  if (bitDepth === 16) {
    for (let i = 0; i < samples.length; i++) view.setInt16(44 + i * 2, toInt16(samples[i]!), true);
  } else {
    for (let i = 0; i < samples.length; i++) view.setFloat32(44 + i * 4, samples[i]!, true);
  }
  return out;
}
