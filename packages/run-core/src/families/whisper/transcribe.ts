import {
  InvalidArgumentError,
  LanguageUnsupportedError,
  UnsupportedOperationError,
  invalidParameter,
  throwIfAborted,
} from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import type {
  TranscribeOptions,
  TranscriptionResult,
  TranscriptionSegment,
  TranscriptionWord,
} from '../../types/speech.js';
import type { WhisperModelConfig } from './config.js';
import { addWordTimestamps, alignmentHeadsOf, findAlignment, type WordTiming } from './alignment.js';
import { decodeWindow, type WindowDecodeResult } from './decode.js';
import { logSoftmax, seededRandom } from './logits.js';
import {
  WHISPER_CHUNK_FRAMES,
  WHISPER_CHUNK_SAMPLES,
  WHISPER_HOP_LENGTH,
  WHISPER_SAMPLE_RATE,
  logMelSpectrogram,
  type LogMel,
} from './log-mel.js';
import type { WhisperRunner } from './runner.js';
import type { WhisperTokenizer } from './tokenizer.js';
import { interpolateWords, round2 } from './word-times.js';
import { transcribeBatch, type WhisperBatchMode, type WhisperBatchVerdict } from './transcribe-batch.js';

/** Decoding options of the Whisper pipeline (OpenAI `transcribe()` defaults). */
export interface WhisperDecodeOptions {
  /** ISO 639-1 code; detected from the first window when absent (multilingual models). */
  readonly language?: string;
  readonly task?: 'transcribe' | 'translate';
  /** Text that conditions the first window (names, spelling, style). */
  readonly prompt?: string;
  /** Temperature, or the ladder tried in order on failure (default [0, 0.2, 0.4, 0.6, 0.8, 1]). */
  readonly temperature?: number | readonly number[];
  /** Beam width at temperature 0 (default 1 = greedy). */
  readonly beamSize?: number;
  /**
   * Word timestamps: cross-attention DTW when the decoder outputs `cross_attentions.N` (OpenAI's algorithm), else
   * interpolated inside each segment; {@link WhisperPipeline.wordTimestampMethod} tells which (docs/speech.md).
   */
  readonly wordTimestamps?: boolean;
  /** Punctuation glued to the following word (DTW word timestamps; OpenAI's default `"'“¿([{-`). */
  readonly prependPunctuations?: string;
  /** Punctuation glued to the preceding word (DTW word timestamps; OpenAI's default `"'.。,，!！?？:：”)]}、`). */
  readonly appendPunctuations?: string;
  /** Fall back to the next temperature above this compression ratio (default 2.4). */
  readonly compressionRatioThreshold?: number;
  /** Fall back to the next temperature below this average log-probability (default -1). */
  readonly logprobThreshold?: number;
  /** A window whose no-speech probability is above this (and avg log-prob below the threshold) is skipped (0.6). */
  readonly noSpeechThreshold?: number;
  /** Condition each window on the previous window's text (default true). */
  readonly conditionOnPreviousText?: boolean;
  /** Most tokens per window (default 224, and never past the 448-token context). */
  readonly maxNewTokens?: number;
  /** Never stop at EOT (benchmarks: a fixed number of tokens per window). */
  readonly ignoreEot?: boolean;
  /** Seed for sampling at temperature > 0 (default 0: runs are reproducible). */
  readonly seed?: number;
  /** Use the decoder's KV cache (default true). */
  readonly useCache?: boolean;
  readonly signal?: AbortSignal;
  /** Called after each 30 s window with the seconds decoded so far. */
  readonly onProgress?: TranscribeOptions['onProgress'];
}

/** How word times are found: `cross-attention` (DTW, OpenAI's algorithm) or `interpolation` (by characters). */
export type WordTimestampMethod = 'cross-attention' | 'interpolation';

/** A Whisper transcription: run-core's result plus how word times were found (when asked for). */
export interface WhisperTranscriptionResult extends TranscriptionResult {
  /** Set when `wordTimestamps` was on. */
  wordTimestampMethod?: WordTimestampMethod;
}

/** Seconds per timestamp token (encoder stride 2 × hop 160 / 16 kHz). */
export const WHISPER_TIME_PRECISION = 0.02;

const DEFAULT_TEMPERATURES = [0, 0.2, 0.4, 0.6, 0.8, 1];

/** The runtime-agnostic Whisper pipeline: log-mel, encoder, decoding with fallback, long-form seeking. */
export class WhisperPipeline {
  /** How {@link transcribeBatch} shares runs between recordings (default `verify`). */
  batchMode: WhisperBatchMode = 'verify';
  /** What the `verify` mode found: whether batched encoder/decoder rows equal single runs bit for bit. */
  readonly batchVerdict: WhisperBatchVerdict = {};

  constructor(
    readonly runner: WhisperRunner,
    readonly tokenizer: WhisperTokenizer,
    readonly config: WhisperModelConfig,
  ) {}

  /**
   * How `wordTimestamps` are computed with this model: `cross-attention` when the decoder outputs the
   * cross-attention weights of the alignment heads' layers, else `interpolation`.
   */
  get wordTimestampMethod(): WordTimestampMethod {
    const have = this.runner.crossAttentionLayers;
    return this.alignmentHeads().every(([l]) => have.includes(l)) && have.length > 0
      ? 'cross-attention'
      : 'interpolation';
  }

  /** `alignment_heads` of generation_config.json, or OpenAI's default: every head of the upper half of the layers. */
  alignmentHeads(): (readonly [number, number])[] {
    return alignmentHeadsOf(this.config);
  }

  /** Word timings of one window's text tokens (see {@link findAlignment}). */
  findAlignment(
    hidden: Tensor,
    textTokens: readonly number[],
    numFrames: number,
    options: Parameters<typeof findAlignment>[4] = {},
  ): Promise<WordTiming[]> {
    return findAlignment(this, hidden, textTokens, numFrames, options);
  }

  /** Language codes the model knows (`['en']` for English-only models). */
  get languages(): string[] {
    return this.config.isMultilingual ? [...this.tokenizer.languages.keys()] : ['en'];
  }

  /** Resolves the language option to a code and token; throws {@link LanguageUnsupportedError}. */
  resolveLanguage(language: string | undefined): { code: string; token: number | undefined } | undefined {
    if (language === undefined) return this.config.isMultilingual ? undefined : { code: 'en', token: undefined };
    if (typeof language !== 'string' || language.trim() === '')
      throw invalidParameter('language', 'an ISO 639-1 code like "en"', language);
    const code = language.trim().toLowerCase();
    if (!this.config.isMultilingual) {
      if (code === 'en') return { code, token: undefined };
      throw new LanguageUnsupportedError(
        `This Whisper model is English-only but language '${language}' was asked for. Use a multilingual model or language 'en'.`,
        { details: { language, supported: ['en'] } },
      );
    }
    const token = this.tokenizer.languageToken(code);
    if (token === undefined) {
      throw new LanguageUnsupportedError(
        `Language '${language}' is not one of this Whisper model's ${this.tokenizer.languages.size} languages (${[...this.tokenizer.languages.keys()].slice(0, 12).join(', ')}, …). Pass an ISO 639-1 code it knows, or omit language to detect it.`,
        { details: { language, supported: [...this.tokenizer.languages.keys()] } },
      );
    }
    return { code, token };
  }

  /** Encodes one `[nMels, 3000]` window (or a batch of them). */
  async encode(features: Float32Array, batch: number, signal?: AbortSignal): Promise<Tensor> {
    return this.runner.encode(features, [batch, this.config.nMels, WHISPER_CHUNK_FRAMES], signal);
  }

  /** Detects the spoken language from one window's encoder output: probabilities of each language token. */
  async detectLanguage(hidden: Tensor, signal?: AbortSignal): Promise<{ code: string; probs: Map<string, number> }> {
    const state = this.runner.newState(1);
    const logits = await this.runner.step(state, [[this.tokenizer.special.sot]], hidden, { useCache: false, signal });
    const x = logits.data.subarray(0, logits.vocab);
    const ids = [...this.tokenizer.languages.values()];
    const sub = Float32Array.from(ids, (i) => x[i] as number);
    const lp = logSoftmax(sub);
    const probs = new Map<string, number>();
    let best = 'en';
    let bestP = -1;
    ids.forEach((id, k) => {
      const p = Math.exp(lp[k] as number);
      const code = this.tokenizer.languageOf(id) as string;
      probs.set(code, p);
      if (p > bestP) {
        bestP = p;
        best = code;
      }
    });
    return { code: best, probs };
  }

  /** Decodes one window with temperature fallback (OpenAI `decode_with_fallback`). */
  async decodeWithFallback(
    hidden: Tensor,
    base: { languageToken?: number; taskToken?: number; promptTokens: readonly number[] },
    options: WhisperDecodeOptions,
    random: () => number,
    first?: WindowDecodeResult,
  ): Promise<WindowDecodeResult> {
    const ladder = temperatures(options.temperature);
    const crThreshold = options.compressionRatioThreshold ?? 2.4;
    const lpThreshold = options.logprobThreshold ?? -1;
    const nsThreshold = options.noSpeechThreshold ?? 0.6;
    const beamSize = options.beamSize ?? 1;
    if (!Number.isInteger(beamSize) || beamSize < 1 || beamSize > 16)
      throw invalidParameter('beamSize', 'an integer in [1, 16]', beamSize);
    let result: WindowDecodeResult | undefined;
    for (const [k, t] of ladder.entries()) {
      // `first`: the first temperature's result, decoded already (batched greedy, see transcribeBatch).
      result =
        k === 0 && first
          ? first
          : await decodeWindow(this.runner, this.tokenizer, this.config, hidden, {
              ...base,
              withTimestamps: true,
              temperature: t,
              beamSize: t === 0 ? beamSize : 1,
              random,
              ...(options.maxNewTokens !== undefined ? { maxNewTokens: options.maxNewTokens } : {}),
              ...(options.useCache !== undefined ? { useCache: options.useCache } : {}),
              ...(options.ignoreEot ? { ignoreEot: true } : {}),
              ...(options.signal ? { signal: options.signal } : {}),
            });
      let needsFallback = result.compressionRatio > crThreshold || result.avgLogprob < lpThreshold;
      if (result.noSpeechProb > nsThreshold && result.avgLogprob < lpThreshold) needsFallback = false; // silence
      if (options.ignoreEot || !needsFallback) break;
    }
    return result as WindowDecodeResult;
  }

  /**
   * Transcribes 16 kHz mono PCM of any length: 30 s windows that seek by the last timestamp token (OpenAI's
   * algorithm), so nothing is lost or repeated at window seams.
   */
  async transcribePcm(
    samples: Float32Array,
    options: WhisperDecodeOptions = {},
    firstWindowHidden?: Tensor,
    firstWindowDecoded?: WindowDecodeResult,
  ): Promise<WhisperTranscriptionResult> {
    const task = options.task ?? 'transcribe';
    if (task !== 'transcribe' && task !== 'translate')
      throw invalidParameter('task', "'transcribe' or 'translate'", task);
    if (task === 'translate' && !this.config.isMultilingual) {
      throw new UnsupportedOperationError(
        'This Whisper model is English-only and cannot translate. Use a multilingual model.',
      );
    }
    let language = this.resolveLanguage(options.language);
    const duration = samples.length / WHISPER_SAMPLE_RATE;
    const taskToken = this.config.isMultilingual
      ? task === 'translate'
        ? this.tokenizer.special.translate
        : this.tokenizer.special.transcribe
      : undefined;
    const random = seededRandom(options.seed ?? 0);
    const mel = logMelSpectrogram(samples, {
      nMels: this.config.nMels,
      nSamples: Math.max(samples.length, 1) + WHISPER_CHUNK_SAMPLES,
    });
    const contentFrames = Math.floor(samples.length / WHISPER_HOP_LENGTH);
    const initialPrompt = options.prompt?.trim() ? this.tokenizer.encode(` ${options.prompt.trim()}`) : [];
    const allTokens: number[] = [...initialPrompt];
    const segments: TranscriptionSegment[] = [];
    let promptResetSince = 0;
    let seek = 0;
    const nsThreshold = options.noSpeechThreshold ?? 0.6;
    const lpThreshold = options.logprobThreshold ?? -1;
    const tsBegin = this.tokenizer.special.timestampBegin;
    const method = options.wordTimestamps ? this.wordTimestampMethod : undefined;
    let lastSpeechTimestamp = 0;
    while (seek < contentFrames) {
      throwIfAborted(options.signal);
      const timeOffset = (seek * WHISPER_HOP_LENGTH) / WHISPER_SAMPLE_RATE;
      const segmentSize = Math.min(WHISPER_CHUNK_FRAMES, contentFrames - seek);
      const segmentDuration = (segmentSize * WHISPER_HOP_LENGTH) / WHISPER_SAMPLE_RATE;
      const hidden =
        seek === 0 && firstWindowHidden
          ? firstWindowHidden
          : await this.encode(sliceFrames(mel, seek), 1, options.signal);
      if (!language) {
        const detected = await this.detectLanguage(hidden, options.signal);
        language = { code: detected.code, token: this.tokenizer.languageToken(detected.code) };
      }
      const result = await this.decodeWithFallback(
        hidden,
        {
          ...(language.token !== undefined ? { languageToken: language.token } : {}),
          ...(taskToken !== undefined ? { taskToken } : {}),
          promptTokens: allTokens.slice(promptResetSince),
        },
        options,
        random,
        seek === 0 ? firstWindowDecoded : undefined,
      );
      const tokens = result.tokens;
      if (result.noSpeechProb > nsThreshold && !(result.avgLogprob > lpThreshold)) {
        seek += segmentSize;
        continue;
      }
      const current: TranscriptionSegment[] = [];
      const isTs = tokens.map((t) => t >= tsBegin);
      const n = tokens.length;
      const singleTimestampEnding = n >= 2 ? !isTs[n - 2] && !!isTs[n - 1] : n === 1 && !!isTs[0];
      const consecutive: number[] = [];
      for (let i = 1; i < n; i++) if (isTs[i - 1] && isTs[i]) consecutive.push(i);
      const make = (start: number, end: number, toks: number[], lps: number[]): TranscriptionSegment => ({
        id: 0,
        seek,
        start: round2(start),
        end: round2(end),
        text: this.tokenizer.decode(toks),
        tokens: toks,
        temperature: result.temperature,
        avgLogprob: result.avgLogprob,
        compressionRatio: result.compressionRatio,
        noSpeechProb: result.noSpeechProb,
        ...(method === 'interpolation' ? { words: interpolateWords(this.tokenizer, toks, lps, start, end) } : {}),
      });
      if (consecutive.length > 0) {
        const slices = [...consecutive];
        if (singleTimestampEnding) slices.push(n);
        let last = 0;
        for (const cur of slices) {
          const toks = tokens.slice(last, cur);
          const startPos = (toks[0] as number) - tsBegin;
          const endPos = (toks[toks.length - 1] as number) - tsBegin;
          current.push(
            make(
              timeOffset + startPos * WHISPER_TIME_PRECISION,
              timeOffset + endPos * WHISPER_TIME_PRECISION,
              toks,
              result.tokenLogprobs.slice(last, cur),
            ),
          );
          last = cur;
        }
        if (singleTimestampEnding) seek += segmentSize;
        else seek += ((tokens[last - 1] as number) - tsBegin) * 2;
      } else {
        let dur = segmentDuration;
        const ts = tokens.filter((t) => t >= tsBegin);
        const lastTs = ts[ts.length - 1];
        if (lastTs !== undefined && lastTs !== tsBegin) dur = (lastTs - tsBegin) * WHISPER_TIME_PRECISION;
        current.push(make(timeOffset, timeOffset + dur, tokens, result.tokenLogprobs));
        seek += segmentSize;
      }
      if (method === 'cross-attention') {
        lastSpeechTimestamp = await addWordTimestamps(this, current, hidden, segmentSize, lastSpeechTimestamp, {
          ...options,
          ...(language.token !== undefined ? { languageToken: language.token } : {}),
          ...(taskToken !== undefined ? { taskToken } : {}),
          languageCode: language.code,
        });
        // OpenAI: unless the window ended on a lone timestamp, the next window starts at the last word's end.
        if (!singleTimestampEnding) {
          const ends = current.flatMap((s) => (s.words ?? []).map((w) => w.end));
          const lastWordEnd = ends[ends.length - 1];
          if (lastWordEnd !== undefined && lastWordEnd > timeOffset) seek = Math.round(lastWordEnd * 100);
        }
      }
      for (const s of current) {
        if (s.start === s.end || s.text.trim() === '') {
          s.text = '';
          s.tokens = [];
          if (s.words) s.words = [];
        }
        s.id = segments.length;
        segments.push(s);
        allTokens.push(...s.tokens);
      }
      if (options.conditionOnPreviousText === false || result.temperature > 0.5) promptResetSince = allTokens.length;
      options.onProgress?.({
        processedSeconds: Math.min(duration, (seek * WHISPER_HOP_LENGTH) / WHISPER_SAMPLE_RATE),
        totalSeconds: duration,
      });
    }
    const kept = segments.filter((s) => s.text !== '');
    kept.forEach((s, i) => (s.id = i));
    const text = this.tokenizer.decode(allTokens.slice(initialPrompt.length));
    const out: WhisperTranscriptionResult = {
      text,
      task,
      language: language?.code ?? 'en',
      duration,
      segments: kept,
    };
    if (options.wordTimestamps) {
      out.words = kept.flatMap((s) => s.words ?? []);
      out.wordTimestampMethod = method;
    }
    return out;
  }

  /**
   * Transcribes several recordings, each with the result it gets alone: those of at most 30 s share batched encoder
   * runs and batched greedy decoder steps (see {@link WhisperBatchMode}), the rest go one by one.
   */
  transcribeBatch(
    inputs: readonly Float32Array[],
    options: WhisperDecodeOptions = {},
  ): Promise<WhisperTranscriptionResult[]> {
    return transcribeBatch(this, inputs, options);
  }

  /** Word timings by interpolation inside a segment (see {@link interpolateWords}). */
  interpolateWords(
    tokens: readonly number[],
    logprobs: readonly number[],
    start: number,
    end: number,
  ): TranscriptionWord[] {
    return interpolateWords(this.tokenizer, tokens, logprobs, start, end);
  }
}

/** The temperature ladder from the option. */
export function temperatures(option: number | readonly number[] | undefined): number[] {
  const list = option === undefined ? DEFAULT_TEMPERATURES : typeof option === 'number' ? [option] : [...option];
  if (list.length === 0 || list.some((t) => typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > 2)) {
    throw new InvalidArgumentError(
      `Expected temperature to be a number in [0, 2] or a non-empty list of them but received ${JSON.stringify(option)}.`,
      { details: { param: 'temperature' } },
    );
  }
  return list;
}

/** Frames `[seek, seek + 3000)` of a long log-mel, zero-filled past its end (OpenAI `pad_or_trim`). */
export function sliceFrames(mel: LogMel, seek: number): Float32Array {
  const out = new Float32Array(mel.nMels * WHISPER_CHUNK_FRAMES);
  const n = Math.max(0, Math.min(WHISPER_CHUNK_FRAMES, mel.nFrames - seek));
  for (let m = 0; m < mel.nMels; m++) {
    out.set(mel.data.subarray(m * mel.nFrames + seek, m * mel.nFrames + seek + n), m * WHISPER_CHUNK_FRAMES);
  }
  return out;
}
