import type { Backend, ModelSource, RuntimeFiles, SessionOptions } from '@llama-pajamas/run-core';
import type { CoreMLSession } from './session.js';

/**
 * How CoreML model files are named, matching what the converters write: `<stem>.mlpackage` is float16 (the
 * converters' default, what the Neural Engine runs), `<stem>_fp32.mlpackage` float32, `<stem>_int8.mlpackage`
 * (linear int8 weights) or `<stem>_palettized.mlpackage` 8-bit palettized weights. A compiled `.mlmodelc` is
 * preferred over the package it came from.
 */
export const COREML_RUNTIME_FILES: RuntimeFiles = {
  extensions: ['.mlmodelc', '.mlpackage', '.mlmodel'],
  dtypeSuffixes: { fp16: [''], fp32: ['_fp32'], int8: ['_int8', '_palettized'] },
  dtypePreference: ['fp16', 'fp32', 'int8'],
};

/**
 * run-core {@link Backend} for CoreML, to register with `registerBackend('coreml', coremlBackend, 200)`.
 * The addon is loaded in `init()` (never on import): off macOS `init()` rejects with
 * `ERR_RUN_COREML_UNSUPPORTED_PLATFORM`, so `resolveBackend(['coreml', 'onnx'])` falls back to onnx and keeps why.
 */
export const coremlBackend: Backend = {
  files: COREML_RUNTIME_FILES,
  async init(): Promise<void> {
    const { getBinding } = await import('./binding.js');
    getBinding();
  },
  async createSession(model: ModelSource, options?: SessionOptions): Promise<CoreMLSession> {
    const { CoreMLSession } = await import('./session-impl.js');
    return CoreMLSession.create(model, options);
  },
};
