import {
  listBackends,
  loadSpeechToText as loadSpeechToTextOn,
  loadTextToSpeech as loadTextToSpeechOn,
  loadVad as loadVadOn,
  loadVisionModel as loadVisionModelOn,
  registerBackend,
  type FamilyVisionBackend,
  type LoaderOptions,
  type PiperLoaderOptions,
  type PiperTTS,
  type SileroVad,
  type VadLoaderOptions,
  type VisionLoaderOptions,
  type WhisperLoaderOptions,
  type WhisperSpeechToText,
} from '@llama-pajamas/run-core';
import { coremlBackend } from './backend.js';
import type { CoreMLSessionOptions } from './session.js';

/** Registers {@link coremlBackend} as `coreml` (priority 200) unless a backend of that name is registered. */
export function registerCoreMLBackend(): 'coreml' {
  if (!listBackends().includes('coreml')) registerBackend('coreml', coremlBackend, 200);
  return 'coreml';
}

/** What every run-coreml loader takes beside its family's options: CoreML session options for every file. */
export interface CoreMLLoaderSessionOptions {
  readonly session?: CoreMLSessionOptions;
  /** Shorthand for `session.computeUnits`. */
  readonly computeUnits?: CoreMLSessionOptions['computeUnits'];
}

/** Options of {@link loadVisionModel}: the vision options, and CoreML session options for every file. */
export interface LoadCoreMLVisionModelOptions
  extends Omit<VisionLoaderOptions, 'runtime' | 'session'>, CoreMLLoaderSessionOptions {}

/** Options of {@link loadSpeechToText}: the Whisper options (`vad`: a CoreML Silero VAD), CoreML session options. */
export interface LoadCoreMLSpeechToTextOptions
  extends Omit<WhisperLoaderOptions, 'runtime' | 'session'>, CoreMLLoaderSessionOptions {}

/** Options of {@link loadTextToSpeech}: the Piper options and CoreML session options. */
export interface LoadCoreMLTextToSpeechOptions
  extends Omit<PiperLoaderOptions, 'runtime' | 'session'>, CoreMLLoaderSessionOptions {}

/** Options of {@link loadVad}: the VAD options and CoreML session options. */
export interface LoadCoreMLVadOptions
  extends Omit<VadLoaderOptions, 'runtime' | 'session'>, CoreMLLoaderSessionOptions {}

/** A run-coreml loader's options as run-core's: `runtime: 'coreml'` and `computeUnits` folded into `session`. */
function onCoreML<T extends CoreMLLoaderSessionOptions>(
  options: T,
): Omit<T, 'session' | 'computeUnits'> & Pick<LoaderOptions, 'runtime' | 'session'> {
  const { session, computeUnits, ...rest } = options;
  return {
    ...rest,
    runtime: registerCoreMLBackend(),
    session: { ...session, ...(computeUnits ? { computeUnits } : {}) },
  };
}

/**
 * Loads an image model on CoreML (run-core's `loadVisionModel` with `runtime: 'coreml'`): a YOLO `.mlpackage`,
 * or a Hugging Face classifier / CLIP folder whose model files are `.mlpackage` / `.mlmodelc` (named as the
 * converters write them). Off macOS it rejects with `ERR_RUN_BACKEND_NOT_FOUND`, whose message says why CoreML
 * cannot run; use run-onnx's `loadVisionModel` there.
 * @example
 * const yolo = await loadVisionModel('models/yolov8n.mlpackage', { computeUnits: 'cpuAndNeuralEngine' });
 * const { detections } = await yolo.detect('dog.jpg');
 */
export function loadVisionModel(
  path: string,
  options: LoadCoreMLVisionModelOptions = {},
): Promise<FamilyVisionBackend> {
  return loadVisionModelOn(path, onCoreML(options));
}

/**
 * Loads a Whisper folder converted to CoreML (`encoder_model.mlpackage` + `decoder_model_merged.mlpackage` or
 * `decoder_model.mlpackage`, with the Optimum configs and tokenizer.json) on CoreML: run-core's
 * `loadSpeechToText` with `runtime: 'coreml'`. Every file of one load runs on the same runtime; `vad` is the path
 * of a CoreML Silero VAD (an ONNX one needs run-onnx). Off macOS it rejects with `ERR_RUN_BACKEND_NOT_FOUND`.
 * @example
 * const stt = await loadSpeechToText('models/whisper-tiny.en-coreml', { computeUnits: 'cpuAndNeuralEngine' });
 * const { text } = await stt.transcribe('meeting.wav');
 */
export function loadSpeechToText(
  path: string,
  options: LoadCoreMLSpeechToTextOptions = {},
): Promise<WhisperSpeechToText> {
  return loadSpeechToTextOn(path, onCoreML(options));
}

/**
 * Loads a Piper voice converted to CoreML (`<name>.mlpackage` next to `<name>.onnx.json`; pass the folder) on
 * CoreML: run-core's `loadTextToSpeech` with `runtime: 'coreml'`. Off macOS it rejects with
 * `ERR_RUN_BACKEND_NOT_FOUND`.
 * @example
 * const tts = await loadTextToSpeech('voices/en_US-joe-medium-coreml/', { computeUnits: 'cpuAndGpu' });
 * const { samples, sampleRate } = await tts.synthesize('Hello there.');
 */
export function loadTextToSpeech(path: string, options: LoadCoreMLTextToSpeechOptions = {}): Promise<PiperTTS> {
  return loadTextToSpeechOn(path, onCoreML(options));
}

/**
 * Loads a Silero VAD converted to CoreML (a folder holding one `.mlpackage` / `.mlmodelc`, or an `.mlmodel` file)
 * on CoreML: run-core's `loadVad` with `runtime: 'coreml'`. Off macOS it rejects with `ERR_RUN_BACKEND_NOT_FOUND`.
 * @example
 * const vad = await loadVad('models/silero-vad-coreml/', { computeUnits: 'cpuOnly' });
 * await vad.detectSpeech('talk.wav'); // [{ start: 1.986, end: 9.118 }]
 */
export function loadVad(path: string, options: LoadCoreMLVadOptions = {}): Promise<SileroVad> {
  return loadVadOn(path, onCoreML(options));
}
