import {
  loadInWorkers,
  type WorkerSpeechToText,
  type WorkerTextToSpeech,
  type WorkerVisionModel,
} from '@llama-pajamas/run-core/workers';
import type { LoadSpeechToTextOptions } from './speech/whisper.js';
import type { LoadTextToSpeechOptions } from './speech/tts.js';
import type { LoadVisionModelOptions } from './vision/load-vision-model.js';

/** Options of the `load*InWorkers` functions: the loader's own (plain data: they are copied to each worker). */
export interface InWorkersOptions {
  /** Worker threads, each with its own copy of the model and sessions of `intraOpThreads` threads (1-64). */
  readonly workers: number;
}

/** The URL of this package's entry, which each worker imports to load its copy (the same file, source or built). */
export function onnxLoaderModule(): string {
  return new URL(new URL(import.meta.url).pathname.endsWith('.ts') ? './index.ts' : './index.js', import.meta.url).href;
}

/**
 * {@link loadSpeechToText} in `workers` worker threads: transcriptions run whole on an idle worker, so that
 * concurrent calls overlap and the event loop stays free while they run.
 * @example
 * const stt = await loadSpeechToTextInWorkers('models/whisper-tiny.en', { workers: 2, intraOpThreads: 1 });
 * const [a, b] = await Promise.all([stt.transcribe('a.wav'), stt.transcribe('b.wav')]);
 */
export function loadSpeechToTextInWorkers(
  path: string,
  { workers, ...options }: LoadSpeechToTextOptions & InWorkersOptions,
): Promise<WorkerSpeechToText> {
  return loadInWorkers('stt', { module: onnxLoaderModule(), export: 'loadSpeechToText', path, options }, { workers });
}

/** {@link loadTextToSpeech} in `workers` worker threads (one voice copy each). */
export function loadTextToSpeechInWorkers(
  path: string,
  { workers, ...options }: LoadTextToSpeechOptions & InWorkersOptions,
): Promise<WorkerTextToSpeech> {
  return loadInWorkers('tts', { module: onnxLoaderModule(), export: 'loadTextToSpeech', path, options }, { workers });
}

/** {@link loadVisionModel} in `workers` worker threads (one session copy each). */
export function loadVisionModelInWorkers(
  path: string,
  { workers, ...options }: LoadVisionModelOptions & InWorkersOptions,
): Promise<WorkerVisionModel> {
  return loadInWorkers('vision', { module: onnxLoaderModule(), export: 'loadVisionModel', path, options }, { workers });
}
