/**
 * @llama-pajamas/run-core — the runtime-agnostic core: tensors, the InferenceSession seam, abstract backends,
 * typed errors, and the image/audio pre- and post-processing every backend shares.
 */
export * from './errors.js';
export * from './tensor.js';
export * from './session.js';
export * from './registry.js';
export * from './types/vision.js';
export * from './types/speech.js';
export * from './backends/model-backend.js';
export * from './backends/vision-backend.js';
export * from './backends/stt-backend.js';
export * from './backends/tts-backend.js';
export * from './image/index.js';
export * from './post/index.js';
