import { InvalidArgumentError, invalidParameter } from '../errors.js';

/**
 * The logistic function `1 / (1 + e^-x)`, stable for large |x|.
 * @example
 * sigmoid(0); // 0.5
 */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * Softmax of `logits` into a new Float32Array, numerically stable (subtracts the max; sums in float64).
 * NaN logits give NaN probabilities; an empty input gives an empty array.
 * @example
 * softmax([1, 2, 3]); // Float32Array [0.0900, 0.2447, 0.6652]
 */
export function softmax(logits: ArrayLike<number>): Float32Array {
  const n = logits.length;
  const out = new Float32Array(n);
  if (n === 0) return out;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = logits[i] as number;
    if (v > max) max = v;
  }
  if (max === Infinity) {
    // Infinite logits share the whole mass.
    let count = 0;
    for (let i = 0; i < n; i++) if (logits[i] === Infinity) count++;
    for (let i = 0; i < n; i++) out[i] = logits[i] === Infinity ? 1 / count : 0;
    return out;
  }
  let sum = 0;
  const exps = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const e = Math.exp((logits[i] as number) - max);
    exps[i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) out[i] = (exps[i] as number) / sum;
  return out;
}

/**
 * The `k` highest scores, best first; equal scores keep the lower index first; NaN scores are never chosen.
 * @example
 * topK([0.1, 0.7, 0.2, 0.7], 2); // [{ index: 1, score: 0.7 }, { index: 3, score: 0.7 }]
 */
export function topK(scores: ArrayLike<number>, k: number): { index: number; score: number }[] {
  if (!Number.isInteger(k) || k < 0) throw invalidParameter('k', 'a non-negative integer', k);
  const size = Math.min(k, scores.length);
  if (size === 0) return [];
  const idx = new Int32Array(size);
  const filled = topKInto(scores, size, idx, new Float64Array(size));
  const out = new Array<{ index: number; score: number }>(filled);
  for (let i = 0; i < filled; i++) out[i] = { index: idx[i] as number, score: scores[idx[i] as number] as number };
  return out;
}

/**
 * {@link topK} into caller-owned buffers, without allocating: the indices of the `k` largest scores that are
 * `>= atLeast` (NaN never is) go to `idx` and their scores to `val`, best first (ties: lower index first);
 * returns how many were found. `idx` and `val` must hold `k` entries.
 * @example
 * topKInto([0.1, 0.7, 0.2], 2, new Int32Array(2), new Float64Array(2)); // 2 (idx [1, 2], val [0.7, 0.2])
 */
export function topKInto(
  scores: ArrayLike<number>,
  k: number,
  idx: Int32Array,
  val: Float64Array,
  atLeast = -Infinity,
): number {
  const n = scores.length;
  let filled = 0;
  // Insertion into a sorted buffer of `k` best: O(n*k) worst case, O(n) typical for small k.
  for (let i = 0; i < n && k > 0; i++) {
    const s = scores[i] as number;
    if (!(s >= atLeast)) continue;
    if (filled === k && !(s > (val[k - 1] as number))) continue;
    let p = filled < k ? filled++ : k - 1;
    while (p > 0 && s > (val[p - 1] as number)) {
      val[p] = val[p - 1] as number;
      idx[p] = idx[p - 1] as number;
      p--;
    }
    val[p] = s;
    idx[p] = i;
  }
  return filled;
}

/**
 * Returns `v / ||v||₂` as a new array; a zero vector stays zero, a vector with NaN or Infinity becomes all NaN.
 * @example
 * l2Normalize(new Float32Array([3, 4])); // Float32Array [0.6, 0.8]
 */
export function l2Normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] as number) * (v[i] as number);
  const out = new Float32Array(v.length);
  if (sum === 0) return out;
  if (!Number.isFinite(sum)) return out.fill(Number.NaN);
  // Float32 values squared cannot overflow the float64 sum, so one pass is exact enough.
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) * inv;
  return out;
}

/**
 * Cosine similarity in [-1, 1]; 0 when either vector is zero. Throws on a length mismatch.
 * @example
 * cosineSimilarity([1, 0], [1, 1]); // 0.7071
 */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new InvalidArgumentError(
      `Expected vectors of the same length for a and b but received ${a.length} and ${b.length}.`,
      { details: { param: 'b' } },
    );
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return 0;
  const c = dot / Math.sqrt(na * nb);
  return c > 1 ? 1 : c < -1 ? -1 : c;
}
