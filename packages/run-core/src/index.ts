/**
 * @llama-pajamas/run-core — the runtime-agnostic core: tensors, the InferenceSession seam, abstract backends,
 * typed errors, and the image/audio pre- and post-processing every backend shares.
 */
export * from './errors.js';
export * from './tensor.js';
export * from './session.js';
export * from './registry.js';
export * from './loaders/index.js';
export * from './types/vision.js';
export * from './types/speech.js';
export * from './backends/model-backend.js';
export * from './backends/lifecycle.js';
export * from './backends/vision-backend.js';
export * from './backends/stt-backend.js';
export * from './backends/tts-backend.js';
export * from './image/index.js';
export * from './post/index.js';
export * from './audio/decode.js';
export * from './audio/resample.js';
export * from './audio/encode.js';
export * from './audio/load.js';
export * from './families/vision/index.js';
export * from './families/vad/speech-timestamps.js';
export * from './families/vad/silero.js';
export * from './families/vad/streaming.js';
export * from './families/vad/load-vad.js';
export * from './families/whisper/index.js';
export * from './text/sentences.js';
export * from './families/piper/config.js';
export * from './families/piper/espeak.js';
export * from './families/piper/espeak-native.js';
export * from './families/piper/phonemes.js';
export * from './families/piper/piper-tts.js';
export * from './families/piper/load-piper.js';
