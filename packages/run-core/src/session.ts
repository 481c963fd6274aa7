import type { Tensor, TensorInfo } from './tensor.js';

/** Per-call options for {@link InferenceSession.run}. */
export interface RunOptions {
  /** Only fetch these outputs (default: all). */
  readonly outputNames?: readonly string[];
  /** Cancels the wait; a runtime that cannot interrupt a running graph rejects as soon as it returns. */
  readonly signal?: AbortSignal;
}

/**
 * What a runtime must provide: run a model on named tensors. `run-onnx` and `run-coreml` implement it;
 * every model family in run-core talks to models only through it.
 */
export interface InferenceSession extends AsyncDisposable {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** Model metadata (ONNX `metadata_props`, CoreML user-defined metadata). Empty when the model has none. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Runs the model once. */
  run(feeds: Record<string, Tensor>, options?: RunOptions): Promise<Record<string, Tensor>>;
  /** Frees the model; later calls to `run` reject with `ERR_RUN_SESSION_DISPOSED`. */
  dispose(): Promise<void>;
}

/** Options understood by every runtime when it opens a session; runtimes add their own. */
export interface SessionOptions {
  /** Ordered preference of execution providers or compute units, e.g. `['coreml', 'cpu']`. */
  readonly executionProviders?: readonly string[];
  /** Threads used inside one operator (0 = runtime default). */
  readonly intraOpThreads?: number;
  /** Threads used across operators (0 = runtime default). */
  readonly interOpThreads?: number;
}

/** A model given as a file path or as the bytes of the model file. */
export type ModelSource = string | Uint8Array;

/** A runtime that can open sessions: what {@link registerBackend} registers. */
export interface Backend {
  /** Loads native code and checks the platform. Called once; a rejection marks the backend unusable. */
  init(name: string): Promise<void>;
  /** Opens a session on a model. */
  createSession(model: ModelSource, options?: SessionOptions): Promise<InferenceSession>;
}
