import type { ModelSource } from '@llama-pajamas/run-core';
import type { OnnxSession as OnnxSessionInstance, OnnxSessionFactory, OnnxSessionOptions } from './session.js';

/** Loads onnxruntime-node's native library (once) and returns the session factory built on it. */
export async function loadOrt(): Promise<OnnxSessionFactory> {
  return (await import('./ort-session.js')).OrtSessionFactory;
}

/**
 * Opens ONNX models on onnxruntime-node. The native library is loaded by the first `create()`, not when this
 * package is imported.
 */
export const OnnxSession: OnnxSessionFactory = {
  async create(model: ModelSource, options?: OnnxSessionOptions): Promise<OnnxSessionInstance> {
    return (await loadOrt()).create(model, options);
  },
};
/** A model opened with onnxruntime-node (see {@link OnnxSessionInstance}). */
export type OnnxSession = OnnxSessionInstance;
