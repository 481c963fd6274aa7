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
  /**
   * Whether idle intra-op threads spin-wait for the next operator's work instead of sleeping (onnxruntime's
   * `session.intra_op.allow_spinning`; default: the runtime's, on). Off saves CPU, and wall time when other
   * processes want the cores.
   */
  readonly allowSpinning?: boolean;
  /** A name for error messages (default: the file name). */
  readonly name?: string;
}

/** Numeric precision a model file was exported in; runtimes name each with file-stem suffixes. */
export type ModelDtype = 'fp32' | 'fp16' | 'int8';

/** The dtypes, in the order a caller usually prefers them. */
export const MODEL_DTYPES: readonly ModelDtype[] = ['fp32', 'fp16', 'int8'];

/**
 * How a runtime names model files: run-core's loaders join a family's file stem (`encoder_model`, `model`), a
 * dtype suffix and an extension, so one family description serves every runtime.
 * @example
 * // onnx: encoder_model + _quantized + .onnx = encoder_model_quantized.onnx
 * const files: RuntimeFiles = {
 *   extensions: ['.onnx'],
 *   dtypeSuffixes: { fp32: [''], fp16: ['_fp16'], int8: ['_quantized', '_int8', '_q8', '_uint8'] },
 *   dtypePreference: ['fp32', 'fp16', 'int8'],
 * };
 */
export interface RuntimeFiles {
  /** Model file (or folder-shaped package) extensions this runtime opens, preferred first. */
  readonly extensions: readonly string[];
  /** Per dtype, the file-stem suffixes that mark it, preferred first. */
  readonly dtypeSuffixes: Readonly<Record<ModelDtype, readonly string[]>>;
  /** dtypes tried in order when the caller names none (the first one whose files exist wins). */
  readonly dtypePreference: readonly ModelDtype[];
}

/** A model given as a file path or as the bytes of the model file. */
export type ModelSource = string | Uint8Array;

/** A runtime that can open sessions: what {@link registerBackend} registers. */
export interface Backend {
  /** Loads native code and checks the platform. Called once; a rejection marks the backend unusable. */
  init(name: string): Promise<void>;
  /** Opens a session on a model. */
  createSession(model: ModelSource, options?: SessionOptions): Promise<InferenceSession>;
  /** How this runtime names model files (extensions, dtype suffixes). */
  readonly files: RuntimeFiles;
}
