import { BackendNotFoundError, invalidParameter } from './errors.js';
import { MODEL_DTYPES, type Backend, type RuntimeFiles } from './session.js';

interface BackendEntry {
  backend: Backend;
  priority: number;
  initPromise?: Promise<void>;
  initialized?: boolean;
  aborted?: boolean;
  error?: string;
}

const backends = new Map<string, BackendEntry>();
const backendsSortedByPriority: string[] = [];

const isStrings = (v: unknown): v is readonly string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Throws when a backend's `files` cannot name model files (an extension list, suffixes for every dtype). */
function checkRuntimeFiles(files: RuntimeFiles | undefined): void {
  const exts = files?.extensions;
  if (!isStrings(exts) || exts.length === 0 || exts.some((e) => !/^\.[\w.]+$/.test(e))) {
    throw invalidParameter('backend.files.extensions', "a non-empty array of extensions such as ['.onnx']", exts);
  }
  for (const dtype of MODEL_DTYPES) {
    const suffixes = files?.dtypeSuffixes?.[dtype];
    if (!isStrings(suffixes)) {
      throw invalidParameter(
        `backend.files.dtypeSuffixes.${dtype}`,
        "an array of file-stem suffixes such as ['_fp16']",
        suffixes,
      );
    }
  }
  const preference = files?.dtypePreference;
  if (!isStrings(preference) || preference.length === 0 || preference.some((d) => !MODEL_DTYPES.includes(d))) {
    throw invalidParameter(
      'backend.files.dtypePreference',
      `a non-empty array of ${MODEL_DTYPES.join(', ')}`,
      preference,
    );
  }
}

/**
 * Registers a runtime under a name. A higher priority is tried first when no hints are given.
 * Registering the same backend object again only updates its priority.
 * @example
 * registerBackend('onnx', onnxBackend, 100);
 * registerBackend('coreml', coremlBackend, 200); // preferred where it works
 */
export function registerBackend(name: string, backend: Backend, priority: number): void {
  if (typeof name !== 'string' || name.length === 0) throw invalidParameter('name', 'a non-empty string', name);
  if (typeof backend?.init !== 'function' || typeof backend.createSession !== 'function') {
    throw invalidParameter('backend', 'an object with init() and createSession()', backend);
  }
  checkRuntimeFiles(backend.files);
  if (!Number.isFinite(priority)) throw invalidParameter('priority', 'a finite number', priority);
  const existing = backends.get(name);
  if (existing !== undefined && existing.backend !== backend) {
    throw new BackendNotFoundError(`A different backend is already registered as '${name}'.`, { details: { name } });
  }
  if (existing !== undefined) {
    existing.priority = priority;
  } else {
    backends.set(name, { backend, priority });
  }
  const index = backendsSortedByPriority.indexOf(name);
  if (index !== -1) backendsSortedByPriority.splice(index, 1);
  const insertAt = backendsSortedByPriority.findIndex((other) => (backends.get(other)?.priority ?? 0) < priority);
  backendsSortedByPriority.splice(insertAt === -1 ? backendsSortedByPriority.length : insertAt, 0, name);
}

/** Names of the registered backends, highest priority first. */
export function listBackends(): string[] {
  return [...backendsSortedByPriority];
}

/** Removes a backend (for tests and hot-reload); returns whether it was registered. */
export function unregisterBackend(name: string): boolean {
  const index = backendsSortedByPriority.indexOf(name);
  if (index !== -1) backendsSortedByPriority.splice(index, 1);
  return backends.delete(name);
}

/** The name and instance of the backend that {@link resolveBackend} picked. */
export interface ResolvedBackend {
  name: string;
  backend: Backend;
}

/**
 * Returns the first backend, in hint order (or by priority when `hints` is empty), whose `init()` succeeds.
 * `init()` runs once per backend; a failure is remembered. If none works, throws one
 * {@link BackendNotFoundError} that lists every candidate and why it failed.
 * @example
 * const { name } = await resolveBackend(['coreml', 'onnx']);
 * // 'onnx' on Linux; the error for coreml is kept in case onnx fails too
 */
export async function resolveBackend(hints: readonly string[] = []): Promise<ResolvedBackend> {
  const names = hints.length > 0 ? hints : backendsSortedByPriority;
  const errors: string[] = [];
  for (const name of names) {
    const entry = backends.get(name);
    if (entry === undefined) {
      errors.push(`[${name}] not registered`);
      continue;
    }
    if (entry.initialized) return { name, backend: entry.backend };
    if (entry.aborted) {
      errors.push(`[${name}] ${entry.error ?? 'failed to initialize'}`);
      continue;
    }
    entry.initPromise ??= entry.backend.init(name);
    try {
      await entry.initPromise;
      entry.initialized = true;
      return { name, backend: entry.backend };
    } catch (e) {
      entry.aborted = true;
      entry.error = e instanceof Error ? e.message : String(e);
      errors.push(`[${name}] ${entry.error}`);
    }
  }
  const list = errors.length > 0 ? errors.join(', ') : 'no backend is registered';
  throw new BackendNotFoundError(`no available backend found. ERR: ${list}`, { details: { tried: [...names] } });
}
