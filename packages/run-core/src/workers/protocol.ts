import type { WireError } from './wire.js';

/** The kinds of model a worker can host. */
export type HostedKind = 'stt' | 'tts' | 'vision';

/** How a worker loads its copy of the model: `module`'s export `export` called as `(path, options)`. */
export interface WorkerLoadSpec {
  /** URL (`file:`) or absolute path of an ES module that the worker imports (a runtime package's entry). */
  readonly module: string;
  /** The loader to call, for example run-onnx's `loadSpeechToText`. */
  readonly export: string;
  /** The model path given to the loader. */
  readonly path: string;
  /** The loader's options: plain data only (they are copied to the worker). */
  readonly options?: object;
}

/** What a worker sends once its model is loaded: the backend's public read-only fields. */
export interface HostedInfo {
  readonly modelId: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Marks an option that was a function: the worker calls back with its name. */
export interface CallbackMarker {
  readonly __callback: string;
}

/** Main thread → worker. */
export type ToWorker =
  | { type: 'call'; id: number; method: string; args: unknown[]; stream: boolean; signal: boolean }
  | { type: 'abort'; id: number; reason?: WireError }
  | { type: 'chunk'; id: number; value: unknown }
  | { type: 'end'; id: number }
  | { type: 'input-error'; id: number; error: WireError }
  | { type: 'ack'; id: number };

/** Worker → main thread. */
export type FromWorker =
  | { type: 'ready'; info: HostedInfo }
  | { type: 'load-error'; error: WireError }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: WireError }
  | { type: 'item'; id: number; value: unknown }
  | { type: 'done'; id: number }
  | { type: 'callback'; id: number; name: string; args: unknown[] }
  | { type: 'need'; id: number };

/** What each kind's backend exposes as fields, copied once at load. */
export const HOSTED_FIELDS: Readonly<Record<HostedKind, readonly string[]>> = {
  stt: ['supportedLanguages', 'canTranslate'],
  tts: ['sampleRate', 'numSpeakers', 'speakerNames'],
  vision: ['modelType', 'capabilities', 'labels'],
};

/** Methods whose first argument is an async iterable of input chunks (sent along as they come). */
export const STREAM_INPUT_METHODS: readonly string[] = ['transcribeStreaming'];

/** Events a streaming call may send before the main thread has taken them (backpressure window). */
export const STREAM_WINDOW = 4;
