import { ModelLifecycle } from '../backends/lifecycle.js';
import { ModelNotLoadedError } from '../errors.js';
import type { ModelBackend } from '../backends/model-backend.js';
import { STTBackend } from '../backends/stt-backend.js';
import { TTSBackend } from '../backends/tts-backend.js';
import { VisionBackend, type VisionCapabilities } from '../backends/vision-backend.js';
import type {
  AudioInput,
  SpeechChunk,
  SpeechResult,
  SynthesizeOptions,
  TranscribeOptions,
  TranscriptionEvent,
  TranscriptionResult,
} from '../types/speech.js';
import type {
  ClassificationResult,
  ClassifyOptions,
  DetectionResult,
  DetectOptions,
  EmbeddingResult,
  EmbedOptions,
  ImageInput,
  TextInput,
  VisionModelType,
} from '../types/vision.js';
import { WorkerPool, type WorkerPoolOptions, type WorkerPoolStats } from './pool.js';
import type { HostedInfo, HostedKind, WorkerLoadSpec } from './protocol.js';

/** A worker-hosted backend's pool and load state (made by {@link loadInWorkers}). */
export class WorkerHost {
  readonly life: ModelLifecycle<WorkerPool>;
  constructor(
    readonly kind: HostedKind,
    readonly spec: WorkerLoadSpec,
    readonly options: WorkerPoolOptions,
    initial: WorkerPool,
  ) {
    this.life = new ModelLifecycle<WorkerPool>({
      open: () => WorkerPool.start(kind, spec, options),
      close: (pool) => pool.terminate(),
      initial,
    });
  }

  get pool(): WorkerPool | undefined {
    return this.life.value;
  }

  /** The pool, or `ERR_RUN_MODEL_NOT_LOADED` after `unload()`. */
  running(modelId: string): WorkerPool {
    const pool = this.life.value;
    if (pool === undefined) {
      throw new ModelNotLoadedError(`Model '${modelId}' is not loaded. Call load() first.`, {
        details: { model: modelId },
      });
    }
    return pool;
  }
}

function field<T>(info: HostedInfo, name: string): T {
  return info.fields[name] as T;
}

const hosts = new WeakMap<ModelBackend, WorkerHost>();

/** A Whisper (or other) speech-to-text model hosted in worker threads: each call runs whole on one worker. */
export class WorkerSpeechToText extends STTBackend {
  readonly modelId: string;
  readonly supportedLanguages: readonly string[];
  readonly canTranslate: boolean;
  readonly #host: WorkerHost;

  /** Made by {@link loadInWorkers}. */
  constructor(host: WorkerHost) {
    super();
    const info = (host.pool as WorkerPool).info;
    this.#host = host;
    this.modelId = info.modelId;
    this.supportedLanguages = field(info, 'supportedLanguages');
    this.canTranslate = field(info, 'canTranslate');
    hosts.set(this, host);
  }

  get isLoaded(): boolean {
    return this.#host.life.isLoaded;
  }
  load(): Promise<void> {
    return this.#host.life.load();
  }
  unload(): Promise<void> {
    return this.#host.life.unload();
  }

  /** Transcribes on an idle worker (the audio is copied to it). */
  transcribe(audio: AudioInput, options?: TranscribeOptions): Promise<TranscriptionResult> {
    return this.#host.running(this.modelId).call('transcribe', [audio, options]);
  }

  /** Transcribes streamed chunks on one worker; chunks are sent as it asks for them. */
  transcribeStreaming(
    chunks: AsyncIterable<Float32Array>,
    options?: TranscribeOptions & { sampleRate?: number },
  ): AsyncIterable<TranscriptionEvent> {
    return this.#host.running(this.modelId).stream('transcribeStreaming', [chunks, options]);
  }

  /** Transcribes several recordings on one worker (its own `batchTranscribe`, batched or not as in-process). */
  override batchTranscribe(audios: readonly AudioInput[], options?: TranscribeOptions): Promise<TranscriptionResult[]> {
    return this.#host.running(this.modelId).call('batchTranscribe', [audios, options]);
  }
}

/** A text-to-speech voice hosted in worker threads. */
export class WorkerTextToSpeech extends TTSBackend {
  readonly modelId: string;
  readonly sampleRate: number;
  readonly numSpeakers: number;
  readonly speakerNames: readonly string[];
  readonly #host: WorkerHost;

  /** Made by {@link loadInWorkers}. */
  constructor(host: WorkerHost) {
    super();
    const info = (host.pool as WorkerPool).info;
    this.#host = host;
    this.modelId = info.modelId;
    this.sampleRate = field(info, 'sampleRate');
    this.numSpeakers = field(info, 'numSpeakers');
    this.speakerNames = field(info, 'speakerNames');
    hosts.set(this, host);
  }

  get isLoaded(): boolean {
    return this.#host.life.isLoaded;
  }
  load(): Promise<void> {
    return this.#host.life.load();
  }
  unload(): Promise<void> {
    return this.#host.life.unload();
  }

  /** Speaks on an idle worker (the samples are moved back, not copied). */
  synthesize(text: string, options?: SynthesizeOptions): Promise<SpeechResult> {
    return this.#host.running(this.modelId).call('synthesize', [text, options]);
  }

  /** Speaks sentence by sentence on one worker; chunks come as they are ready. */
  synthesizeStreaming(text: string, options?: SynthesizeOptions): AsyncIterable<SpeechChunk> {
    return this.#host.running(this.modelId).stream('synthesizeStreaming', [text, options]);
  }

  /** Speaks several texts on one worker. */
  override batchSynthesize(texts: readonly string[], options?: SynthesizeOptions): Promise<SpeechResult[]> {
    return this.#host.running(this.modelId).call('batchSynthesize', [texts, options]);
  }
}

/** A vision model hosted in worker threads. */
export class WorkerVisionModel extends VisionBackend {
  readonly modelId: string;
  readonly modelType: VisionModelType;
  readonly capabilities: VisionCapabilities;
  readonly labels: readonly string[];
  readonly #host: WorkerHost;

  /** Made by {@link loadInWorkers}. */
  constructor(host: WorkerHost) {
    super();
    const info = (host.pool as WorkerPool).info;
    this.#host = host;
    this.modelId = info.modelId;
    this.modelType = field(info, 'modelType');
    this.capabilities = field(info, 'capabilities');
    this.labels = field(info, 'labels');
    hosts.set(this, host);
  }

  get isLoaded(): boolean {
    return this.#host.life.isLoaded;
  }
  load(): Promise<void> {
    return this.#host.life.load();
  }
  unload(): Promise<void> {
    return this.#host.life.unload();
  }

  /** Detects on an idle worker. */
  override detect(image: ImageInput, options?: DetectOptions): Promise<DetectionResult> {
    return this.#host.running(this.modelId).call('detect', [image, options]);
  }
  /** Classifies on an idle worker. */
  override classify(
    image: ImageInput,
    options?: ClassifyOptions & { labels?: readonly string[] },
  ): Promise<ClassificationResult> {
    return this.#host.running(this.modelId).call('classify', [image, options]);
  }
  /** Embeds on an idle worker. */
  override embed(input: ImageInput | TextInput, options?: EmbedOptions): Promise<EmbeddingResult> {
    return this.#host.running(this.modelId).call('embed', [input, options]);
  }
  /** Detects in several images on one worker (one batched run where the model has a batch dim). */
  override batchDetect(images: readonly ImageInput[], options?: DetectOptions): Promise<DetectionResult[]> {
    return this.#host.running(this.modelId).call('batchDetect', [images, options]);
  }
  /** Classifies several images on one worker. */
  override batchClassify(
    images: readonly ImageInput[],
    options?: ClassifyOptions & { labels?: readonly string[] },
  ): Promise<ClassificationResult[]> {
    return this.#host.running(this.modelId).call('batchClassify', [images, options]);
  }
  /** Embeds several inputs on one worker. */
  override batchEmbed(inputs: readonly (ImageInput | TextInput)[], options?: EmbedOptions): Promise<EmbeddingResult[]> {
    return this.#host.running(this.modelId).call('batchEmbed', [inputs, options]);
  }
}

/** The backend class {@link loadInWorkers} returns for each kind. */
export interface WorkerBackendOf {
  stt: WorkerSpeechToText;
  tts: WorkerTextToSpeech;
  vision: WorkerVisionModel;
}

/**
 * Loads a model in `options.workers` worker threads, each with its own copy opened by `spec.export` of
 * `spec.module` (for example run-onnx's `loadSpeechToText`, which registers its runtime in the worker), and returns
 * a backend of the kind (`instanceof STTBackend` etc.) whose calls run whole on an idle worker, so that N calls
 * overlap and the main thread's event loop stays free. Load errors are the loader's own (same class and code).
 * @example
 * const stt = await loadInWorkers('stt', { module: import.meta.resolve('@llama-pajamas/run-onnx'),
 *   export: 'loadSpeechToText', path: 'models/whisper-tiny.en', options: { intraOpThreads: 1 } }, { workers: 2 });
 * await Promise.all([stt.transcribe(a), stt.transcribe(b)]); // on two threads at once
 */
export async function loadInWorkers<K extends HostedKind>(
  kind: K,
  spec: WorkerLoadSpec,
  options: WorkerPoolOptions,
): Promise<WorkerBackendOf[K]> {
  const pool = await WorkerPool.start(kind, spec, options);
  const host = new WorkerHost(kind, spec, options, pool);
  const make = { stt: WorkerSpeechToText, tts: WorkerTextToSpeech, vision: WorkerVisionModel }[kind];
  return new make(host) as WorkerBackendOf[K];
}

/** The worker pool's figures of a backend made by {@link loadInWorkers} (undefined for any other backend). */
export function hostedWorkers(backend: ModelBackend): WorkerPoolStats | undefined {
  const host = hosts.get(backend);
  if (!host) return undefined;
  return host.pool?.stats ?? { workers: 0, busy: 0, queued: 0, restarts: 0 };
}

/** The worker count a backend made by {@link loadInWorkers} was started with (undefined for any other). */
export function hostedWorkerCount(backend: ModelBackend): number | undefined {
  return hosts.get(backend)?.options.workers;
}
