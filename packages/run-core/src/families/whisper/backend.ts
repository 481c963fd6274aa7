import { loadAudio } from '../../audio/load.js';
import { invalidParameter } from '../../errors.js';
import { ModelLifecycle } from '../../backends/lifecycle.js';
import { STTBackend } from '../../backends/stt-backend.js';
import type { AudioInput, SpeechSegment, TranscribeOptions, TranscriptionEvent } from '../../types/speech.js';
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
    const glued = glueSpeech(samples, speech);
    if (!glued) return this.noSpeech(samples.length / WHISPER_SAMPLE_RATE, opts);
    return glued.mapBack(await pipeline.transcribePcm(glued.samples, opts));
  }

  /** The result of audio in which the VAD found no speech. */
  private noSpeech(duration: number, opts: WhisperTranscribeOptions): WhisperTranscriptionResult {
    return {
      text: '',
      task: opts.task ?? 'transcribe',
      language: opts.language ?? 'en',
      duration,
      segments: [],
      ...(opts.wordTimestamps ? { words: [], wordTimestampMethod: this.loaded.pipeline.wordTimestampMethod } : {}),
    };
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
   * Transcribes several recordings, each with exactly the result `transcribe` gives it alone. After VAD (when on),
   * the recordings whose speech fits one 30 s window share batched encoder runs and batched greedy decoder steps
   * (`pipeline.batchMode`: by default only where batched rows were checked to equal single runs bit for bit);
   * longer ones go one by one. Results are in input order.
   */
  override async batchTranscribe(
    audios: readonly AudioInput[],
    options: WhisperTranscribeOptions = {},
  ): Promise<WhisperTranscriptionResult[]> {
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
    pipeline.resolveLanguage(opts.language);
    const useVad = opts.vad !== false && vad !== undefined;
    // What each recording sends to the pipeline: all of it, its glued speech, or nothing (no speech found).
    const prepared: (GluedSpeech | { samples: Float32Array; mapBack?: undefined } | undefined)[] = [];
    for (const { samples } of pcms) {
      prepared.push(
        useVad ? glueSpeech(samples, await vad.detect(samples, WHISPER_SAMPLE_RATE, opts.signal)) : { samples },
      );
    }
    const todo = prepared.flatMap((p, i) => (p ? [i] : []));
    const results = await pipeline.transcribeBatch(
      todo.map((i) => (prepared[i] as { samples: Float32Array }).samples),
      opts,
    );
    const byInput = new Map(todo.map((i, k) => [i, results[k] as WhisperTranscriptionResult]));
    return pcms.map(({ samples }, i) => {
      const duration = samples.length / WHISPER_SAMPLE_RATE;
      const p = prepared[i];
      const r = byInput.get(i);
      if (!p || !r) return this.noSpeech(duration, opts);
      return p.mapBack ? p.mapBack(r) : { ...r, duration };
    });
  }
}

/** A recording's speech regions glued into one stretch, and how its times map back. */
interface GluedSpeech {
  samples: Float32Array;
  /** Moves segment and word times back onto the original audio and sets its duration. */
  mapBack(result: WhisperTranscriptionResult): WhisperTranscriptionResult;
}

/** Pads and merges VAD regions, glues their samples; undefined when nothing is left. */
function glueSpeech(samples: Float32Array, speech: readonly SpeechSegment[]): GluedSpeech | undefined {
  const duration = samples.length / WHISPER_SAMPLE_RATE;
  const regions = mergeRegions(speech, duration);
  if (regions.length === 0) return undefined;
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
  return {
    samples: glued,
    mapBack(result) {
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
    },
  };
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
