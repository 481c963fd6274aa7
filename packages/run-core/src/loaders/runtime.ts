import { basename } from 'node:path';
import { invalidParameter } from '../errors.js';
import { resolveBackend } from '../registry.js';
import {
  MODEL_DTYPES,
  type Backend,
  type InferenceSession,
  type RuntimeFiles,
  type SessionOptions,
} from '../session.js';
import type { LoaderOptions } from './options.js';

/** A runtime picked for one load: the backend, how it names files, and the session options to open with. */
export interface LoaderRuntime {
  /** The registry name of the backend (`onnx`, `coreml`). */
  readonly name: string;
  readonly backend: Backend;
  readonly files: RuntimeFiles;
  /** Session options given to every {@link openSession}. */
  readonly session: SessionOptions;
  /** The dtype the caller asked for, if any. */
  readonly dtype?: LoaderOptions['dtype'];
}

/**
 * Picks the runtime for a load through the registry ({@link resolveBackend}) from `options.runtime` (a name or
 * names, in order; default: every registered runtime by priority). Throws `ERR_RUN_BACKEND_NOT_FOUND` when none
 * initialises, `ERR_RUN_INVALID_ARGUMENT` for a bad `runtime` or `dtype`.
 * @example
 * const runtime = await resolveRuntime({ runtime: 'onnx', session: { intraOpThreads: 2 } });
 * runtime.files.extensions; // ['.onnx']
 */
export async function resolveRuntime(options: LoaderOptions = {}): Promise<LoaderRuntime> {
  const { runtime, dtype, session = {} } = options;
  const hints = runtime === undefined ? [] : typeof runtime === 'string' ? [runtime] : runtime;
  if (!Array.isArray(hints) || hints.some((h) => typeof h !== 'string' || h.length === 0)) {
    throw invalidParameter('runtime', 'a runtime name or an array of names', runtime);
  }
  if (dtype !== undefined && !MODEL_DTYPES.includes(dtype)) {
    throw invalidParameter('dtype', MODEL_DTYPES.map((d) => `'${d}'`).join(', '), dtype);
  }
  const { name, backend } = await resolveBackend(hints);
  return { name, backend, files: backend.files, session, ...(dtype !== undefined ? { dtype } : {}) };
}

/** Opens one model file on the runtime, named after the file in the runtime's error messages. */
export function openSession(runtime: LoaderRuntime, file: string): Promise<InferenceSession> {
  return runtime.backend.createSession(file, { name: basename(file), ...runtime.session });
}
