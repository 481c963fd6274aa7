import { loadAudio } from '../../audio/load.js';
import { resample } from '../../audio/resample.js';
import { AudioTooLongError, invalidParameter } from '../../errors.js';
import { ModelLifecycle } from '../../backends/lifecycle.js';
import { STTBackend } from '../../backends/stt-backend.js';
import type {
  AudioInput,
  SpeechSegment,
  TranscribeOptions,
  TranscriptionEvent,
  TranscriptionResult,
  TranscriptionSegment,
} from '../../types/speech.js';
import { WHISPER_SAMPLE_RATE } from './log-mel.js';
import type { WhisperPipeline, WhisperTranscriptionResult } from './transcribe.js';
import { SpeechTimeMap, type WhisperDecodeOptions } from './transcribe.js';

/** A voice activity detector the Whisper backend can use to skip silence (Silero VAD in run-onnx). */
export interface SpeechDetector {
  /** Speech regions of 16 kHz mono audio, in seconds. */
  detect(samples: Float32Array, sampleRate: number, signal?: AbortSignal): Promise<SpeechSegment[]>;
}

/** Options of `transcribe` on a Whisper backend: run-core's plus Whisper's decoding knobs. */
export type WhisperTranscribeOptions = TranscribeOptions &
  Omit<WhisperDecodeOptions, keyof TranscribeOptions> & {
    /** Longest input accepted, in seconds (default 3 hours); longer input throws `ERR_RUN_AUDIO_TOO_LONG`. */
    maxDurationSeconds?: number;
  };

/** What {@link WhisperLoader.open} returns: the pipeline, the VAD when there is one, and how to free them. */
export interface OpenedWhisper {
  pipeline: WhisperPipeline;
  vad?: SpeechDetector;
  /** Frees the sessions behind the pipeline and the VAD. */
  dispose(): Promise<void>;
}

/** What a runtime gives the Whisper backend: a way to open (and free) the pipeline. */
export interface WhisperLoader {
  open(): Promise<OpenedWhisper>;
}

/** Seconds of audio kept around each VAD region (so words are not clipped). */
const VAD_PAD = 0.2;

/**
 * Whisper as an {@link STTBackend}, on any runtime: the runtime package supplies sessions through a
 * {@link WhisperLoader}; this class does the audio handling, VAD, decoding, streaming and batching.
 * @example
 * const stt = await loadSpeechToText('models/whisper-tiny'); // run-onnx builds one of these
 * (await stt.transcribe('speech.wav')).text; // ' he was not an ill disposed young man'
 */
export class WhisperSpeechToText extends STTBackend {
  readonly modelId: string;
  private readonly lifecycle: ModelLifecycle<OpenedWhisper>;

  constructor(
    modelId: string,
    loader: WhisperLoader,
    private readonly defaults: WhisperTranscribeOptions = {},
  ) {
    super();
    this.modelId = modelId;
    this.lifecycle = new ModelLifecycle({ open: () => loader.open(), close: (l) => l.dispose() });
  }

  get isLoaded(): boolean {
    return this.lifecycle.isLoaded;
  }

  load(): Promise<void> {
    return this.lifecycle.load();
  }

  unload(): Promise<void> {
    return this.lifecycle.unload();
  }

  private get loaded(): OpenedWhisper {
    this.assertLoaded();
    return this.lifecycle.value as OpenedWhisper;
  }

  /** The loaded pipeline (throws `ERR_RUN_MODEL_NOT_LOADED` before `load()`). */
  get pipeline(): WhisperPipeline {
    return this.loaded.pipeline;
  }

  get supportedLanguages(): readonly string[] {
    return this.lifecycle.value?.pipeline.languages ?? [];
  }

  get canTranslate(): boolean {
    return this.lifecycle.value?.pipeline.config.isMultilingual ?? false;
  }

  async transcribe(audio: AudioInput, options: WhisperTranscribeOptions = {}): Promise<WhisperTranscriptionResult> {
    this.assertLoaded();
    const opts = { ...this.defaults, ...options };
    const pcm = await loadAudio(audio, {
      sampleRate: WHISPER_SAMPLE_RATE,
      ...(opts.maxDurationSeconds !== undefined ? { maxDurationSeconds: opts.maxDurationSeconds } : {}),
    });
    return this.transcribeSamples(pcm.samples, opts);
  }

  /** Transcribes 16 kHz mono samples (after decoding/resampling), with VAD when on and available. */
  async transcribeSamples(samples: Float32Array, opts: WhisperTranscribeOptions): Promise<WhisperTranscriptionResult> {
    const { pipeline, vad } = this.loaded;
    const duration = samples.length / WHISPER_SAMPLE_RATE;
    // Validate the language before any work so bad input fails fast.
    pipeline.resolveLanguage(opts.language);
    if (opts.vad === false || !vad) {
      return { ...(await pipeline.transcribePcm(samples, opts)), duration };
    }
    const regions = mergeRegions(await vad.detect(samples, WHISPER_SAMPLE_RATE, opts.signal), duration);
    if (regions.length === 0) {
      return {
        text: '',
        task: opts.task ?? 'transcribe',
        language: opts.language ?? 'en',
        duration,
        segments: [],
        ...(opts.wordTimestamps ? { words: [], wordTimestampMethod: pipeline.wordTimestampMethod } : {}),
      };
    }
    const parts = regions.map((r) =>
      samples.subarray(Math.floor(r.start * WHISPER_SAMPLE_RATE), Math.ceil(r.end * WHISPER_SAMPLE_RATE)),
    );
    const glued = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      glued.set(p, o);
      o += p.length;
    }
    const map = new SpeechTimeMap(regions);
    const result = await pipeline.transcribePcm(glued, opts);
    for (const s of result.segments) {
      s.start = map.toOriginal(s.start);
      s.end = map.toOriginal(s.end);
      for (const w of s.words ?? []) {
        w.start = map.toOriginal(w.start);
        w.end = map.toOriginal(w.end);
      }
    }
    if (result.words) result.words = result.segments.flatMap((s) => s.words ?? []);
    return { ...result, duration };
  }

  /**
   * PCM chunks in, events out: each VAD-bounded stretch of speech is transcribed as soon as it ends (or when 30 s
   * have piled up without VAD), giving `partial` (text so far) and `segment` events, then one `final`.
   */
  async *transcribeStreaming(
    chunks: AsyncIterable<Float32Array>,
    options: WhisperTranscribeOptions & { sampleRate?: number } = {},
  ): AsyncIterable<TranscriptionEvent> {
    this.assertLoaded();
    const opts = { ...this.defaults, ...options };
    const rate = options.sampleRate ?? WHISPER_SAMPLE_RATE;
    if (!Number.isInteger(rate) || rate < 1000 || rate > 768000)
      throw invalidParameter('sampleRate', 'an integer in [1000, 768000] (Hz)', rate);
    const { vad } = this.loaded;
    const useVad = opts.vad !== false && vad !== undefined;
    const maxSeconds = opts.maxDurationSeconds ?? 3 * 3600;
    let buffer = new Float32Array(0);
    let bufferStart = 0; // seconds of audio already consumed
    let total = 0;
    const segments: TranscriptionSegment[] = [];
    let language = opts.language;
    const texts: string[] = [];
    const emit = async function* (this: WhisperSpeechToText, upTo: number, final: boolean) {
      const piece = buffer.subarray(0, upTo);
      if (piece.length > 0) {
        const r = await this.transcribeSamples(piece, { ...opts, ...(language ? { language } : {}) });
        language ??= r.language;
        for (const s of r.segments) {
          const seg = {
            ...s,
            id: segments.length,
            start: round2(s.start + bufferStart),
            end: round2(s.end + bufferStart),
          };
          if (seg.words)
            seg.words = seg.words.map((w) => ({
              ...w,
              start: round2(w.start + bufferStart),
              end: round2(w.end + bufferStart),
            }));
          segments.push(seg);
          texts.push(seg.text);
          yield { type: 'segment', segment: seg } as TranscriptionEvent;
        }
        if (r.segments.length > 0) yield { type: 'partial', text: texts.join('') } as TranscriptionEvent;
      }
      bufferStart += upTo / WHISPER_SAMPLE_RATE;
      buffer = buffer.slice(upTo);
      void final;
    };
    let sinceCheck = 0;
    for await (const chunk of chunks) {
      if (!(chunk instanceof Float32Array))
        throw invalidParameter('chunk', 'a Float32Array of mono PCM samples', chunk);
      const pcm = rate === WHISPER_SAMPLE_RATE ? chunk : resample(chunk, rate, WHISPER_SAMPLE_RATE);
      total += pcm.length;
      if (total / WHISPER_SAMPLE_RATE > maxSeconds) {
        throw new AudioTooLongError(
          `The stream passed ${maxSeconds} s of audio, the limit. End the stream sooner or raise maxDurationSeconds.`,
          { details: { maxDurationSeconds: maxSeconds } },
        );
      }
      const next = new Float32Array(buffer.length + pcm.length);
      next.set(buffer);
      next.set(pcm, buffer.length);
      buffer = next;
      sinceCheck += pcm.length;
      if (useVad && sinceCheck >= WHISPER_SAMPLE_RATE / 2) {
        sinceCheck = 0;
        const regions = await vad.detect(buffer, WHISPER_SAMPLE_RATE, opts.signal);
        const seconds = buffer.length / WHISPER_SAMPLE_RATE;
        // A region that ended at least 0.5 s before the buffer's end is complete: cut after it.
        const done = regions.filter((r) => r.end < seconds - 0.5);
        const last = done[done.length - 1];
        if (last)
          yield* emit.call(this, Math.min(buffer.length, Math.ceil((last.end + VAD_PAD) * WHISPER_SAMPLE_RATE)), false);
        else if (regions.length === 0 && seconds > 30) {
          // Only silence so far: drop all but the last second.
          bufferStart += seconds - 1;
          buffer = buffer.slice(buffer.length - WHISPER_SAMPLE_RATE);
        }
      } else if (!useVad && buffer.length >= 30 * WHISPER_SAMPLE_RATE) {
        yield* emit.call(this, 30 * WHISPER_SAMPLE_RATE, false);
      }
      if (buffer.length > 60 * WHISPER_SAMPLE_RATE) yield* emit.call(this, buffer.length, false);
    }
    yield* emit.call(this, buffer.length, true);
    const result: TranscriptionResult = {
      text: texts.join(''),
      task: opts.task ?? 'transcribe',
      language: language ?? 'en',
      duration: round2(total / WHISPER_SAMPLE_RATE),
      segments,
    };
    if (opts.wordTimestamps) result.words = segments.flatMap((s) => s.words ?? []);
    yield { type: 'final', result };
  }

  /**
   * Transcribes several recordings. Inputs of at most 30 s (after VAD is off) share one batched encoder run when
   * the encoder has a dynamic batch dim; longer ones go through `transcribe`. Results are in input order.
   */
  override async batchTranscribe(
    audios: readonly AudioInput[],
    options: WhisperTranscribeOptions = {},
  ): Promise<TranscriptionResult[]> {
    this.assertLoaded();
    const opts = { ...this.defaults, ...options };
    const { pipeline, vad } = this.loaded;
    const pcms = await Promise.all(
      audios.map((a) =>
        loadAudio(a, {
          sampleRate: WHISPER_SAMPLE_RATE,
          ...(opts.maxDurationSeconds !== undefined ? { maxDurationSeconds: opts.maxDurationSeconds } : {}),
        }),
      ),
    );
    const batchable = pipeline.runner.encoderBatchable && (opts.vad === false || !vad);
    if (!batchable) {
      const out: TranscriptionResult[] = [];
      for (const p of pcms) out.push(await this.transcribeSamples(p.samples, opts));
      return out;
    }
    return pipeline.transcribeBatch(
      pcms.map((p) => p.samples),
      opts,
    );
  }
}

/** Pads VAD regions by {@link VAD_PAD} and merges the ones that then touch. */
function mergeRegions(regions: readonly SpeechSegment[], duration: number): SpeechSegment[] {
  const out: SpeechSegment[] = [];
  for (const r of [...regions].sort((a, b) => a.start - b.start)) {
    const start = Math.max(0, r.start - VAD_PAD);
    const end = Math.min(duration, r.end + VAD_PAD);
    if (end <= start) continue;
    const last = out[out.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else out.push({ start, end });
  }
  return out;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
