import type { Backend, ModelSource, SessionOptions } from '@llama-pajamas/run-core';
import type { OnnxSession as OnnxSessionType, OnnxSessionOptions } from './session.js';

/**
 * run-core {@link Backend} for onnxruntime-node, to register with `registerBackend('onnx', onnxBackend, 100)`.
 * onnxruntime-node is imported inside `init()`, so importing this package loads no native code.
 */
export const onnxBackend: Backend = {
  async init(): Promise<void> {
    await import('./session-impl.js');
  },
  async createSession(model: ModelSource, options?: SessionOptions): Promise<OnnxSessionType> {
    const { OnnxSession } = await import('./session-impl.js');
    return OnnxSession.create(model, options as OnnxSessionOptions);
  },
};
