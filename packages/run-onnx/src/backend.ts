import {
  listBackends,
  registerBackend,
  type Backend,
  type ModelSource,
  type RuntimeFiles,
  type SessionOptions,
} from '@llama-pajamas/run-core';
import { OnnxSession, loadOrt } from './session-impl.js';
import type { OnnxSession as OnnxSessionType, OnnxSessionOptions } from './session.js';

/** How ONNX exports name their files: `<stem><suffix>.onnx` (Optimum and transformers.js conventions). */
export const ONNX_FILES: RuntimeFiles = {
  extensions: ['.onnx'],
  dtypeSuffixes: { fp32: [''], fp16: ['_fp16'], int8: ['_quantized', '_int8', '_q8', '_uint8'] },
  dtypePreference: ['fp32', 'int8', 'fp16'],
};

/**
 * run-core {@link Backend} for onnxruntime-node, to register with `registerBackend('onnx', onnxBackend, 100)`.
 * onnxruntime-node is imported inside `init()`, so importing this package loads no native code.
 */
export const onnxBackend: Backend = {
  async init(): Promise<void> {
    await loadOrt();
  },
  createSession(model: ModelSource, options?: SessionOptions): Promise<OnnxSessionType> {
    return OnnxSession.create(model, options as OnnxSessionOptions);
  },
  files: ONNX_FILES,
};

/** Registers {@link onnxBackend} as `onnx` (priority 100) unless it is registered already; returns the name. */
export function registerOnnxBackend(): 'onnx' {
  if (!listBackends().includes('onnx')) registerBackend('onnx', onnxBackend, 100);
  return 'onnx';
}
