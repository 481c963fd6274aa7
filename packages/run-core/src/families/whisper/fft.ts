/**
 * A small mixed-radix FFT for the sizes speech front ends use (Whisper: n_fft = 400 = 2^4 * 5^2).
 *
 * Why hand-written: the maintained npm FFTs (`fft.js`, `fourier-transform`) are radix-2/4 only, so n = 400 would
 * need zero padding to 512, which changes the spectrum and breaks parity with Whisper's reference features. A
 * Stockham autosort FFT with radix-4/2 butterflies plus a generic small-prime butterfly handles any n whose prime
 * factors are small, and a real input of length n is transformed as a complex FFT of n/2 (the usual even/odd
 * packing), so one 400-point frame costs one 200-point complex FFT (~4k flops) instead of a 400x201 DFT (~160k).
 */

/** A precomputed plan for real-input FFTs of one even length. */
export class RealFft {
  /** Length of the real input. */
  readonly size: number;
  private readonly half: number;
  private readonly factors: number[];
  /** Per stage: twiddles cos/sin for (j % ns, r), laid out [ns][p]. */
  private readonly stageTw: { re: Float64Array; im: Float64Array }[];
  /** Roots of unity per radix for the generic butterfly. */
  private readonly rootsRe = new Map<number, Float64Array>();
  private readonly rootsIm = new Map<number, Float64Array>();
  /** Post-processing twiddles e^{-2πik/n}, k = 0..n/2. */
  private readonly postRe: Float64Array;
  private readonly postIm: Float64Array;
  private readonly aRe: Float64Array;
  private readonly aIm: Float64Array;
  private readonly bRe: Float64Array;
  private readonly bIm: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2 || size % 2 !== 0) {
      throw new RangeError(`'size' must be an even integer >= 2 but is ${size}.`);
    }
    this.size = size;
    const m = size / 2;
    this.half = m;
    this.factors = factorize(m);
    this.stageTw = [];
    let ns = 1;
    for (const p of this.factors) {
      const re = new Float64Array(ns * p);
      const im = new Float64Array(ns * p);
      for (let k = 0; k < ns; k++) {
        const angle = (-2 * Math.PI * k) / (ns * p);
        for (let r = 0; r < p; r++) {
          re[k * p + r] = Math.cos(r * angle);
          im[k * p + r] = Math.sin(r * angle);
        }
      }
      this.stageTw.push({ re, im });
      if (p !== 2 && p !== 4 && p !== 5 && !this.rootsRe.has(p)) {
        const rr = new Float64Array(p);
        const ri = new Float64Array(p);
        for (let r = 0; r < p; r++) {
          rr[r] = Math.cos((-2 * Math.PI * r) / p);
          ri[r] = Math.sin((-2 * Math.PI * r) / p);
        }
        this.rootsRe.set(p, rr);
        this.rootsIm.set(p, ri);
      }
      ns *= p;
    }
    this.postRe = new Float64Array(m + 1);
    this.postIm = new Float64Array(m + 1);
    for (let k = 0; k <= m; k++) {
      this.postRe[k] = Math.cos((-2 * Math.PI * k) / size);
      this.postIm[k] = Math.sin((-2 * Math.PI * k) / size);
    }
    this.aRe = new Float64Array(m);
    this.aIm = new Float64Array(m);
    this.bRe = new Float64Array(m);
    this.bIm = new Float64Array(m);
  }

  /**
   * Power spectrum |X[k]|^2 for k = 0..n/2 of a real frame of length n.
   * @example
   * const fft = new RealFft(400);
   * const power = new Float64Array(201);
   * fft.powerSpectrum(frame, power); // power[k] = |sum_t frame[t] e^{-2πikt/400}|^2
   */
  powerSpectrum(input: ArrayLike<number>, out: Float64Array): void {
    const m = this.half;
    const xRe = this.aRe;
    const xIm = this.aIm;
    for (let i = 0; i < m; i++) {
      xRe[i] = input[2 * i] as number;
      xIm[i] = input[2 * i + 1] as number;
    }
    this.transformPacked(out);
  }

  /**
   * Power spectrum of the windowed frame `signal[offset + t] * window[t]`, t = 0..n-1, without building the frame
   * (the window multiply is fused into the even/odd packing).
   * @example
   * fft.powerSpectrumWindowed(padded, t * 160, hann, power);
   */
  powerSpectrumWindowed(signal: Float64Array, offset: number, window: Float64Array, out: Float64Array): void {
    const m = this.half;
    const xRe = this.aRe;
    const xIm = this.aIm;
    for (let i = 0, j = offset; i < m; i++, j += 2) {
      xRe[i] = (signal[j] as number) * (window[2 * i] as number);
      xIm[i] = (signal[j + 1] as number) * (window[2 * i + 1] as number);
    }
    this.transformPacked(out);
  }

  /** FFT of the packed half-length complex input in aRe/aIm, unpacked to the real transform's power spectrum. */
  private transformPacked(out: Float64Array): void {
    const m = this.half;
    let xRe = this.aRe;
    let xIm = this.aIm;
    let yRe = this.bRe;
    let yIm = this.bIm;
    let ns = 1;
    for (let s = 0; s < this.factors.length; s++) {
      const p = this.factors[s] as number;
      this.stage(p, ns, this.stageTw[s] as { re: Float64Array; im: Float64Array }, xRe, xIm, yRe, yIm);
      ns *= p;
      const tr = xRe;
      const ti = xIm;
      xRe = yRe;
      xIm = yIm;
      yRe = tr;
      yIm = ti;
    }
    // xRe/xIm now hold Z = FFT_m(z); unpack to the real transform of length 2m.
    const pr = this.postRe;
    const pi = this.postIm;
    for (let k = 0; k <= m; k++) {
      const k1 = k === m ? 0 : k;
      const k2 = k === 0 ? 0 : m - k;
      const zr = xRe[k1] as number;
      const zi = xIm[k1] as number;
      const cr = xRe[k2] as number;
      const ci = -(xIm[k2] as number);
      // even = (Z[k] + conj Z[m-k]) / 2 ; odd = (Z[k] - conj Z[m-k]) / (2i)
      const er = 0.5 * (zr + cr);
      const ei = 0.5 * (zi + ci);
      const dr = 0.5 * (zr - cr);
      const di = 0.5 * (zi - ci);
      const or = di;
      const oi = -dr;
      const wr = pr[k] as number;
      const wi = pi[k] as number;
      const re = er + wr * or - wi * oi;
      const im = ei + wr * oi + wi * or;
      out[k] = re * re + im * im;
    }
  }

  private stage(
    p: number,
    ns: number,
    tw: { re: Float64Array; im: Float64Array },
    xRe: Float64Array,
    xIm: Float64Array,
    yRe: Float64Array,
    yIm: Float64Array,
  ): void {
    const n = this.half;
    const stride = n / p;
    const twRe = tw.re;
    const twIm = tw.im;
    if (p === 2) {
      // j % ns == k for j = k, k + ns, …: no modulo in the loop.
      for (let k = 0; k < ns; k++)
        for (let j = k; j < stride; j += ns) {
          const w = k * 2 + 1;
          const ar = xRe[j] as number;
          const ai = xIm[j] as number;
          const br0 = xRe[j + stride] as number;
          const bi0 = xIm[j + stride] as number;
          const wr = twRe[w] as number;
          const wi = twIm[w] as number;
          const br = br0 * wr - bi0 * wi;
          const bi = br0 * wi + bi0 * wr;
          const d = (j - k) * 2 + k;
          yRe[d] = ar + br;
          yIm[d] = ai + bi;
          yRe[d + ns] = ar - br;
          yIm[d + ns] = ai - bi;
        }
      return;
    }
    if (p === 4) {
      // j % ns == k for j = k, k + ns, …: no modulo in the loop.
      for (let k = 0; k < ns; k++)
        for (let j = k; j < stride; j += ns) {
          const t = k * 4;
          const v0r = xRe[j] as number;
          const v0i = xIm[j] as number;
          let r = xRe[j + stride] as number;
          let i = xIm[j + stride] as number;
          let wr = twRe[t + 1] as number;
          let wi = twIm[t + 1] as number;
          const v1r = r * wr - i * wi;
          const v1i = r * wi + i * wr;
          r = xRe[j + 2 * stride] as number;
          i = xIm[j + 2 * stride] as number;
          wr = twRe[t + 2] as number;
          wi = twIm[t + 2] as number;
          const v2r = r * wr - i * wi;
          const v2i = r * wi + i * wr;
          r = xRe[j + 3 * stride] as number;
          i = xIm[j + 3 * stride] as number;
          wr = twRe[t + 3] as number;
          wi = twIm[t + 3] as number;
          const v3r = r * wr - i * wi;
          const v3i = r * wi + i * wr;
          const s02r = v0r + v2r;
          const s02i = v0i + v2i;
          const d02r = v0r - v2r;
          const d02i = v0i - v2i;
          const s13r = v1r + v3r;
          const s13i = v1i + v3i;
          const d13r = v1r - v3r;
          const d13i = v1i - v3i;
          const d = (j - k) * 4 + k;
          yRe[d] = s02r + s13r;
          yIm[d] = s02i + s13i;
          // X1 = d02 - i*d13 ; X3 = d02 + i*d13
          yRe[d + ns] = d02r + d13i;
          yIm[d + ns] = d02i - d13r;
          yRe[d + 2 * ns] = s02r - s13r;
          yIm[d + 2 * ns] = s02i - s13i;
          yRe[d + 3 * ns] = d02r - d13i;
          yIm[d + 3 * ns] = d02i + d13r;
        }
      return;
    }
    if (p === 5) {
      // Winograd-style radix-5: 5 complex twiddle products and 12 real multiplies instead of a 5x5 DFT.
      const c1 = C5_1;
      const c2 = C5_2;
      const s1 = S5_1;
      const s2 = S5_2;
      // j % ns == k for j = k, k + ns, …: no modulo in the loop.
      for (let k = 0; k < ns; k++)
        for (let j = k; j < stride; j += ns) {
          const t = k * 5;
          const v0r = xRe[j] as number;
          const v0i = xIm[j] as number;
          let r = xRe[j + stride] as number;
          let i = xIm[j + stride] as number;
          let wr = twRe[t + 1] as number;
          let wi = twIm[t + 1] as number;
          const v1r = r * wr - i * wi;
          const v1i = r * wi + i * wr;
          r = xRe[j + 2 * stride] as number;
          i = xIm[j + 2 * stride] as number;
          wr = twRe[t + 2] as number;
          wi = twIm[t + 2] as number;
          const v2r = r * wr - i * wi;
          const v2i = r * wi + i * wr;
          r = xRe[j + 3 * stride] as number;
          i = xIm[j + 3 * stride] as number;
          wr = twRe[t + 3] as number;
          wi = twIm[t + 3] as number;
          const v3r = r * wr - i * wi;
          const v3i = r * wi + i * wr;
          r = xRe[j + 4 * stride] as number;
          i = xIm[j + 4 * stride] as number;
          wr = twRe[t + 4] as number;
          wi = twIm[t + 4] as number;
          const v4r = r * wr - i * wi;
          const v4i = r * wi + i * wr;
          const t1r = v1r + v4r;
          const t1i = v1i + v4i;
          const t2r = v2r + v3r;
          const t2i = v2i + v3i;
          const t3r = v1r - v4r;
          const t3i = v1i - v4i;
          const t4r = v2r - v3r;
          const t4i = v2i - v3i;
          const a1r = v0r + c1 * t1r + c2 * t2r;
          const a1i = v0i + c1 * t1i + c2 * t2i;
          const a2r = v0r + c2 * t1r + c1 * t2r;
          const a2i = v0i + c2 * t1i + c1 * t2i;
          const b1r = s1 * t3r + s2 * t4r;
          const b1i = s1 * t3i + s2 * t4i;
          const b2r = s2 * t3r - s1 * t4r;
          const b2i = s2 * t3i - s1 * t4i;
          const d = (j - k) * 5 + k;
          yRe[d] = v0r + t1r + t2r;
          yIm[d] = v0i + t1i + t2i;
          // y1 = a1 - i*b1, y4 = a1 + i*b1, y2 = a2 - i*b2, y3 = a2 + i*b2 (forward transform, w = e^{-2πi/5})
          yRe[d + ns] = a1r + b1i;
          yIm[d + ns] = a1i - b1r;
          yRe[d + 4 * ns] = a1r - b1i;
          yIm[d + 4 * ns] = a1i + b1r;
          yRe[d + 2 * ns] = a2r + b2i;
          yIm[d + 2 * ns] = a2i - b2r;
          yRe[d + 3 * ns] = a2r - b2i;
          yIm[d + 3 * ns] = a2i + b2r;
        }
      return;
    }
    const rootRe = this.rootsRe.get(p) as Float64Array;
    const rootIm = this.rootsIm.get(p) as Float64Array;
    const vRe = new Float64Array(p);
    const vIm = new Float64Array(p);
    for (let k = 0; k < ns; k++)
      for (let j = k; j < stride; j += ns) {
        const t = k * p;
        for (let r = 0; r < p; r++) {
          const xr = xRe[j + r * stride] as number;
          const xi = xIm[j + r * stride] as number;
          const wr = twRe[t + r] as number;
          const wi = twIm[t + r] as number;
          vRe[r] = xr * wr - xi * wi;
          vIm[r] = xr * wi + xi * wr;
        }
        const d = (j - k) * p + k;
        for (let q = 0; q < p; q++) {
          let sr = 0;
          let si = 0;
          for (let r = 0; r < p; r++) {
            const idx = (q * r) % p;
            const wr = rootRe[idx] as number;
            const wi = rootIm[idx] as number;
            const a = vRe[r] as number;
            const b = vIm[r] as number;
            sr += a * wr - b * wi;
            si += a * wi + b * wr;
          }
          yRe[d + q * ns] = sr;
          yIm[d + q * ns] = si;
        }
      }
  }
}

const C5_1 = Math.cos((2 * Math.PI) / 5);
const C5_2 = Math.cos((4 * Math.PI) / 5);
const S5_1 = Math.sin((2 * Math.PI) / 5);
const S5_2 = Math.sin((4 * Math.PI) / 5);

/** Splits n into radices: 4s first, then 2, then odd primes. */
function factorize(n: number): number[] {
  const out: number[] = [];
  let rest = n;
  while (rest % 4 === 0) {
    out.push(4);
    rest /= 4;
  }
  while (rest % 2 === 0) {
    out.push(2);
    rest /= 2;
  }
  for (let f = 3; f * f <= rest; f += 2) {
    while (rest % f === 0) {
      out.push(f);
      rest /= f;
    }
  }
  if (rest > 1) out.push(rest);
  return out;
}
