import {
  loadTextToSpeech as loadTextToSpeechOn,
  type PiperLoaderOptions,
  type PiperTTS,
} from '@llama-pajamas/run-core';
import { registerOnnxBackend } from '../backend.js';
import type { OnnxSessionOptions } from '../session.js';
import { splitSessionOptions } from '../split-session-options.js';

/** Options of {@link loadTextToSpeech}: ONNX session options and the voice options (`modelId`, `load`, `inference`…). */
export interface LoadTextToSpeechOptions
  extends Omit<OnnxSessionOptions, 'name'>, Omit<PiperLoaderOptions, 'runtime' | 'session'> {}

/**
 * Opens a Piper voice (`<name>.onnx` + `<name>.onnx.json`; `path` may be either file or their folder) on
 * onnxruntime (run-core's `loadTextToSpeech` with `runtime: 'onnx'`) and returns a {@link PiperTTS}. Phonemes
 * come from espeak-ng through the optional `espeak-ng` package (GPL-3.0-or-later): install it to speak with
 * espeak voices.
 * @example
 * const tts = await loadTextToSpeech('voices/en_US-joe-medium.onnx');
 * const { samples, sampleRate } = await tts.synthesize('Hello there.');
 * // { samples: Float32Array(24064), sampleRate: 22050 }
 */
export function loadTextToSpeech(path: string, options: LoadTextToSpeechOptions = {}): Promise<PiperTTS> {
  const { session, rest } = splitSessionOptions(options);
  return loadTextToSpeechOn(path, { ...rest, runtime: registerOnnxBackend(), session });
}
