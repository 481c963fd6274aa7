import { invalidParameter } from '../../errors.js';
import { RealFft } from './fft.js';

/** Whisper's fixed front-end constants (OpenAI `whisper/audio.py`, HF `WhisperFeatureExtractor`). */
export const WHISPER_SAMPLE_RATE = 16000;
/** STFT window length in samples (25 ms). */
export const WHISPER_N_FFT = 400;
/** STFT hop in samples (10 ms): one mel frame. */
export const WHISPER_HOP_LENGTH = 160;
/** Samples in one 30 s window. */
export const WHISPER_CHUNK_SAMPLES = 480000;
/** Mel frames in one 30 s window. */
export const WHISPER_CHUNK_FRAMES = 3000;

/** A log-mel spectrogram, row-major `[nMels, nFrames]` (the encoder's `input_features` without the batch dim). */
export interface LogMel {
  readonly data: Float32Array;
  readonly nMels: number;
  readonly nFrames: number;
}

/** Options of {@link logMelSpectrogram}. */
export interface LogMelOptions {
  /** Mel bins: 80 (Whisper tiny…large-v2) or 128 (large-v3). Default 80. */
  readonly nMels?: number;
  /**
   * The audio is zero-padded or truncated to this many samples before the STFT (default 480000 = 30 s, as
   * `WhisperFeatureExtractor` does). The result has `floor(nSamples / 160)` frames.
   */
  readonly nSamples?: number;
}

const HZ_MIN_LOG = 1000;
const MEL_MIN_LOG = 15;
const LOG_STEP = Math.log(6.4) / 27;

function hzToMelSlaney(hz: number): number {
  return hz >= HZ_MIN_LOG ? MEL_MIN_LOG + Math.log(hz / HZ_MIN_LOG) / LOG_STEP : (3 * hz) / 200;
}

function melToHzSlaney(mel: number): number {
  return mel >= MEL_MIN_LOG ? HZ_MIN_LOG * Math.exp(LOG_STEP * (mel - MEL_MIN_LOG)) : (200 * mel) / 3;
}

/** Mel filters stored sparsely: filter m weighs FFT bins `[starts[m], ends[m])` with `weights[offsets[m]…]`. */
interface SparseFilters {
  starts: Int32Array;
  ends: Int32Array;
  offsets: Int32Array;
  weights: Float64Array;
}

/**
 * Triangular mel filters as HF `mel_filter_bank(num_frequency_bins, n_mels, 0, sr/2, sr, norm="slaney",
 * mel_scale="slaney")`, returned dense `[nMels][nBins]` (row-major).
 * @example
 * const fb = melFilterBank(80); // Float64Array(80 * 201)
 */
export function melFilterBank(
  nMels: number,
  nFft: number = WHISPER_N_FFT,
  sampleRate: number = WHISPER_SAMPLE_RATE,
): Float64Array {
  const nBins = Math.floor(nFft / 2) + 1;
  const melMin = hzToMelSlaney(0);
  const melMax = hzToMelSlaney(sampleRate / 2);
  const filterHz = new Float64Array(nMels + 2);
  for (let i = 0; i < nMels + 2; i++) filterHz[i] = melToHzSlaney(melMin + ((melMax - melMin) * i) / (nMels + 1));
  const fftHz = new Float64Array(nBins);
  for (let k = 0; k < nBins; k++) fftHz[k] = ((sampleRate / 2) * k) / (nBins - 1);
  const out = new Float64Array(nMels * nBins);
  for (let m = 0; m < nMels; m++) {
    const lo = filterHz[m] as number;
    const center = filterHz[m + 1] as number;
    const hi = filterHz[m + 2] as number;
    const enorm = 2 / (hi - lo);
    for (let k = 0; k < nBins; k++) {
      const f = fftHz[k] as number;
      const down = (f - lo) / (center - lo);
      const up = (hi - f) / (hi - center);
      const w = Math.max(0, Math.min(down, up));
      out[m * nBins + k] = w * enorm;
    }
  }
  return out;
}

const filterCache = new Map<number, SparseFilters>();

function sparseFilters(nMels: number): SparseFilters {
  const cached = filterCache.get(nMels);
  if (cached) return cached;
  const nBins = WHISPER_N_FFT / 2 + 1;
  const dense = melFilterBank(nMels);
  const starts = new Int32Array(nMels);
  const ends = new Int32Array(nMels);
  const offsets = new Int32Array(nMels);
  const kept: number[] = [];
  for (let m = 0; m < nMels; m++) {
    let start = -1;
    let end = -1;
    for (let k = 0; k < nBins; k++) {
      if ((dense[m * nBins + k] as number) !== 0) {
        if (start < 0) start = k;
        end = k;
      }
    }
    offsets[m] = kept.length;
    if (start < 0) continue; // an empty filter (too many mels for n_fft): starts = ends = 0
    starts[m] = start;
    ends[m] = end + 1;
    for (let k = start; k <= end; k++) kept.push(dense[m * nBins + k] as number);
  }
  const filters = { starts, ends, offsets, weights: Float64Array.from(kept) };
  filterCache.set(nMels, filters);
  return filters;
}

let hannCache: Float64Array | undefined;

function hannPeriodic(): Float64Array {
  if (hannCache) return hannCache;
  const w = new Float64Array(WHISPER_N_FFT);
  for (let i = 0; i < WHISPER_N_FFT; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / WHISPER_N_FFT);
  hannCache = w;
  return w;
}

let fftCache: RealFft | undefined;

/**
 * Whisper's log-mel spectrogram of 16 kHz mono audio, computed as Hugging Face's `WhisperFeatureExtractor` does
 * (numpy path): pad/truncate to `nSamples`, reflect-padded STFT (n_fft 400, hop 160, periodic Hann), power
 * spectrum, slaney mel filters, `log10(max(x, 1e-10))`, `max(x, max(x) - 8)`, `(x + 4) / 4`, last frame dropped.
 * @example
 * const mel = logMelSpectrogram(pcm16k); // { nMels: 80, nFrames: 3000, data: Float32Array(240000) }
 */
export function logMelSpectrogram(samples: Float32Array, options: LogMelOptions = {}): LogMel {
  const nMels = options.nMels ?? 80;
  const nSamples = options.nSamples ?? WHISPER_CHUNK_SAMPLES;
  if (!Number.isInteger(nMels) || nMels < 1 || nMels > 512)
    throw invalidParameter('nMels', 'an integer in [1, 512]', nMels);
  if (!Number.isInteger(nSamples) || nSamples < WHISPER_N_FFT) {
    throw invalidParameter('nSamples', `an integer >= ${WHISPER_N_FFT}`, nSamples);
  }
  const pad = WHISPER_N_FFT / 2;
  const padded = new Float64Array(nSamples + 2 * pad);
  const n = Math.min(samples.length, nSamples);
  for (let i = 0; i < n; i++) padded[pad + i] = samples[i] as number;
  // numpy 'reflect' padding (edge sample not repeated).
  for (let i = 0; i < pad; i++) {
    padded[pad - 1 - i] = padded[pad + 1 + i] as number;
    padded[pad + nSamples + i] = padded[pad + nSamples - 2 - i] as number;
  }
  const nFrames = Math.floor(nSamples / WHISPER_HOP_LENGTH);
  const window = hannPeriodic();
  fftCache ??= new RealFft(WHISPER_N_FFT);
  const fft = fftCache;
  const { starts, ends, offsets, weights } = sparseFilters(nMels);
  const power = new Float64Array(WHISPER_N_FFT / 2 + 1);
  const out = new Float32Array(nMels * nFrames);
  // Frames that lie wholly in the zero padding have a zero spectrum: skip their FFT.
  const lastNonZero = n >= nSamples - pad - 1 ? padded.length - 1 : pad + n - 1;
  let maxLog = -Infinity;
  const floorLog = -10; // log10(1e-10)
  for (let t = 0; t < nFrames; t++) {
    const off = t * WHISPER_HOP_LENGTH;
    if (n === 0 || off > lastNonZero) {
      for (let m = 0; m < nMels; m++) out[m * nFrames + t] = floorLog;
      if (floorLog > maxLog) maxLog = floorLog;
      continue;
    }
    fft.powerSpectrumWindowed(padded, off, window, power);
    for (let m = 0; m < nMels; m++) {
      // Sparse filter: only the bins under the triangle (flat weights, start/end per filter).
      const start = starts[m] as number;
      const end = ends[m] as number;
      const base = offsets[m] as number;
      let acc = 0;
      for (let k = start; k < end; k++) acc += (weights[base + k - start] as number) * (power[k] as number);
      const v = Math.log10(acc > 1e-10 ? acc : 1e-10);
      out[m * nFrames + t] = v;
      if (v > maxLog) maxLog = v;
    }
  }
  const floor = maxLog - 8;
  for (let i = 0; i < out.length; i++) {
    const v = out[i] as number;
    out[i] = ((v > floor ? v : floor) + 4) / 4;
  }
  return { data: out, nMels, nFrames };
}
