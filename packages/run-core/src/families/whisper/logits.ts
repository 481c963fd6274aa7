/**
 * Whisper's logit filters (OpenAI `whisper/decoding.py`: SuppressBlank, SuppressTokens, ApplyTimestampRules) and
 * small numeric helpers. They work in place on one row of logits.
 */

import { expSum } from './exp-sum.js';

/** Token layout the timestamp rules need. */
export interface TimestampRuleTokens {
  readonly eot: number;
  readonly noTimestamps: number;
  readonly timestampBegin: number;
}

/** Sets the listed tokens to -Infinity. */
export function suppress(logits: Float32Array, tokens: readonly number[]): void {
  for (const t of tokens) if (t >= 0 && t < logits.length) logits[t] = -Infinity;
}

/** log(sum(exp(x))) over `x[from..to)`. */
export function logSumExp(x: Float32Array, from = 0, to = x.length): number {
  let max = -Infinity;
  for (let i = from; i < to; i++) if ((x[i] as number) > max) max = x[i] as number;
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (let i = from; i < to; i++) s += Math.exp((x[i] as number) - max);
  return max + Math.log(s);
}

/** Log-softmax of a row (new array). */
export function logSoftmax(x: Float32Array): Float32Array {
  const lse = logSumExp(x);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] as number) - lse;
  return out;
}

/** Index of the largest value (first on ties). */
export function argmax(x: Float32Array): number {
  let best = 0;
  let bestV = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if ((x[i] as number) > bestV) {
      bestV = x[i] as number;
      best = i;
    }
  }
  return best;
}

/** Statistics of one row of logits that decoding needs: its largest value, where it is, and log(sum(exp)). */
export interface RowStats {
  /** Largest value (-Infinity when every entry is). */
  readonly max: number;
  /** Index of the largest value (the first on ties; 0 when every entry is -Infinity), as {@link argmax}. */
  readonly argmax: number;
  /** log(sum(exp(x))), bit-identical to {@link logSumExp} of the row. */
  readonly lse: number;
}

/**
 * {@link argmax} and {@link logSumExp} of a row in two passes (one without `exp`) and no allocation. The log-probability
 * of token `t` is then `Math.fround(x[t] - lse)`, what {@link logSoftmax} would store.
 */
export function rowStats(x: Float32Array): RowStats {
  let max = -Infinity;
  let best = 0;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i] as number;
    if (v > max) {
      max = v;
      best = i;
    }
  }
  if (max === -Infinity) return { max, argmax: best, lse: -Infinity };
  const s = expSum(x, 0, n, max, 0);
  return { max, argmax: best, lse: max + Math.log(s) };
}

/**
 * OpenAI's ApplyTimestampRules on one row: timestamps come in pairs (except right before EOT), never go back,
 * the first token is a timestamp no later than `maxInitialTimestampIndex`, and when the timestamp tokens together
 * are more likely than any text token, a timestamp is forced.
 *
 * The rule's log-sum-exps are computed in one `exp` pass over the row, and the {@link RowStats} of the filtered row
 * are returned, so a greedy decoder needs no further pass (the results are bit-identical to recomputing them).
 * @param sampled the tokens sampled so far in this window (after the prompt/SOT prefix)
 */
export function applyTimestampRules(
  logits: Float32Array,
  sampled: readonly number[],
  tokens: TimestampRuleTokens,
  maxInitialTimestampIndex: number | undefined,
): RowStats {
  const { eot, noTimestamps, timestampBegin } = tokens;
  const vocab = logits.length;
  if (noTimestamps < vocab) logits[noTimestamps] = -Infinity;
  const n = sampled.length;
  const lastWasTs = n >= 1 && (sampled[n - 1] as number) >= timestampBegin;
  const penultimateWasTs = n < 2 || (sampled[n - 2] as number) >= timestampBegin;
  if (lastWasTs) {
    if (penultimateWasTs) logits.fill(-Infinity, timestampBegin, vocab);
    else logits.fill(-Infinity, 0, eot);
  }
  let lastTs = -1;
  for (const t of sampled) if (t >= timestampBegin) lastTs = t;
  if (lastTs >= 0) {
    // Timestamps never decrease; after a closing timestamp the next one must be strictly later.
    const limit = lastWasTs && !penultimateWasTs ? lastTs : lastTs + 1;
    logits.fill(-Infinity, timestampBegin, Math.min(limit, vocab));
  }
  if (n === 0) {
    logits.fill(-Infinity, 0, timestampBegin);
    if (maxInitialTimestampIndex !== undefined) {
      logits.fill(-Infinity, Math.min(vocab, timestampBegin + maxInitialTimestampIndex + 1), vocab);
    }
  }
  // One pass for the maxima of the text part [0, tsBegin) and the timestamp part [tsBegin, vocab).
  const split = Math.min(Math.max(timestampBegin, 0), vocab);
  let maxText = -Infinity;
  let argText = 0;
  for (let i = 0; i < split; i++) {
    const v = logits[i] as number;
    if (v > maxText) {
      maxText = v;
      argText = i;
    }
  }
  let maxTs = -Infinity;
  let argTs = 0;
  for (let i = split; i < vocab; i++) {
    const v = logits[i] as number;
    if (v > maxTs) {
      maxTs = v;
      argTs = i;
    }
  }
  const max = maxTs > maxText ? maxTs : maxText;
  const argmaxAll = maxTs > maxText ? argTs : argText;
  if (max === -Infinity) return { max, argmax: argmaxAll, lse: -Infinity };
  // Summed in index order (as logSumExp does): the whole row, then the timestamp part alone from its own max.
  const s = expSum(logits, split, vocab, max, expSum(logits, 0, split, max, 0));
  const sTs = expSum(logits, split, vocab, maxTs, 0);
  const lse = max + Math.log(s);
  const lseTs = maxTs === -Infinity ? -Infinity : maxTs + Math.log(sTs);
  const tsLogprob = lseTs - lse;
  if (tsLogprob > maxText - lse) {
    logits.fill(-Infinity, 0, split);
    // The row is now its timestamp part: its log-sum-exp is exactly lseTs (the text terms add exact zeros).
    return { max: maxTs, argmax: argTs, lse: lseTs };
  }
  return { max, argmax: argmaxAll, lse };
}

/** A seeded uniform random number generator in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Samples an index from softmax(logits / temperature). */
export function sampleToken(logits: Float32Array, temperature: number, random: () => number): number {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const probs = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const p = Math.exp(((logits[i] as number) - max) / temperature);
    probs[i] = p;
    sum += p;
  }
  let r = random() * sum;
  for (let i = 0; i < probs.length; i++) {
    r -= probs[i] as number;
    if (r <= 0 && (probs[i] as number) > 0) return i;
  }
  return argmax(logits);
}
