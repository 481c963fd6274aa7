/**
 * @llama-pajamas/run-coreml — llama-pajamas on CoreML (Neural Engine, GPU, CPU) through a native addon.
 */
export { coremlBackend, COREML_RUNTIME_FILES } from './backend.js';
export {
  loadVisionModel,
  loadSpeechToText,
  loadTextToSpeech,
  loadVad,
  registerCoreMLBackend,
  type CoreMLLoaderSessionOptions,
  type LoadCoreMLVisionModelOptions,
  type LoadCoreMLSpeechToTextOptions,
  type LoadCoreMLTextToSpeechOptions,
  type LoadCoreMLVadOptions,
} from './loaders.js';
export { CoreMLSession, resolveComputeUnits, COMPUTE_UNITS } from './session-impl.js';
export type {
  CoreMLSessionOptions,
  CoreMLRunOptions,
  CoreMLPrediction,
  CoreMLState,
  CoreMLSessionFactory,
} from './session.js';
export {
  loadBinding,
  bindingCandidates,
  type ComputeUnits,
  type BindingCandidate,
  type LoadBindingOptions,
  type NativeBinding,
  type NativeComputePlan,
  type ComputePlanOperation,
} from './binding.js';
export {
  coremlEnv,
  defaultCacheDir,
  modelContentHash,
  compiledModelCacheKey,
  compiledModelPath,
  ensureCompiled,
  compilingModels,
  type CompiledModel,
} from './cache.js';
export {
  readCoreMLSpec,
  decodeCoreMLSpec,
  coreMLSpecPath,
  type CoreMLModelSpec,
  type CoreMLFeatureInfo,
  type CoreMLFeatureKind,
  type CoreMLImageConstraint,
} from './spec.js';
export { prepareFeed, acceptsShape, describeAcceptedShapes } from './feeds.js';
export { summarizeComputePlan, type CoreMLComputePlan } from './compute-plan.js';
export { toFloat16Tensor, toFloat32Tensor } from './float16.js';
export { runtimeHints, hasCoreMLModel, RUNTIME_CHOICES, type RuntimeChoice } from './runtime.js';
export * from './errors.js';
