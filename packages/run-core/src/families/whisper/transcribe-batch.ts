import type { Tensor } from '../../tensor.js';
import { decodeGreedyBatch, rowOf, sameBits } from './batch-decode.js';
import type { WindowDecodeResult } from './decode.js';
import { WHISPER_CHUNK_FRAMES, WHISPER_CHUNK_SAMPLES, logMelSpectrogram } from './log-mel.js';
import type { WhisperDecodeOptions, WhisperPipeline, WhisperTranscriptionResult } from './transcribe.js';

/** Most recordings in one batched encoder or decoder run. */
export const WHISPER_MAX_BATCH = 8;

/**
 * How {@link transcribeBatch} shares runs between recordings: `verify` (default) checks the first batched encoder
 * and decoder runs row by row against single runs and keeps batching only what matched bit for bit, `always`
 * batches without checking (results may then differ slightly from one-by-one runs), `never` runs one by one.
 */
export type WhisperBatchMode = 'verify' | 'always' | 'never';

/** What the `verify` mode found for one pipeline (undefined: not checked yet). */
export interface WhisperBatchVerdict {
  encoder?: boolean;
  decoder?: boolean;
}

/** The first 30 s window's log-mel of 16 kHz samples, exactly as `transcribePcm` computes it. */
function firstWindowFeatures(samples: Float32Array, nMels: number): Float32Array {
  const mel = logMelSpectrogram(samples, { nMels, nSamples: Math.max(samples.length, 1) + WHISPER_CHUNK_SAMPLES });
  const out = new Float32Array(nMels * WHISPER_CHUNK_FRAMES);
  const n = Math.min(WHISPER_CHUNK_FRAMES, mel.nFrames);
  for (let m = 0; m < nMels; m++)
    out.set(mel.data.subarray(m * mel.nFrames, m * mel.nFrames + n), m * WHISPER_CHUNK_FRAMES);
  return out;
}

/** Encodes the first windows of `rows`, `WHISPER_MAX_BATCH` at a time when batching is trusted. */
async function encodeFirstWindows(
  p: WhisperPipeline,
  rows: readonly Float32Array[],
  signal?: AbortSignal,
): Promise<Tensor[]> {
  const nMels = p.config.nMels;
  const size = nMels * WHISPER_CHUNK_FRAMES;
  const out: Tensor[] = [];
  for (let k = 0; k < rows.length; k += WHISPER_MAX_BATCH) {
    const group = rows.slice(k, k + WHISPER_MAX_BATCH).map((s) => firstWindowFeatures(s, nMels));
    if (group.length === 1 || p.batchVerdict.encoder === false) {
      for (const f of group) out.push(await p.encode(f, 1, signal));
      continue;
    }
    const feats = new Float32Array(size * group.length);
    group.forEach((f, j) => feats.set(f, j * size));
    const hidden = await p.encode(feats, group.length, signal);
    const batched = group.map((_, j) => rowOf(hidden, j));
    if (p.batchMode === 'verify' && p.batchVerdict.encoder === undefined) {
      const alone: Tensor[] = [];
      for (const f of group) alone.push(await p.encode(f, 1, signal));
      p.batchVerdict.encoder = batched.every((h, j) => sameBits(h.data, (alone[j] as Tensor).data));
      out.push(...(p.batchVerdict.encoder ? batched : alone));
      continue;
    }
    out.push(...batched);
  }
  return out;
}

/** Whether the first window's first try is plain greedy decoding with a KV cache (what the batch decoder does). */
function greedyFirst(p: WhisperPipeline, options: WhisperDecodeOptions): boolean {
  const t = options.temperature;
  const first = t === undefined ? 0 : typeof t === 'number' ? t : t[0];
  return first === 0 && (options.beamSize ?? 1) === 1 && options.useCache !== false && p.runner.hasCache;
}

/** Decodes the first windows of rows that share a language token together; undefined where rows go alone. */
async function decodeFirstWindows(
  p: WhisperPipeline,
  hiddens: readonly Tensor[],
  languages: readonly (number | undefined)[],
  options: WhisperDecodeOptions,
): Promise<(WindowDecodeResult | undefined)[]> {
  const out: (WindowDecodeResult | undefined)[] = hiddens.map(() => undefined);
  const task = options.task ?? 'transcribe';
  const sp = p.tokenizer.special;
  const taskToken = p.config.isMultilingual ? (task === 'translate' ? sp.translate : sp.transcribe) : undefined;
  const prompt = options.prompt?.trim() ? p.tokenizer.encode(` ${options.prompt.trim()}`) : [];
  const byLanguage = new Map<number | undefined, number[]>();
  languages.forEach((l, i) => byLanguage.set(l, [...(byLanguage.get(l) ?? []), i]));
  for (const [languageToken, all] of byLanguage) {
    for (let k = 0; k < all.length; k += WHISPER_MAX_BATCH) {
      const rows = all.slice(k, k + WHISPER_MAX_BATCH);
      if (rows.length < 2 || p.batchVerdict.decoder === false) continue;
      const check = p.batchMode === 'verify' && p.batchVerdict.decoder === undefined;
      const decoded = await decodeGreedyBatch(
        p.runner,
        p.tokenizer,
        p.config,
        rows.map((r) => hiddens[r] as Tensor),
        {
          ...(languageToken !== undefined ? { languageToken } : {}),
          ...(taskToken !== undefined ? { taskToken } : {}),
          withTimestamps: true,
          promptTokens: prompt,
          ...(options.maxNewTokens !== undefined ? { maxNewTokens: options.maxNewTokens } : {}),
          ...(options.ignoreEot ? { ignoreEot: true } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        },
        check,
      );
      if (check) p.batchVerdict.decoder = decoded !== undefined;
      decoded?.forEach((d, j) => (out[rows[j] as number] = d));
    }
  }
  return out;
}

/**
 * Transcribes several 16 kHz recordings with the results `transcribePcm` gives each alone: recordings of at most
 * 30 s share batched encoder runs (up to {@link WHISPER_MAX_BATCH} at a time) and, for greedy decoding, batched
 * decoder steps for their first window (see {@link WhisperBatchMode}); the rest of the work goes one by one.
 */
export async function transcribeBatch(
  p: WhisperPipeline,
  inputs: readonly Float32Array[],
  options: WhisperDecodeOptions = {},
): Promise<WhisperTranscriptionResult[]> {
  const shortRows = inputs.flatMap((s, i) => (s.length > 0 && s.length <= WHISPER_CHUNK_SAMPLES ? [i] : []));
  const out: WhisperTranscriptionResult[] = [];
  if (p.batchMode === 'never' || shortRows.length < 2 || !p.runner.encoderBatchable) {
    for (const s of inputs) out.push(await p.transcribePcm(s, options));
    return out;
  }
  // Bad options fail before any work, as they do alone.
  const language = p.resolveLanguage(options.language);
  const hiddens = await encodeFirstWindows(
    p,
    shortRows.map((i) => inputs[i] as Float32Array),
    options.signal,
  );
  const codes: (string | undefined)[] = [];
  for (const h of hiddens) codes.push(language?.code ?? (await p.detectLanguage(h, options.signal)).code);
  const decoded = greedyFirst(p, options)
    ? await decodeFirstWindows(
        p,
        hiddens,
        codes.map((c) => (language ? language.token : p.tokenizer.languageToken(c as string))),
        options,
      )
    : [];
  const rowOfInput = new Map(shortRows.map((i, k) => [i, k]));
  for (const [i, s] of inputs.entries()) {
    const k = rowOfInput.get(i);
    if (k === undefined) {
      out.push(await p.transcribePcm(s, options));
      continue;
    }
    // A detected language is passed on so that the row is not detected again (the result is the same).
    const opts = language ? options : { ...options, language: codes[k] as string };
    out.push(await p.transcribePcm(s, opts, hiddens[k], decoded[k]));
  }
  return out;
}
