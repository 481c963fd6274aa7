import { deflateSync } from 'node:zlib';
import { throwIfAborted } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import type { WhisperModelConfig } from './config.js';
import { topK, topKInto } from '../../post/math.js';
import { applyTimestampRules, logSumExp, rowStats, sampleToken, suppress, type RowStats } from './logits.js';
import type { DecoderState, StepLogits, WhisperRunner } from './runner.js';
import type { WhisperTokenizer } from './tokenizer.js';

/** Options of one 30 s window's decoding. */
export interface WindowDecodeOptions {
  /** Language token id (multilingual models). */
  readonly languageToken?: number;
  /** Task token id (multilingual models). */
  readonly taskToken?: number;
  /** Decode timestamp tokens (needed for segments and seeking). */
  readonly withTimestamps: boolean;
  /** Previous text as tokens (conditioning; the last 223 are kept). */
  readonly promptTokens?: readonly number[];
  /** 0 = greedy or beam search; > 0 = sampling. */
  readonly temperature: number;
  /** Beam width used at temperature 0 (1 = greedy). */
  readonly beamSize: number;
  /** Most tokens to sample (capped so that prefix + tokens ≤ the decoder context). */
  readonly maxNewTokens?: number;
  /** Use the KV cache (default true); false recomputes the whole sequence each step (a reference for tests). */
  readonly useCache?: boolean;
  /** Never stop at EOT (benchmarks: decode exactly `maxNewTokens`). */
  readonly ignoreEot?: boolean;
  /** Uniform [0,1) source for sampling. */
  readonly random: () => number;
  readonly signal?: AbortSignal;
}

/** What one window's decoding gives. */
export interface WindowDecodeResult {
  /** Sampled tokens, text and timestamps, without EOT. */
  readonly tokens: number[];
  /** Log-probability of each sampled token. */
  readonly tokenLogprobs: number[];
  readonly sumLogprob: number;
  /** Sum of log-probabilities / (tokens + 1), as OpenAI computes it. */
  readonly avgLogprob: number;
  /** Probability of the no-speech token at the SOT position. */
  readonly noSpeechProb: number;
  readonly temperature: number;
  readonly text: string;
  readonly compressionRatio: number;
}

/**
 * gzip-style compression ratio of a text as OpenAI computes it (`len(bytes) / len(zlib.compress(bytes))`); very
 * repetitive text (a looping decoder) scores above 2.4.
 */
export function compressionRatio(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length === 0) return 0;
  return bytes.length / deflateSync(bytes).length;
}

/** Builds the decoder prefix: `[<|startofprev|> prompt…] <|startoftranscript|> [lang task] [<|notimestamps|>]`. */
export function buildPrefix(
  tokenizer: WhisperTokenizer,
  config: WhisperModelConfig,
  options: Pick<WindowDecodeOptions, 'languageToken' | 'taskToken' | 'withTimestamps' | 'promptTokens'>,
): { prefix: number[]; sotIndex: number } {
  const sp = tokenizer.special;
  const sot: number[] = [sp.sot];
  if (config.isMultilingual) {
    if (options.languageToken !== undefined) sot.push(options.languageToken);
    if (options.taskToken !== undefined) sot.push(options.taskToken);
  }
  if (!options.withTimestamps) sot.push(sp.noTimestamps);
  const prompt = options.promptTokens ?? [];
  if (prompt.length === 0) return { prefix: sot, sotIndex: 0 };
  const keep = Math.floor(config.maxTargetPositions / 2) - 1;
  const kept = prompt.slice(-keep);
  return { prefix: [sp.sotPrev, ...kept, ...sot], sotIndex: 1 + kept.length };
}

/** One position's logits: a view into the step's buffer (filtered in place, never copied). */
function row(logits: StepLogits, b: number, pos: number): Float32Array {
  const off = (b * logits.length + pos) * logits.vocab;
  return logits.data.subarray(off, off + logits.vocab);
}

/** softmax(x)[index], as `exp(logSoftmax(x)[index])` with the float32 rounding of a log-softmax row. */
function softmaxAt(x: Float32Array, index: number): number {
  return Math.exp(Math.fround((x[index] as number) - logSumExp(x)));
}

interface Ctx {
  runner: WhisperRunner;
  tokenizer: WhisperTokenizer;
  config: WhisperModelConfig;
  hidden: Tensor;
  opts: WindowDecodeOptions;
  suppressAlways: number[];
}

/** Applies the logit rules to one row in place; returns the filtered row's max, argmax and log-sum-exp. */
function filter(ctx: Ctx, logits: Float32Array, sampled: readonly number[]): RowStats {
  const sp = ctx.tokenizer.special;
  if (sampled.length === 0) suppress(logits, ctx.config.beginSuppressTokens);
  suppress(logits, ctx.suppressAlways);
  if (ctx.opts.ignoreEot) logits[sp.eot] = -Infinity;
  if (ctx.opts.withTimestamps) {
    return applyTimestampRules(logits, sampled, sp, ctx.config.maxInitialTimestampIndex);
  }
  return rowStats(logits);
}

function finish(
  ctx: Ctx,
  tokens: number[],
  tokenLogprobs: number[],
  sumLogprob: number,
  noSpeechProb: number,
): WindowDecodeResult {
  const text = ctx.tokenizer.decode(tokens);
  return {
    tokens,
    tokenLogprobs,
    sumLogprob,
    avgLogprob: sumLogprob / (tokens.length + 1),
    noSpeechProb,
    temperature: ctx.opts.temperature,
    text,
    compressionRatio: compressionRatio(text),
  };
}

/**
 * Decodes one 30 s window from its encoder output (batch 1): greedy, beam search or sampling, with Whisper's
 * logit rules, a hard cap on steps, and the no-speech probability.
 */
export async function decodeWindow(
  runner: WhisperRunner,
  tokenizer: WhisperTokenizer,
  config: WhisperModelConfig,
  encoderHidden: Tensor,
  opts: WindowDecodeOptions,
): Promise<WindowDecodeResult> {
  const sp = tokenizer.special;
  const suppressAlways = [...config.suppressTokens, sp.sot, sp.sotPrev];
  for (const t of [sp.transcribe, sp.translate, sp.sotLm, sp.noSpeech]) if (t !== undefined) suppressAlways.push(t);
  const ctx: Ctx = { runner, tokenizer, config, hidden: encoderHidden, opts, suppressAlways };
  const { prefix, sotIndex } = buildPrefix(tokenizer, config, opts);
  const cap = config.maxTargetPositions - prefix.length;
  const maxNew = Math.max(0, Math.min(opts.maxNewTokens ?? Math.floor(config.maxTargetPositions / 2), cap));
  if (opts.temperature === 0 && opts.beamSize > 1) return beamSearch(ctx, prefix, sotIndex, maxNew);
  const useCache = opts.useCache ?? true;
  const state = runner.newState(1);
  let logits = await runner.step(state, [prefix], encoderHidden, { useCache, signal: opts.signal });
  const noSpeechProb = sp.noSpeech === undefined ? 0 : softmaxAt(row(logits, 0, sotIndex), sp.noSpeech);
  const tokens: number[] = [];
  const tokenLogprobs: number[] = [];
  let sum = 0;
  for (let i = 0; i < maxNew; i++) {
    throwIfAborted(opts.signal);
    const x = row(logits, 0, logits.length - 1);
    const stats = filter(ctx, x, tokens);
    const next = opts.temperature === 0 ? stats.argmax : sampleToken(x, opts.temperature, opts.random);
    // Only the chosen token's log-probability is needed: no log-softmax row is built.
    const lp = Math.fround((x[next] as number) - stats.lse);
    sum += lp;
    if (next === sp.eot) break;
    tokens.push(next);
    tokenLogprobs.push(lp);
    if (i === maxNew - 1) break;
    const ids = useCache && runner.hasCache ? [next] : [...prefix, ...tokens];
    logits = await runner.step(state, [ids], encoderHidden, { useCache, signal: opts.signal });
  }
  return finish(ctx, tokens, tokenLogprobs, sum, noSpeechProb);
}

interface Beam {
  tokens: number[];
  lps: number[];
  sum: number;
}

/**
 * Scratch space of one beam search: the candidates of a step (source beam, token, log-probability, running sum)
 * in flat typed arrays, and the buffers of {@link topLogprobs}. Nothing is allocated per candidate. Internal
 * (exported for tests, not from the package).
 */
export class BeamScratch {
  readonly src: Int32Array;
  readonly tok: Int32Array;
  readonly lp: Float64Array;
  readonly sum: Float64Array;
  readonly order: number[] = [];
  /** Best entries of one row: index and logit, then log-probability. */
  readonly topIdx: Int32Array;
  readonly topX: Float64Array;
  readonly topLp: Float64Array;
  /** A full log-softmax row, only for rows whose top entries tie with the rest (see {@link topLogprobs}). */
  private fullRow: Float32Array | undefined;
  constructor(
    readonly width: number,
    readonly k: number,
    readonly slack: number,
    readonly vocab: number,
  ) {
    this.src = new Int32Array(width * k);
    this.tok = new Int32Array(width * k);
    this.lp = new Float64Array(width * k);
    this.sum = new Float64Array(width * k);
    this.topIdx = new Int32Array(k + slack);
    this.topX = new Float64Array(k + slack);
    this.topLp = new Float64Array(k + slack);
  }
  row(): Float32Array {
    this.fullRow ??= new Float32Array(this.vocab);
    return this.fullRow;
  }
}

/**
 * The `k` best tokens of a filtered row by log-probability `fround(x - lse)` (ties: lower index first), skipping
 * -Infinity, into `s.topIdx`/`s.topLp`; returns how many. Exactly what `topK` of the full log-softmax row gives,
 * without building that row: the `k + slack` largest logits are kept, and since `fround(x - lse)` never decreases
 * with `x`, their log-probabilities decide unless the k-th ties with the largest one left out (then the full row
 * is computed, as before). Internal (exported for tests, not from the package).
 */
export function topLogprobs(x: Float32Array, lse: number, s: BeamScratch): number {
  const { k, topIdx: idx, topX: val, topLp: lp } = s;
  const m = k + s.slack;
  if (!Number.isFinite(lse)) return topLogprobsFull(x, lse, s);
  // -Number.MAX_VALUE: every finite logit, no -Infinity (suppressed tokens are never candidates).
  const filled = topKInto(x, m, idx, val, -Number.MAX_VALUE);
  for (let j = 0; j < filled; j++) lp[j] = Math.fround((val[j] as number) - lse);
  // Re-sort by (log-probability desc, index asc): distinct logits may round to one log-probability.
  for (let j = 1; j < filled; j++) {
    const l = lp[j] as number;
    const t = idx[j] as number;
    let p = j;
    while (p > 0 && ((lp[p - 1] as number) < l || ((lp[p - 1] as number) === l && (idx[p - 1] as number) > t))) {
      lp[p] = lp[p - 1] as number;
      idx[p] = idx[p - 1] as number;
      p--;
    }
    lp[p] = l;
    idx[p] = t;
  }
  // Every logit left out is <= the smallest kept one, so its log-probability is <= the smallest kept one's.
  if (filled === m && !((lp[k - 1] as number) > Math.fround((val[m - 1] as number) - lse))) {
    return topLogprobsFull(x, lse, s);
  }
  let out = 0;
  for (let j = 0; j < Math.min(k, filled); j++) {
    if ((lp[j] as number) === -Infinity) continue;
    idx[out] = idx[j] as number;
    lp[out++] = lp[j] as number;
  }
  return out;
}

/** {@link topLogprobs} the long way: the whole log-softmax row, then `topK` of it. */
function topLogprobsFull(x: Float32Array, lse: number, s: BeamScratch): number {
  const row = s.row();
  for (let i = 0; i < x.length; i++) row[i] = (x[i] as number) - lse;
  let out = 0;
  for (const { index, score } of topK(row, s.k)) {
    if (score === -Infinity) continue;
    s.topIdx[out] = index;
    s.topLp[out++] = score;
  }
  return out;
}

/**
 * Beam search (OpenAI's BeamSearchDecoder, patience 1): each beam proposes its `width + 1` best tokens, the
 * `width` best unfinished candidates (by summed log-probability) go on, EOT candidates finish;
 * the finished sequence with the best length-normalised log-probability wins.
 */
async function beamSearch(ctx: Ctx, prefix: number[], sotIndex: number, maxNew: number): Promise<WindowDecodeResult> {
  // Every beam starts as the same prefix: the first step runs it once (batch 1, the encoder K/V are computed once,
  // not once per beam), and the first reorder repeats that row into the `width` beams (into pooled buffers that
  // the runner gets back at the end).
  const { runner } = ctx;
  const state: DecoderState = runner.newState(1);
  try {
    return await beamSteps(ctx, state, prefix, sotIndex, maxNew);
  } finally {
    runner.release(state);
  }
}

async function beamSteps(
  ctx: Ctx,
  state: DecoderState,
  prefix: number[],
  sotIndex: number,
  maxNew: number,
): Promise<WindowDecodeResult> {
  const { runner, opts } = ctx;
  const sp = ctx.tokenizer.special;
  const width = opts.beamSize;
  const useCache = (opts.useCache ?? true) && runner.hasCache;
  // Batch-1 encoder states for every step: the runner repeats them to the beams only where a graph reads them.
  const hidden = ctx.hidden;
  let beams: Beam[] = [{ tokens: [], lps: [], sum: 0 }];
  let logits = await runner.step(state, [prefix], ctx.hidden, { useCache, signal: opts.signal });
  const noSpeechProb = sp.noSpeech === undefined ? 0 : softmaxAt(row(logits, 0, sotIndex), sp.noSpeech);
  const finished: Beam[] = [];
  const s = new BeamScratch(width, width + 1, 4, logits.vocab);
  const { src, tok, lp, sum, order } = s;
  for (let i = 0; i < maxNew && finished.length < width; i++) {
    throwIfAborted(opts.signal);
    // Beams are distinct sequences (one beam at the first step; then distinct (beam, token) pairs), so no
    // candidate can be proposed twice and none needs a lookup.
    let n = 0;
    for (let b = 0; b < beams.length; b++) {
      const beam = beams[b] as Beam;
      const x = row(logits, b, logits.length - 1);
      const { lse } = filter(ctx, x, beam.tokens);
      const count = topLogprobs(x, lse, s);
      for (let j = 0; j < count; j++) {
        const t = s.topIdx[j] as number;
        const l = s.topLp[j] as number;
        src[n] = b;
        tok[n] = t;
        lp[n] = l;
        sum[n++] = beam.sum + l;
      }
    }
    // Stable ranking by running sum, best first (candidates in beam order, then token rank).
    order.length = n;
    for (let c = 0; c < n; c++) order[c] = c;
    order.sort((a, b) => (sum[b] as number) - (sum[a] as number) || a - b);
    const next: Beam[] = [];
    const sources: number[] = [];
    for (const c of order) {
      const from = beams[src[c] as number] as Beam;
      const t = tok[c] as number;
      if (t === sp.eot) {
        if (finished.length < width) finished.push({ tokens: from.tokens, lps: from.lps, sum: sum[c] as number });
      } else {
        next.push({ tokens: [...from.tokens, t], lps: [...from.lps, lp[c] as number], sum: sum[c] as number });
        sources.push(src[c] as number);
      }
      if (next.length === width) break;
    }
    if (next.length === 0 || finished.length >= width || i === maxNew - 1) {
      beams = next;
      break;
    }
    runner.reorder(state, sources);
    beams = next;
    const ids = useCache
      ? beams.map((b) => [b.tokens[b.tokens.length - 1] as number])
      : beams.map((b) => [...prefix, ...b.tokens]);
    logits = await runner.step(state, ids, hidden, { useCache, signal: opts.signal });
  }
  const candidates = finished.length > 0 ? finished : beams;
  let best = candidates[0] as Beam;
  let bestScore = -Infinity;
  for (const c of candidates) {
    const score = c.sum / Math.max(1, c.tokens.length);
    if (score > bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return finish(ctx, [...best.tokens], [...best.lps], best.sum, noSpeechProb);
}
