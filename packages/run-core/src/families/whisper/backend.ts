import { loadAudio } from '../../audio/load.js';
import { invalidParameter } from '../../errors.js';
import { ModelLifecycle } from '../../backends/lifecycle.js';
import { STTBackend } from '../../backends/stt-backend.js';
import type {
  AudioInput,
  SpeechSegment,
  TranscribeOptions,
  TranscriptionEvent,
  TranscriptionResult,
} from '../../types/speech.js';
import { WHISPER_SAMPLE_RATE } from './log-mel.js';
import { SPEECH_PAD, transcribeChunks, type SpeechDetector, type StreamTranscriber } from './stream.js';
import type { WhisperDecodeOptions, WhisperPipeline, WhisperTranscriptionResult } from './transcribe.js';
import { SpeechTimeMap } from './word-times.js';

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
    return this.transcribeRegions(samples, await vad.detect(samples, WHISPER_SAMPLE_RATE, opts.signal), opts);
  }

  /** Transcribes the speech regions (VAD output, seconds) of 16 kHz samples: padded, glued, mapped back. */
  private async transcribeRegions(
    samples: Float32Array,
    speech: readonly SpeechSegment[],
    opts: WhisperTranscribeOptions,
  ): Promise<WhisperTranscriptionResult> {
    const { pipeline } = this.loaded;
    const duration = samples.length / WHISPER_SAMPLE_RATE;
    const regions = mergeRegions(speech, duration);
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
   * PCM chunks in, events out: each VAD-bounded stretch of speech is transcribed as soon as it ends (the VAD sees
   * each sample once, through its streaming detector), or every 30 s without VAD, giving `partial` (text so far)
   * and `segment` events, then one `final`.
   */
  async *transcribeStreaming(
    chunks: AsyncIterable<Float32Array>,
    options: WhisperTranscribeOptions & { sampleRate?: number } = {},
  ): AsyncIterable<TranscriptionEvent> {
    const { pipeline, vad } = this.loaded;
    const opts = { ...this.defaults, ...options };
    const rate = options.sampleRate ?? WHISPER_SAMPLE_RATE;
    if (!Number.isInteger(rate) || rate < 1000 || rate > 768000)
      throw invalidParameter('sampleRate', 'an integer in [1000, 768000] (Hz)', rate);
    const transcriber = (language: string | undefined): StreamTranscriber => {
      const o = { ...opts, ...(language ? { language } : {}) };
      return {
        transcribePlain: async (samples) => ({
          ...(await pipeline.transcribePcm(samples, o)),
          duration: samples.length / WHISPER_SAMPLE_RATE,
        }),
        transcribeRegions: (samples, regions) => this.transcribeRegions(samples, regions, o),
      };
    };
    yield* transcribeChunks(chunks, transcriber, opts.vad !== false && vad ? vad.createStream() : undefined, {
      sampleRate: rate,
      maxDurationSeconds: opts.maxDurationSeconds ?? 3 * 3600,
      ...(opts.language !== undefined ? { language: opts.language } : {}),
      ...(opts.task !== undefined ? { task: opts.task } : {}),
      ...(opts.wordTimestamps !== undefined ? { wordTimestamps: opts.wordTimestamps } : {}),
      ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    });
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

/** Pads VAD regions by {@link SPEECH_PAD} and merges the ones that then touch. */
function mergeRegions(regions: readonly SpeechSegment[], duration: number): SpeechSegment[] {
  const out: SpeechSegment[] = [];
  for (const r of [...regions].sort((a, b) => a.start - b.start)) {
    const start = Math.max(0, r.start - SPEECH_PAD);
    const end = Math.min(duration, r.end + SPEECH_PAD);
    if (end <= start) continue;
    const last = out[out.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else out.push({ start, end });
  }
  return out;
}
