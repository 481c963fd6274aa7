/**
 * @llama-pajamas/run-onnx — llama-pajamas backends on onnxruntime-node.
 */
export type {
  OnnxSessionOptions,
  OnnxExecutionProvider,
  GraphOptimizationLevel,
  OnnxSessionFactory,
} from './session.js';
export { OnnxSession } from './session-impl.js';
export { onnxBackend, registerOnnxBackend, ONNX_FILES } from './backend.js';
export { splitSessionOptions, type OnnxSessionKey } from './split-session-options.js';
export { readOnnxMetadata, type OnnxModelInfo } from './onnx-metadata.js';
export * from './vision/index.js';
export * from './speech/vad.js';
export * from './speech/whisper.js';
export * from './speech/tts.js';
export * from './workers.js';
