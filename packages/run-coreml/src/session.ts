import type {
  InferenceSession,
  ModelSource,
  RunOptions,
  SessionOptions,
  Tensor,
  TensorInfo,
} from '@llama-pajamas/run-core';
import type { ComputeUnits, NativePrediction } from './binding.js';
import type { CoreMLComputePlan } from './compute-plan.js';
import type { CoreMLFeatureInfo } from './spec.js';

/** Options for {@link CoreMLSession.create}; the run-core `SessionOptions` are accepted too. */
export interface CoreMLSessionOptions extends SessionOptions {
  /**
   * Where CoreML may run the model (`MLModelConfiguration.computeUnits`). Default `all` (Neural Engine, GPU and
   * CPU). When unset, `executionProviders[0]` maps too: `ane` → cpuAndNeuralEngine, `gpu` → cpuAndGpu, `cpu` → cpuOnly.
   */
  readonly computeUnits?: ComputeUnits;
  /** Lets the GPU accumulate in float16 (`allowLowPrecisionAccumulationOnGPU`). Default false. */
  readonly allowLowPrecisionAccumulationOnGPU?: boolean;
  /** Compiled-model cache folder (default `coremlEnv.cacheDir`, then {@link defaultCacheDir}). */
  readonly cacheDir?: string;
  /** float16 outputs are converted to float32 for run-core's families unless this is `keep`. Default `float32`. */
  readonly float16Outputs?: 'float32' | 'keep';
  /** A name for messages (default: the model's file name). */
  readonly name?: string;
}

/** The state of a stateful model (`MLState`, macOS 15): a KV cache kept between predictions. */
export interface CoreMLState {
  /** The session it belongs to. */
  readonly session: CoreMLSession;
}

/** Per-call options of {@link CoreMLSession.run}. */
export interface CoreMLRunOptions extends RunOptions {
  /** The `MLState` of a stateful model, from {@link CoreMLSession.createState}. */
  readonly state?: CoreMLState;
}

/** What one prediction gives: tensors, plus non-tensor outputs (a classifier's label and probabilities). */
export interface CoreMLPrediction {
  readonly tensors: Record<string, Tensor>;
  readonly values: NativePrediction['values'];
}

/** A run-core `InferenceSession` on a CoreML model, with CoreML's own extras. */
export interface CoreMLSession extends InferenceSession {
  readonly name: string;
  readonly inputs: readonly (TensorInfo & CoreMLFeatureInfo)[];
  readonly outputs: readonly (TensorInfo & CoreMLFeatureInfo)[];
  /** The model's states (stateful models, macOS 15). */
  readonly states: readonly CoreMLFeatureInfo[];
  readonly computeUnits: ComputeUnits;
  /** The `.mlmodelc` folder that was loaded. */
  readonly compiledPath: string;
  /** `direct` (an `.mlmodelc` was given), `cache` (compiled before) or `compiled` (compiled by this load). */
  readonly compiledFrom: 'direct' | 'cache' | 'compiled';
  run(feeds: Record<string, Tensor>, options?: CoreMLRunOptions): Promise<Record<string, Tensor>>;
  /** Like `run`, and also returns the non-tensor outputs (classifier labels, dictionaries, scalars). */
  predict(feeds: Record<string, Tensor>, options?: CoreMLRunOptions): Promise<CoreMLPrediction>;
  /** Runs several predictions in one CoreML batch call (`predictionsFromBatch`). */
  runBatch(feeds: readonly Record<string, Tensor>[], options?: RunOptions): Promise<Record<string, Tensor>[]>;
  /** A new `MLState` for a stateful model (macOS 15+). */
  createState(): CoreMLState;
  /**
   * Where each operation would run with this session's compute units (`MLComputePlan`, macOS 14.4+), with a
   * per-device summary: the way to check that a model really runs on the Neural Engine.
   */
  computePlan(): Promise<CoreMLComputePlan>;
}

/** The factory of {@link CoreMLSession}s. */
export interface CoreMLSessionFactory {
  /**
   * Opens a CoreML model: an `.mlmodelc` folder directly, or an `.mlpackage` / `.mlmodel` compiled once and
   * cached. Needs macOS 13+ and the addon (loaded on first use).
   */
  create(model: ModelSource, options?: CoreMLSessionOptions): Promise<CoreMLSession>;
}
