import { invalidParameter } from '../errors.js';

/** Highest sample rate accepted by {@link resample} (Hz). */
export const MAX_SAMPLE_RATE = 768_000;

/**
 * Mixes channels down to one by averaging them (the same array back when there is one channel).
 * @example
 * toMono([new Float32Array([1, 0]), new Float32Array([0, 0])]);
 * // Float32Array [0.5, 0]
 */
export function toMono(channels: readonly Float32Array[]): Float32Array {
  const first = channels[0];
  if (first === undefined) throw invalidParameter('channels', 'at least one channel', channels);
  if (channels.length === 1) return first;
  const out = new Float32Array(first.length);
  for (const ch of channels) {
    if (ch.length !== first.length) {
      throw invalidParameter('channels', `channels of equal length (${first.length})`, ch);
    }
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + ch[i]!;
  }
  const scale = 1 / channels.length;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale;
  return out;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for the small beta used here). */
function besselI0(x: number): number {
  const half = x / 2;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 500; k++) {
    term *= (half / k) * (half / k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser window beta, as in scipy.signal.resample_poly's default `('kaiser', 5.0)`. */
const KAISER_BETA = 5.0;
/** Zero crossings of the sinc on each side, in units of the slower rate (scipy: `half_len = 10 * max_rate`). */
const HALF_ZERO_CROSSINGS = 10;

/**
 * Polyphase decomposition of the anti-aliasing low-pass filter for an `up`/`down` rate change:
 * `phases[p][j] = h[p + j * up]`, where h is a Kaiser-windowed sinc (scipy `firwin(2*half+1, 1/max(up,down),
 * window=('kaiser', 5))`) normalised to unit DC gain and multiplied by `up`.
 */
interface PolyphaseFilter {
  up: number;
  down: number;
  halfLen: number;
  phases: Float64Array[];
}

const filterCache = new Map<string, PolyphaseFilter>();
const FILTER_CACHE_SIZE = 8;

function polyphaseFilter(up: number, down: number): PolyphaseFilter {
  const key = `${up}/${down}`;
  const cached = filterCache.get(key);
  if (cached !== undefined) return cached;
  const maxRate = Math.max(up, down);
  const cutoff = 1 / maxRate;
  const halfLen = HALF_ZERO_CROSSINGS * maxRate;
  const numTaps = 2 * halfLen + 1;
  const h = new Float64Array(numTaps);
  const i0Beta = besselI0(KAISER_BETA);
  let sum = 0;
  for (let n = 0; n < numTaps; n++) {
    const m = n - halfLen;
    const x = Math.PI * cutoff * m;
    const sinc = m === 0 ? 1 : Math.sin(x) / x;
    const r = (2 * n) / (numTaps - 1) - 1;
    const w = besselI0(KAISER_BETA * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
    h[n] = cutoff * sinc * w;
    sum += h[n]!;
  }
  const gain = up / sum;
  const phases: Float64Array[] = [];
  for (let p = 0; p < up; p++) {
    const count = Math.floor((numTaps - 1 - p) / up) + 1;
    const phase = new Float64Array(count);
    for (let j = 0; j < count; j++) phase[j] = h[p + j * up]! * gain;
    phases.push(phase);
  }
  const filter = { up, down, halfLen, phases };
  if (filterCache.size >= FILTER_CACHE_SIZE) filterCache.delete(filterCache.keys().next().value!);
  filterCache.set(key, filter);
  return filter;
}

function checkRate(name: string, rate: number): void {
  if (!Number.isSafeInteger(rate) || rate < 1 || rate > MAX_SAMPLE_RATE) {
    throw invalidParameter(name, `an integer sample rate in [1, ${MAX_SAMPLE_RATE}] Hz`, rate);
  }
}

/**
 * Band-limited resampling by a rational factor with a polyphase windowed-sinc filter — the algorithm of
 * `scipy.signal.resample_poly` (Kaiser window, beta 5, 10 zero crossings of the slower rate on each side,
 * zero padding at the edges), matched against it by a committed golden. The output has
 * `ceil(samples.length * toRate / fromRate)` samples and no delay; content above the lower Nyquist frequency
 * is filtered out (no aliasing). Synchronous, pure TypeScript; about 55 multiply-adds per output sample for
 * 44.1 kHz → 16 kHz.
 * @example
 * const pcm16k = resample(pcm44k, 44100, 16000);
 * // Float32Array(16000) for one second of input
 */
export function resample(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (!(samples instanceof Float32Array)) throw invalidParameter('samples', 'a Float32Array', samples);
  checkRate('fromRate', fromRate);
  checkRate('toRate', toRate);
  if (fromRate === toRate) return samples.slice();
  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  const n = samples.length;
  const outLength = Math.ceil((n * up) / down);
  const out = new Float32Array(outLength);
  if (n === 0) return out;
  const { halfLen, phases } = polyphaseFilter(up, down);
  for (let k = 0; k < outLength; k++) {
    // y[k] = sum_n x[n] * h[halfLen + k*down - n*up]
    const t = halfLen + k * down;
    let nHi = Math.floor(t / up);
    const phase = phases[t - nHi * up]!;
    let j = 0;
    if (nHi > n - 1) {
      j = nHi - (n - 1);
      nHi = n - 1;
    }
    let acc = 0;
    const jEnd = Math.min(phase.length, nHi + 1 + j);
    for (let i = nHi; j < jEnd; j++, i--) acc += phase[j]! * samples[i]!;
    out[k] = acc;
  }
  return out;
}
