import { invalidParameter } from '@llama-pajamas/run-core';
import { loadInWorkers } from '@llama-pajamas/run-core/workers';
import { onnxLoaderModule } from '@llama-pajamas/run-onnx';
import type { ModelRuntimeInfo } from '@llama-pajamas/run-server';
import type { CliRuntime, RuntimeBackendOf, RuntimeModelKind } from './runtime.js';

/** run-onnx's loader for each kind, which each worker calls on its own copy. */
const ONNX_LOADERS: Readonly<Record<RuntimeModelKind, string>> = {
  vision: 'loadVisionModel',
  stt: 'loadSpeechToText',
  tts: 'loadTextToSpeech',
};

/**
 * Checks a `workers` value (`--workers`, or a model's `"workers"` in the config file): an integer 0-64, where 0
 * means in the server's own thread. Throws `ERR_RUN_INVALID_ARGUMENT` otherwise.
 */
export function checkWorkers(value: unknown, where = 'workers'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 64) {
    throw invalidParameter(where, 'an integer from 0 (in-process) to 64', value);
  }
  return value;
}

/**
 * Checks a `threads` value (`--threads`, or `"threads"` in the config file, top-level or per model): an integer
 * 1-64. Throws `ERR_RUN_INVALID_ARGUMENT` otherwise.
 */
export function checkThreads(value: unknown, where = 'threads'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 64) {
    throw invalidParameter(where, 'an integer from 1 to 64', value);
  }
  return value;
}

/**
 * Loads an image or speech model in `workers` worker threads on onnxruntime (run-onnx's loader in each, with the
 * cli's per-model options as they are: `intraOpThreads` is then per worker). CoreML is refused: its sessions are
 * native objects of the main thread's addon.
 * @example
 * const { backend } = await loadInWorkerThreads('stt', 'models/whisper-tiny.en', { intraOpThreads: 1 }, 'onnx', 2);
 */
export async function loadInWorkerThreads<K extends RuntimeModelKind>(
  kind: K,
  path: string,
  options: Record<string, unknown>,
  runtime: CliRuntime,
  workers: number,
): Promise<{ backend: RuntimeBackendOf[K]; info: () => ModelRuntimeInfo }> {
  if (runtime !== 'onnx') {
    throw invalidParameter(
      'workers',
      `0 for a model on the ${runtime} runtime (worker threads host ONNX models)`,
      workers,
    );
  }
  const backend = await loadInWorkers(
    kind,
    { module: onnxLoaderModule(), export: ONNX_LOADERS[kind], path, options },
    { workers },
  );
  const providers = Array.isArray(options.executionProviders) ? (options.executionProviders as string[]) : ['cpu'];
  return {
    backend: backend as unknown as RuntimeBackendOf[K],
    info: () => ({ runtime: 'onnx', executionProviders: providers }),
  };
}
