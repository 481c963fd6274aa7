import { throwIfAborted } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import type { WhisperModelConfig } from './config.js';
import { buildPrefix, compressionRatio, type WindowDecodeOptions, type WindowDecodeResult } from './decode.js';
import { applyTimestampRules, logSumExp, rowStats, suppress } from './logits.js';
import type { StepLogits, WhisperRunner } from './runner.js';
import type { WhisperTokenizer } from './tokenizer.js';

/** Options of {@link decodeGreedyBatch}: one window's decoding options, greedy (temperature 0, beam 1). */
export type GreedyBatchOptions = Omit<WindowDecodeOptions, 'temperature' | 'beamSize' | 'random' | 'useCache'>;

/** Stacks `[1, …]` tensors of one type and shape into one `[n, …]` tensor. */
export function stackRows(rows: readonly Tensor[]): Tensor {
  const first = rows[0] as Tensor;
  const Ctor = first.data.constructor as new (n: number) => Float32Array;
  const out = new Ctor(first.data.length * rows.length);
  rows.forEach((r, i) => out.set(r.data as Float32Array, i * first.data.length));
  return { type: first.type, dims: [rows.length, ...first.dims.slice(1)], data: out };
}

/** Row `i` of a `[n, …]` tensor as a `[1, …]` view (no copy). */
export function rowOf(t: Tensor, i: number): Tensor {
  const data = t.data as Float32Array;
  const size = data.length / (t.dims[0] as number);
  const Ctor = data.constructor as new (b: ArrayBufferLike, o: number, n: number) => Float32Array;
  return {
    type: t.type,
    dims: [1, ...t.dims.slice(1)],
    data: new Ctor(data.buffer, data.byteOffset + i * size * data.BYTES_PER_ELEMENT, size),
  };
}

/** Whether two typed arrays hold the same bits. */
export function sameBits(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function logitsRow(logits: StepLogits, b: number, pos: number): Float32Array {
  const off = (b * logits.length + pos) * logits.vocab;
  return logits.data.subarray(off, off + logits.vocab);
}

/**
 * Greedy decoding of several 30 s windows at once, one decoder run per step for every row still going (a row
 * leaves the batch at its EOT or its token cap). Each row gets exactly what `decodeWindow` gives it alone at
 * temperature 0 with beam 1, provided the decoder's rows do not influence each other: with `check`, the first step
 * is also run row by row and compared bit for bit, and `undefined` comes back when they differ (dynamically
 * quantized int8 decoders quantize a whole batch with one scale). Needs a decoder KV cache.
 */
export async function decodeGreedyBatch(
  runner: WhisperRunner,
  tokenizer: WhisperTokenizer,
  config: WhisperModelConfig,
  hiddens: readonly Tensor[],
  opts: GreedyBatchOptions,
  check = false,
): Promise<WindowDecodeResult[] | undefined> {
  const sp = tokenizer.special;
  const suppressAlways = [...config.suppressTokens, sp.sot, sp.sotPrev];
  for (const t of [sp.transcribe, sp.translate, sp.sotLm, sp.noSpeech]) if (t !== undefined) suppressAlways.push(t);
  const { prefix, sotIndex } = buildPrefix(tokenizer, config, opts);
  const cap = config.maxTargetPositions - prefix.length;
  const maxNew = Math.max(0, Math.min(opts.maxNewTokens ?? Math.floor(config.maxTargetPositions / 2), cap));
  const n = hiddens.length;
  const signal = opts.signal ? { signal: opts.signal } : {};
  let hidden = stackRows(hiddens);
  const state = runner.newState(n);
  try {
    let logits = await runner.step(
      state,
      hiddens.map(() => prefix),
      hidden,
      signal,
    );
    if (check) {
      for (let b = 0; b < n; b++) {
        const alone = await runner.step(runner.newState(1), [prefix], hiddens[b] as Tensor, signal);
        const size = logits.length * logits.vocab;
        if (!sameBits(alone.data, logits.data.subarray(b * size, (b + 1) * size))) return undefined;
      }
    }
    const tokens = hiddens.map((): number[] => []);
    const lps = hiddens.map((): number[] => []);
    const sums = new Float64Array(n);
    const noSpeech = hiddens.map((_, b) => {
      if (sp.noSpeech === undefined) return 0;
      const x = logitsRow(logits, b, sotIndex);
      return Math.exp(Math.fround((x[sp.noSpeech] as number) - logSumExp(x)));
    });
    /** Original row of each batch position. */
    let active = hiddens.map((_, b) => b);
    for (let i = 0; i < maxNew && active.length > 0; i++) {
      throwIfAborted(opts.signal);
      const keep: number[] = [];
      const ids: number[][] = [];
      active.forEach((r, k) => {
        const x = logitsRow(logits, k, logits.length - 1);
        const sampled = tokens[r] as number[];
        if (sampled.length === 0) suppress(x, config.beginSuppressTokens);
        suppress(x, suppressAlways);
        if (opts.ignoreEot) x[sp.eot] = -Infinity;
        const stats = opts.withTimestamps
          ? applyTimestampRules(x, sampled, sp, config.maxInitialTimestampIndex)
          : rowStats(x);
        const next = stats.argmax;
        const lp = Math.fround((x[next] as number) - stats.lse);
        sums[r] = (sums[r] as number) + lp;
        if (next === sp.eot) return;
        sampled.push(next);
        (lps[r] as number[]).push(lp);
        if (i === maxNew - 1) return;
        keep.push(k);
        ids.push([next]);
      });
      if (keep.length === 0) break;
      if (keep.length < active.length) {
        runner.reorder(state, keep); // finished rows leave the batch
        hidden = stackRows(keep.map((k) => rowOf(hidden, k)));
        active = keep.map((k) => active[k] as number);
      }
      logits = await runner.step(state, ids, hidden, signal);
    }
    return tokens.map((toks, r) => {
      const text = tokenizer.decode(toks);
      const sum = sums[r] as number;
      return {
        tokens: toks,
        tokenLogprobs: lps[r] as number[],
        sumLogprob: sum,
        avgLogprob: sum / (toks.length + 1),
        noSpeechProb: noSpeech[r] as number,
        temperature: 0,
        text,
        compressionRatio: compressionRatio(text),
      };
    });
  } finally {
    runner.release(state); // the encoder K/V buffers of shrunk batches go back to the runner's pool
  }
}
