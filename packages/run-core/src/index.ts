/**
 * @llama-pajamas/run-core — the runtime-agnostic core: tensors, the InferenceSession seam, the backend registry
 * and loaders, abstract backends, typed errors, and image/audio I/O and post-processing. The model families'
 * building blocks (pipelines, decoders, tokenizers) are in `@llama-pajamas/run-core/families`.
 * A test (test/exports.test.ts) lists the runtime names exported here: growing this list is a reviewed decision.
 */
export {
  decodeAudio,
  DEFAULT_AUDIO_LIMITS,
  SUPPORTED_AUDIO_FORMATS,
  type AudioLimits,
  type DecodedAudio,
} from './audio/decode.js';
export * from './audio/encode.js';
export * from './audio/load.js';
export { resample, toMono } from './audio/resample.js';
export * from './backends/lifecycle.js';
export * from './backends/model-backend.js';
export * from './backends/stt-backend.js';
export * from './backends/tts-backend.js';
export * from './backends/vision-backend.js';
export * from './errors.js';
export { WorkerExitedError, type WorkerExitedArgs } from './workers/errors.js';
export { type Phonemizer } from './families/piper/espeak.js';
export { type PhonemizerChoice } from './families/piper/espeak-native.js';
export { loadTextToSpeech, type PiperLoaderOptions } from './families/piper/load-piper.js';
export { type PiperSynthesizeOptions, type PiperTTS, type PiperTTSOptions } from './families/piper/piper-tts.js';
export { loadVad, type VadLoaderOptions } from './families/vad/load-vad.js';
export { type DetectSpeechOptions, type SileroVad, type SileroVadOptions } from './families/vad/silero.js';
export { type VadOptions } from './families/vad/speech-timestamps.js';
export { type StreamingVad, type StreamingVadOptions, type VadEvent } from './families/vad/streaming.js';
export { type ClassActivation } from './families/vision/classifier.js';
export { type FamilyClassifyOptions, type FamilyVisionBackend } from './families/vision/family-backend.js';
export { type DetectionHead } from './families/vision/head-layouts.js';
export { type VisionLoaderOptions } from './families/vision/load-common.js';
export { loadVisionModel } from './families/vision/load-vision-model.js';
export { type VisionManifest, type VisionTask } from './families/vision/manifest.js';
export { type BatchMode } from './families/vision/run-images.js';
export { type WhisperSpeechToText, type WhisperTranscribeOptions } from './families/whisper/backend.js';
export { loadSpeechToText, type WhisperLoaderOptions } from './families/whisper/load-whisper.js';
export { type SpeechDetector } from './families/whisper/stream.js';
export * from './image/base64.js';
export { DEFAULT_IMAGE_LIMITS, readImageBytes, type ImageLimits } from './image/decode.js';
export { fromSourceBox, toSourceBox, type ImageTransform, type ResizeGeometry } from './image/geometry.js';
export {
  computeResizeGeometry,
  validatePreprocessSpec,
  type DecodedImage,
  type ImagePreprocessSpec,
  type PreprocessBatchOptions,
  type PreprocessedImage,
  type PreprocessOptions,
  type ResampleKernel,
  type ResizeMode,
} from './image/preprocess-spec.js';
export * from './image/preprocess.js';
export {
  FAMILY_FILES,
  familyFilePaths,
  type FamilyFile,
  type FamilyFileSet,
  type ModelFamily,
} from './loaders/family-files.js';
export {
  findModelFile,
  listModelFiles,
  modelFileNames,
  type FindModelFileOptions,
  type FoundModelFile,
} from './loaders/files.js';
export * from './loaders/json.js';
export * from './loaders/options.js';
export * from './loaders/runtime.js';
export * from './post/math.js';
export * from './post/nms.js';
export * from './registry.js';
export * from './session.js';
export * from './tensor.js';
export * from './types/speech.js';
export * from './types/vision.js';
export * from './types/llm.js';
export * from './backends/llm-errors.js';
export * from './backends/llm-backend.js';
