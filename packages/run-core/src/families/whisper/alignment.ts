import type { Tensor } from '../../tensor.js';
import type { TranscriptionSegment, TranscriptionWord } from '../../types/speech.js';
import type { WhisperModelConfig } from './config.js';
import { buildPrefix } from './decode.js';
import { ALIGNMENT_FRAMES_PER_SECOND, alignmentMatrix, dtw } from './dtw.js';
import { WHISPER_HOP_LENGTH, WHISPER_SAMPLE_RATE } from './log-mel.js';
import { logSumExp } from './logits.js';
import type { WhisperRunner } from './runner.js';
import type { WhisperTokenizer } from './tokenizer.js';
import { round2 } from './word-times.js';

/**
 * Word timings from the decoder's cross-attention (OpenAI whisper `timing.py`): one uncached decoder run returns
 * the alignment heads' attention, `dtw.ts` turns it into a token-to-frame path, and this file turns that into
 * words, merges punctuation and hands the words out to the segments (`add_word_timestamps`).
 */

/** OpenAI's default: punctuation glued to the next word. */
export const PREPEND_PUNCTUATIONS = '"\'“¿([{-';
/** OpenAI's default: punctuation glued to the previous word. */
export const APPEND_PUNCTUATIONS = '"\'.。,，!！?？:：”)]}、';
/** Python's `string.punctuation` (OpenAI tests `subword.strip() in string.punctuation`, a substring test). */
const ASCII_PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
/** Languages written without spaces: words are split on unicode boundaries only. */
const NO_SPACE_LANGUAGES = new Set(['zh', 'ja', 'th', 'lo', 'my', 'yue']);

/** What the alignment needs of a Whisper pipeline (a {@link WhisperPipeline} is one). */
export interface AlignmentModel {
  readonly runner: WhisperRunner;
  readonly tokenizer: WhisperTokenizer;
  readonly config: WhisperModelConfig;
  /** The `[layer, head]` pairs whose cross-attention aligns text and audio. */
  alignmentHeads(): (readonly [number, number])[];
}

/** Options of {@link addWordTimestamps}. */
export interface WordTimestampOptions {
  readonly prependPunctuations?: string;
  readonly appendPunctuations?: string;
  readonly languageToken?: number;
  readonly taskToken?: number;
  readonly languageCode?: string;
  readonly signal?: AbortSignal;
}

/** `alignment_heads` of generation_config.json, or OpenAI's default: every head of the upper half of the layers. */
export function alignmentHeadsOf(config: WhisperModelConfig): (readonly [number, number])[] {
  if (config.alignmentHeads.length > 0) return [...config.alignmentHeads];
  const out: [number, number][] = [];
  for (let l = Math.floor(config.decoderLayers / 2); l < config.decoderLayers; l++) {
    for (let h = 0; h < config.decoderHeads; h++) out.push([l, h]);
  }
  return out;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 === 1 ? (s[k] as number) : ((s[k - 1] as number) + (s[k] as number)) / 2;
}

/** A word of an alignment (OpenAI `WordTiming`), times in seconds from the window start. */
export interface WordTiming {
  word: string;
  tokens: number[];
  start: number;
  end: number;
  probability: number;
}

/** How to turn token ids into text (a {@link WhisperTokenizer} does). */
export interface TokenDecoder {
  /** Text of text tokens (ids below `eot`). */
  decode(ids: readonly number[]): string;
}

/**
 * Splits text tokens into words (OpenAI `split_to_word_tokens`): tokens are first grouped into complete UTF-8
 * characters, then (except for zh, ja, th, lo, my, yue) a piece starting with a space, a punctuation piece, or a
 * special token (≥ `eot`) starts a new word. Special tokens decode to ''.
 */
export function splitToWordTokens(
  tokens: readonly number[],
  tokenizer: TokenDecoder,
  eot: number,
  language = 'en',
): { words: string[]; wordTokens: number[][] } {
  const decode = (ids: readonly number[]): string => tokenizer.decode(ids.filter((t) => t < eot));
  const full = decode(tokens);
  const subwords: string[] = [];
  const subTokens: number[][] = [];
  let current: number[] = [];
  let offset = 0;
  for (const t of tokens) {
    current.push(t);
    const decoded = decode(current);
    const bad = decoded.indexOf('\ufffd');
    if (bad < 0 || full[offset + bad] === '\ufffd') {
      subwords.push(decoded);
      subTokens.push(current);
      current = [];
      offset += decoded.length;
    }
  }
  if (NO_SPACE_LANGUAGES.has(language)) return { words: subwords, wordTokens: subTokens };
  const words: string[] = [];
  const wordTokens: number[][] = [];
  subwords.forEach((sub, k) => {
    const toks = subTokens[k] as number[];
    const special = (toks[0] as number) >= eot;
    const withSpace = sub.startsWith(' ');
    const punctuation = ASCII_PUNCTUATION.includes(sub.trim());
    if (special || withSpace || punctuation || words.length === 0) {
      words.push(sub);
      wordTokens.push([...toks]);
    } else {
      words[words.length - 1] += sub;
      (wordTokens[wordTokens.length - 1] as number[]).push(...toks);
    }
  });
  return { words, wordTokens };
}

/**
 * Glues leading punctuation to the next word and trailing punctuation to the previous one, in place (OpenAI
 * `merge_punctuations`); emptied entries keep their place with word '' and no tokens.
 */
export function mergePunctuations(
  alignment: WordTiming[],
  prepended = PREPEND_PUNCTUATIONS,
  appended = APPEND_PUNCTUATIONS,
): void {
  let i = alignment.length - 2;
  let j = alignment.length - 1;
  while (i >= 0) {
    const previous = alignment[i] as WordTiming;
    const following = alignment[j] as WordTiming;
    if (previous.word.startsWith(' ') && prepended.includes(previous.word.trim())) {
      following.word = previous.word + following.word;
      following.tokens = [...previous.tokens, ...following.tokens];
      previous.word = '';
      previous.tokens = [];
    } else {
      j = i;
    }
    i--;
  }
  i = 0;
  j = 1;
  while (j < alignment.length) {
    const previous = alignment[i] as WordTiming;
    const following = alignment[j] as WordTiming;
    if (!previous.word.endsWith(' ') && appended.includes(following.word)) {
      previous.word += following.word;
      previous.tokens = [...previous.tokens, ...following.tokens];
      following.word = '';
      following.tokens = [];
    } else {
      i = j;
    }
    j++;
  }
}

/**
 * Words and their times from an alignment matrix (the part of OpenAI `find_alignment` after the matrix):
 * `matrix` is `[1 + textTokens.length, frames]`, its row 0 being the position before the first text token
 * (`<|notimestamps|>`); DTW on `-matrix`, word boundaries at the path's row jumps, 20 ms per frame. `tokenProbs[i]`
 * is the probability of text token i; a word's probability is their mean.
 */
export function wordsFromMatrix(
  matrix: Float32Array,
  frames: number,
  textTokens: readonly number[],
  tokenProbs: readonly number[],
  tokenizer: TokenDecoder,
  eot: number,
  language = 'en',
): WordTiming[] {
  const n = textTokens.length + 1;
  if (matrix.length !== n * frames)
    throw new RangeError(`'matrix' has ${matrix.length} values, expected ${n} × ${frames}.`);
  const neg = new Float64Array(matrix.length);
  for (let k = 0; k < matrix.length; k++) neg[k] = -(matrix[k] as number);
  const { textIndices, timeIndices } = dtw(neg, n, frames);
  const { words, wordTokens } = splitToWordTokens([...textTokens, eot], tokenizer, eot, language);
  if (wordTokens.length <= 1) return [];
  const boundaries = [0];
  for (let k = 0; k < wordTokens.length - 1; k++)
    boundaries.push((boundaries[k] as number) + (wordTokens[k] as number[]).length);
  const jumpTimes: number[] = [];
  textIndices.forEach((t, k) => {
    if (k === 0 || t !== textIndices[k - 1]) jumpTimes.push((timeIndices[k] as number) / ALIGNMENT_FRAMES_PER_SECOND);
  });
  const out: WordTiming[] = [];
  for (let k = 0; k < words.length - 1; k++) {
    const a = boundaries[k] as number;
    const b = boundaries[k + 1] as number;
    let p = 0;
    for (let i = a; i < b; i++) p += tokenProbs[i] ?? 0;
    out.push({
      word: words[k] as string,
      tokens: wordTokens[k] as number[],
      start: jumpTimes[a] ?? 0,
      end: jumpTimes[b] ?? jumpTimes[jumpTimes.length - 1] ?? 0,
      probability: b > a ? p / (b - a) : 0,
    });
  }
  return out;
}

/**
 * Word timings of one window's text tokens (OpenAI `find_alignment`): one uncached decoder run over
 * `<|startoftranscript|> [lang task] <|notimestamps|> text <|endoftext|>` returning the alignment heads'
 * cross-attention, cropped to the window's `numFrames` mel frames, then DTW. Times are seconds from the window start.
 */
export async function findAlignment(
  model: AlignmentModel,
  hidden: Tensor,
  textTokens: readonly number[],
  numFrames: number,
  options: { languageToken?: number; taskToken?: number; language?: string; signal?: AbortSignal } = {},
): Promise<WordTiming[]> {
  if (textTokens.length === 0) return [];
  const sp = model.tokenizer.special;
  const { prefix: sot } = buildPrefix(model.tokenizer, model.config, {
    ...(options.languageToken !== undefined ? { languageToken: options.languageToken } : {}),
    ...(options.taskToken !== undefined ? { taskToken: options.taskToken } : {}),
    withTimestamps: true,
  });
  const ids = [...sot, sp.noTimestamps, ...textTokens, sp.eot];
  if (ids.length > model.config.maxTargetPositions) return [];
  const heads = model.alignmentHeads();
  const layers = [...new Set(heads.map(([l]) => l))].sort((a, b) => a - b);
  const { logits, attentions } = await model.runner.crossAttentions(ids, hidden, layers, options.signal);
  // Probability of each text token (softmax over the text vocabulary, ids < eot), from the row before it.
  const probs: number[] = [];
  for (let i = 0; i < textTokens.length; i++) {
    const off = (sot.length + i) * logits.vocab;
    const row = logits.data.subarray(off, off + sp.eot);
    const lse = logSumExp(row);
    probs.push(Math.exp((row[textTokens[i] as number] as number) - lse));
  }
  const tokens = ids.length;
  const rows: Float32Array[] = [];
  let srcFrames = 0;
  for (const [l, h] of heads) {
    const t = attentions.get(l) as Tensor;
    const [, nHeads, nTok, nSrc] = t.dims as [number, number, number, number];
    if (h >= nHeads || nTok !== tokens) continue;
    srcFrames = nSrc;
    rows.push((t.data as Float32Array).subarray(h * nTok * nSrc, (h + 1) * nTok * nSrc));
  }
  if (rows.length === 0) return [];
  const frames = Math.max(1, Math.min(srcFrames, Math.floor(numFrames / 2)));
  const full = alignmentMatrix(rows, tokens, srcFrames, frames);
  // Rows from <|notimestamps|> to the last text token (drop the SOT sequence and EOT).
  const matrix = full.subarray(sot.length * frames, (tokens - 1) * frames);
  return wordsFromMatrix(matrix, frames, textTokens, probs, model.tokenizer, sp.eot, options.language ?? 'en');
}

/**
 * OpenAI `add_word_timestamps` for one window's segments: aligns all their text tokens at once, trims overlong
 * words at sentence and segment boundaries, merges punctuation, hands the words out to the segments, and moves
 * segment starts/ends to their first/last word. Returns the new last speech time.
 */
export async function addWordTimestamps(
  model: AlignmentModel,
  segments: TranscriptionSegment[],
  hidden: Tensor,
  numFrames: number,
  lastSpeechTimestamp: number,
  options: WordTimestampOptions,
): Promise<number> {
  if (segments.length === 0) return lastSpeechTimestamp;
  const eot = model.tokenizer.special.eot;
  const perSegment = segments.map((s) => s.tokens.filter((t) => t < eot));
  const alignment = await findAlignment(model, hidden, perSegment.flat(), numFrames, {
    ...(options.languageToken !== undefined ? { languageToken: options.languageToken } : {}),
    ...(options.taskToken !== undefined ? { taskToken: options.taskToken } : {}),
    ...(options.languageCode !== undefined ? { language: options.languageCode } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const durations = alignment.map((t) => t.end - t.start).filter((d) => d !== 0);
  const medianDuration = Math.min(0.7, durations.length > 0 ? median(durations) : 0);
  const maxDuration = medianDuration * 2;
  if (durations.length > 0) {
    const sentenceEnd = '.。!！?？';
    for (let i = 1; i < alignment.length; i++) {
      const a = alignment[i] as WordTiming;
      if (a.end - a.start > maxDuration) {
        if (a.word !== '' && sentenceEnd.includes(a.word)) a.end = a.start + maxDuration;
        else if (
          (alignment[i - 1] as WordTiming).word !== '' &&
          sentenceEnd.includes((alignment[i - 1] as WordTiming).word)
        ) {
          a.start = a.end - maxDuration;
        }
      }
    }
  }
  mergePunctuations(
    alignment,
    options.prependPunctuations ?? PREPEND_PUNCTUATIONS,
    options.appendPunctuations ?? APPEND_PUNCTUATIONS,
  );
  const timeOffset = ((segments[0] as TranscriptionSegment).seek * WHISPER_HOP_LENGTH) / WHISPER_SAMPLE_RATE;
  let wordIndex = 0;
  let last = lastSpeechTimestamp;
  segments.forEach((segment, k) => {
    const textTokens = perSegment[k] as number[];
    let saved = 0;
    const words: TranscriptionWord[] = [];
    while (wordIndex < alignment.length && saved < textTokens.length) {
      const t = alignment[wordIndex] as WordTiming;
      if (t.word) {
        words.push({
          word: t.word,
          start: round2(timeOffset + t.start),
          end: round2(timeOffset + t.end),
          probability: t.probability,
        });
      }
      saved += t.tokens.length;
      wordIndex++;
    }
    const first = words[0];
    const lastWord = words[words.length - 1];
    if (first && lastWord) {
      // The first and second word after a pause should not be longer than twice the median word duration.
      const second = words[1];
      if (
        first.end - last > medianDuration * 4 &&
        (first.end - first.start > maxDuration || (second !== undefined && second.end - first.start > maxDuration * 2))
      ) {
        if (second && second.end - second.start > maxDuration) {
          const boundary = Math.max(second.end / 2, second.end - maxDuration);
          first.end = second.start = boundary;
        }
        first.start = Math.max(0, first.end - maxDuration);
      }
      // Prefer the segment's start timestamp when the first word is too long.
      if (segment.start < first.end && segment.start - 0.5 > first.start) {
        first.start = Math.max(0, Math.min(first.end - medianDuration, segment.start));
      } else {
        segment.start = first.start;
      }
      // Prefer the segment's end timestamp when the last word is too long.
      if (segment.end > lastWord.start && segment.end + 0.5 < lastWord.end) {
        lastWord.end = Math.max(lastWord.start + medianDuration, segment.end);
      } else {
        segment.end = lastWord.end;
      }
      last = segment.end;
    }
    segment.words = words;
  });
  return last;
}
