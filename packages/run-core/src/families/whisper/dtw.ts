/**
 * The numeric half of OpenAI whisper `timing.py`: the alignment heads' attention over the audio frames, z-scored
 * over tokens, median-filtered along time, averaged over heads, and dynamic time warping. Pure functions on plain
 * arrays.
 */

/** Encoder frames per second (30 s → 1500 frames). */
export const ALIGNMENT_FRAMES_PER_SECOND = 50;

/**
 * Median filter along the last axis of a `[rows, cols]` matrix with reflect padding (OpenAI `median_filter`, torch
 * `F.pad(mode="reflect")`). A width that is even or < 1 is rejected; when `cols <= width / 2` the input is returned
 * unchanged, as OpenAI does.
 * @example
 * medianFilter(Float32Array.of(1, 9, 2, 8, 3), 1, 5, 3); // Float32Array [9, 2, 8, 3, 8]
 */
export function medianFilter(x: Float32Array, rows: number, cols: number, width: number): Float32Array {
  if (!Number.isInteger(width) || width < 1 || width % 2 === 0) {
    throw new RangeError(`'width' must be an odd positive integer but received ${width}.`);
  }
  if (x.length !== rows * cols) throw new RangeError(`'x' has ${x.length} values but rows × cols is ${rows * cols}.`);
  const pad = Math.floor(width / 2);
  if (cols <= pad) return Float32Array.from(x);
  const out = new Float32Array(x.length);
  const window = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      for (let k = 0; k < width; k++) {
        let j = c - pad + k;
        if (j < 0) j = -j;
        else if (j >= cols) j = 2 * (cols - 1) - j;
        window[k] = x[base + j] as number;
      }
      window.sort();
      out[base + c] = window[pad] as number;
    }
  }
  return out;
}

/**
 * Dynamic time warping of a `[n, m]` cost matrix (OpenAI `dtw_cpu` + `backtrace`, float32 accumulated costs, the
 * same tie-breaking): the monotonic path from (0, 0) to (n-1, m-1) of least total cost.
 * @example
 * dtw(Float64Array.of(0, 1, 1, 1, 0, 1), 2, 3); // { textIndices: [0, 1, 1], timeIndices: [0, 1, 2] }
 */
export function dtw(x: ArrayLike<number>, n: number, m: number): { textIndices: number[]; timeIndices: number[] } {
  if (x.length !== n * m) throw new RangeError(`'x' has ${x.length} values but n × m is ${n * m}.`);
  if (n === 0 || m === 0) return { textIndices: [], timeIndices: [] };
  const w = m + 1;
  const cost = new Float32Array((n + 1) * w).fill(Infinity);
  const trace = new Int8Array((n + 1) * w).fill(-1);
  cost[0] = 0;
  for (let j = 1; j <= m; j++) {
    for (let i = 1; i <= n; i++) {
      const c0 = cost[(i - 1) * w + j - 1] as number;
      const c1 = cost[(i - 1) * w + j] as number;
      const c2 = cost[i * w + j - 1] as number;
      let c: number;
      let t: number;
      if (c0 < c1 && c0 < c2) {
        c = c0;
        t = 0;
      } else if (c1 < c0 && c1 < c2) {
        c = c1;
        t = 1;
      } else {
        c = c2;
        t = 2;
      }
      cost[i * w + j] = (x[(i - 1) * m + j - 1] as number) + c;
      trace[i * w + j] = t;
    }
  }
  for (let j = 0; j <= m; j++) trace[j] = 2;
  for (let i = 0; i <= n; i++) trace[i * w] = 1;
  const text: number[] = [];
  const time: number[] = [];
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    text.push(i - 1);
    time.push(j - 1);
    const t = trace[i * w + j];
    if (t === 0) {
      i--;
      j--;
    } else if (t === 1) i--;
    else j--;
  }
  return { textIndices: text.reverse(), timeIndices: time.reverse() };
}

/**
 * The alignment matrix of OpenAI `find_alignment`: for each head `[tokens, frames]` attention (softmax over all
 * 1500 frames), keep the first `frames` frames and renormalise each row (= softmax over the cropped frames), z-score
 * each frame over the tokens (population std), median-filter along time, average the heads.
 * Returns `[tokens, frames]`.
 */
export function alignmentMatrix(
  heads: readonly Float32Array[],
  tokens: number,
  srcFrames: number,
  frames: number,
  medfiltWidth = 7,
): Float32Array {
  if (frames < 1 || frames > srcFrames)
    throw new RangeError(`'frames' must be in [1, ${srcFrames}] but received ${frames}.`);
  const out = new Float64Array(tokens * frames);
  const w = new Float32Array(tokens * frames);
  for (const head of heads) {
    if (head.length !== tokens * srcFrames) {
      throw new RangeError(`an attention head has ${head.length} values, expected ${tokens} × ${srcFrames}.`);
    }
    for (let t = 0; t < tokens; t++) {
      let sum = 0;
      for (let f = 0; f < frames; f++) sum += head[t * srcFrames + f] as number;
      const inv = sum > 0 ? 1 / sum : 0;
      for (let f = 0; f < frames; f++) w[t * frames + f] = (head[t * srcFrames + f] as number) * inv;
    }
    for (let f = 0; f < frames; f++) {
      let mean = 0;
      for (let t = 0; t < tokens; t++) mean += w[t * frames + f] as number;
      mean /= tokens;
      let v = 0;
      for (let t = 0; t < tokens; t++) v += ((w[t * frames + f] as number) - mean) ** 2;
      // A frame every token attends to equally has std 0 (OpenAI would divide by zero): it carries no signal.
      const std = Math.sqrt(v / tokens) || 1;
      for (let t = 0; t < tokens; t++) w[t * frames + f] = ((w[t * frames + f] as number) - mean) / std;
    }
    const filtered = medianFilter(w, tokens, frames, medfiltWidth);
    for (let k = 0; k < out.length; k++) out[k] = (out[k] as number) + (filtered[k] as number);
  }
  const res = new Float32Array(out.length);
  for (let k = 0; k < out.length; k++) res[k] = (out[k] as number) / Math.max(1, heads.length);
  return res;
}
