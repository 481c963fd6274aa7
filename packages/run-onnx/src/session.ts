import type { InferenceSession, ModelSource, SessionOptions } from '@llama-pajamas/run-core';

/** How onnxruntime optimizes the graph before running it. */
export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** Execution providers this package knows how to configure. */
export type OnnxExecutionProvider = 'cpu' | 'coreml' | 'cuda';

/** Options of {@link OnnxSession.create}. */
export interface OnnxSessionOptions extends SessionOptions {
  /**
   * Execution providers in order of preference (default `['cpu']`). `coreml` works on macOS only; `cuda` only
   * where the CUDA build of onnxruntime is installed. An unavailable provider is skipped, and the reason is kept
   * in {@link OnnxSession.providerErrors}; `cpu` is always tried last.
   */
  readonly executionProviders?: readonly OnnxExecutionProvider[];
  /** CoreML execution provider flags (ORT `coreMlFlags`); default MLProgram (0x010). */
  readonly coreMlFlags?: number;
  /** Graph optimization level (default `all`). */
  readonly graphOptimizationLevel?: GraphOptimizationLevel;
  /** A name for error messages (default: the file name). */
  readonly name?: string;
}

/** A model opened with onnxruntime-node; implements run-core's {@link InferenceSession}. */
export interface OnnxSession extends InferenceSession {
  /** Display name (file name unless given). */
  readonly name: string;
  /** The execution provider the session runs on. */
  readonly executionProvider: OnnxExecutionProvider;
  /** Why each preferred provider that was skipped could not be used. */
  readonly providerErrors: readonly string[];
}

/** Factory of {@link OnnxSession}s. */
export interface OnnxSessionFactory {
  /**
   * Opens a model from a file path or its bytes.
   * @example
   * const session = await OnnxSession.create('yolox_nano.onnx', { intraOpThreads: 2 });
   * session.inputs; // [{ name: 'images', type: 'float32', dims: [1, 3, 416, 416] }]
   */
  create(model: ModelSource, options?: OnnxSessionOptions): Promise<OnnxSession>;
}
