import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import {
  InvalidArgumentError,
  ModelNotFoundError,
  SessionDisposedError,
  TensorShapeError,
  createTensor,
  invalidParameter,
  throwIfAborted,
  type ModelSource,
  type RunOptions,
  type Tensor,
  type TensorInfo,
  type TensorType,
} from '@llama-pajamas/run-core';
import {
  getBinding,
  type ComputeUnits,
  type NativeFeature,
  type NativeBinding,
  type NativeModel,
  type NativePrediction,
  type NativeState,
  type NativeTensor,
} from './binding.js';
import { coremlEnv, defaultCacheDir, ensureCompiled } from './cache.js';
import {
  CoreMLCompileError,
  CoreMLLoadError,
  CoreMLPredictionError,
  CoreMLSpecInvalidError,
  CoreMLUnsupportedFeatureError,
} from './errors.js';
import { summarizeComputePlan, type CoreMLComputePlan } from './compute-plan.js';
import { prepareFeed } from './feeds.js';
import { toFloat32Tensor } from './float16.js';
import type {
  CoreMLPrediction,
  CoreMLRunOptions,
  CoreMLSession as CoreMLSessionInstance,
  CoreMLSessionFactory,
  CoreMLSessionOptions,
  CoreMLState,
} from './session.js';
import type { CoreMLFeatureInfo, CoreMLFeatureKind } from './spec.js';

/** The compute units CoreML takes, for option parsers. */
export const COMPUTE_UNITS: readonly ComputeUnits[] = ['all', 'cpuAndNeuralEngine', 'cpuAndGpu', 'cpuOnly'];
const PROVIDER_UNITS: Record<string, ComputeUnits> = {
  coreml: 'all',
  all: 'all',
  ane: 'cpuAndNeuralEngine',
  neuralEngine: 'cpuAndNeuralEngine',
  gpu: 'cpuAndGpu',
  cpu: 'cpuOnly',
};
const MODEL_EXTENSIONS = ['.mlmodelc', '.mlpackage', '.mlmodel'];

/**
 * The compute units a session asks for: `computeUnits` if given, else `executionProviders[0]` mapped
 * (`ane`, `gpu`, `cpu`, `coreml`/`all`), else `all`.
 * @example
 * resolveComputeUnits({ executionProviders: ['gpu', 'cpu'] }); // 'cpuAndGpu'
 */
export function resolveComputeUnits(options: CoreMLSessionOptions = {}): ComputeUnits {
  if (options.computeUnits !== undefined) {
    if (!COMPUTE_UNITS.includes(options.computeUnits)) {
      throw invalidParameter('computeUnits', `one of ${COMPUTE_UNITS.join(', ')}`, options.computeUnits);
    }
    return options.computeUnits;
  }
  const first = options.executionProviders?.[0];
  if (first === undefined) return 'all';
  const units = PROVIDER_UNITS[first];
  if (units === undefined) {
    throw invalidParameter('executionProviders[0]', `one of ${Object.keys(PROVIDER_UNITS).join(', ')}`, first);
  }
  return units;
}

/** Turns the addon's feature description into run-core's `TensorInfo` plus the CoreML facts. */
export function toFeatureInfo(feature: NativeFeature): TensorInfo & CoreMLFeatureInfo {
  return { ...feature, kind: feature.kind as CoreMLFeatureKind, type: feature.type as TensorType | 'unknown' };
}

interface NativeErrorShape {
  code?: string;
  message?: string;
}

/** Wraps an addon error in the typed RunError for its code, keeping a JavaScript stack (the native one has none). */
function wrapPredictionError(e: unknown, model: string): Error {
  const err = e as NativeErrorShape;
  const text = err.message ?? String(e);
  if (err.code === 'ERR_RUN_COREML_UNSUPPORTED_FEATURE') {
    return new CoreMLUnsupportedFeatureError({ feature: text, hint: 'See docs/coreml.md.' }, { cause: e });
  }
  if (err.code === 'ERR_RUN_INVALID_ARGUMENT') return new InvalidArgumentError(text, { cause: e });
  if (err.code === 'ERR_RUN_SESSION_DISPOSED') return new SessionDisposedError(`Session '${model}' was disposed.`);
  return new CoreMLPredictionError({ model, nsError: text }, { cause: e });
}

class CoreMLStateImpl implements CoreMLState {
  busy = false;
  constructor(
    readonly session: CoreMLSessionImpl,
    readonly native: NativeState,
  ) {}
}

class CoreMLSessionImpl implements CoreMLSessionInstance {
  readonly inputs: readonly (TensorInfo & CoreMLFeatureInfo)[];
  readonly outputs: readonly (TensorInfo & CoreMLFeatureInfo)[];
  readonly states: readonly CoreMLFeatureInfo[];
  readonly metadata: Readonly<Record<string, string>>;
  private disposed = false;

  private constructor(
    private readonly binding: NativeBinding,
    private readonly native: NativeModel,
    readonly name: string,
    readonly computeUnits: ComputeUnits,
    readonly compiledPath: string,
    readonly compiledFrom: 'direct' | 'cache' | 'compiled',
    private readonly float16Outputs: 'float32' | 'keep',
  ) {
    const description = native.describe();
    this.inputs = description.inputs.map(toFeatureInfo);
    this.outputs = description.outputs.map(toFeatureInfo);
    this.states = description.states.map(toFeatureInfo);
    this.metadata = { ...description.metadata };
  }

  static async create(model: ModelSource, options: CoreMLSessionOptions = {}): Promise<CoreMLSessionInstance> {
    if (typeof model !== 'string') {
      throw invalidParameter(
        'model',
        'the path of an .mlpackage, .mlmodel or .mlmodelc (CoreML models are folders)',
        model,
      );
    }
    const ext = extname(model).toLowerCase();
    if (!MODEL_EXTENSIONS.includes(ext)) {
      throw new CoreMLSpecInvalidError({
        path: model,
        reason: `the extension is not one of ${MODEL_EXTENSIONS.join(', ')}`,
      });
    }
    const computeUnits = resolveComputeUnits(options);
    const name = options.name ?? basename(model);
    try {
      await stat(model);
    } catch (e) {
      throw new ModelNotFoundError(
        { path: model, what: 'CoreML model (.mlpackage, .mlmodel or .mlmodelc)', reason: (e as Error).message },
        { cause: e },
      );
    }
    const binding = getBinding();
    let compiled;
    try {
      compiled = await ensureCompiled(model, {
        cacheDir: options.cacheDir ?? coremlEnv.cacheDir ?? defaultCacheDir(),
        osBuild: binding.osBuild(),
        compile: (source, destination) => binding.compileModel(source, destination),
      });
    } catch (e) {
      throw new CoreMLCompileError({ path: model, nsError: (e as Error).message }, { cause: e });
    }
    let native: NativeModel;
    try {
      native = await binding.loadModel(compiled.path, {
        computeUnits,
        allowLowPrecisionAccumulationOnGPU: options.allowLowPrecisionAccumulationOnGPU ?? false,
      });
    } catch (e) {
      throw new CoreMLLoadError({ path: compiled.path, computeUnits, nsError: (e as Error).message }, { cause: e });
    }
    return new CoreMLSessionImpl(
      binding,
      native,
      name,
      computeUnits,
      compiled.path,
      compiled.source,
      options.float16Outputs ?? 'float32',
    );
  }

  private checkOpen(): void {
    if (this.disposed) throw new SessionDisposedError(`Session '${this.name}' was disposed.`);
  }

  private prepare(feeds: Record<string, Tensor>): Record<string, NativeTensor> {
    const out: Record<string, NativeTensor> = {};
    for (const info of this.inputs) {
      const t = feeds[info.name];
      if (t === undefined) {
        if (info.optional) continue;
        throw new TensorShapeError(
          `Model '${this.name}' needs input '${info.name}' but the feeds have [${Object.keys(feeds).join(', ')}].`,
          { details: { input: info.name } },
        );
      }
      out[info.name] = prepareFeed(info, t, this.name);
    }
    return out;
  }

  private toTensors(prediction: NativePrediction): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(prediction.tensors)) {
      const tensor = createTensor(t.type as TensorType, t.data as Float32Array, t.dims);
      out[name] = this.float16Outputs === 'float32' ? toFloat32Tensor(tensor) : tensor;
    }
    return out;
  }

  async predict(feeds: Record<string, Tensor>, options: CoreMLRunOptions = {}): Promise<CoreMLPrediction> {
    this.checkOpen();
    throwIfAborted(options.signal);
    const nativeFeeds = this.prepare(feeds);
    const state = options.state as CoreMLStateImpl | undefined;
    if (state !== undefined) {
      if (!(state instanceof CoreMLStateImpl) || state.session !== this) {
        throw invalidParameter('state', 'a state made by this session (session.createState())', state);
      }
      if (state.busy) {
        throw new InvalidArgumentError('This CoreML state is already in use by a prediction; await it first.');
      }
      state.busy = true;
    }
    let prediction: NativePrediction;
    try {
      prediction = await this.native.predict(nativeFeeds, options.outputNames, state?.native);
    } catch (e) {
      throw wrapPredictionError(e, this.name);
    } finally {
      if (state !== undefined) state.busy = false;
    }
    throwIfAborted(options.signal);
    return { tensors: this.toTensors(prediction), values: prediction.values };
  }

  async run(feeds: Record<string, Tensor>, options: CoreMLRunOptions = {}): Promise<Record<string, Tensor>> {
    return (await this.predict(feeds, options)).tensors;
  }

  async runBatch(
    feeds: readonly Record<string, Tensor>[],
    options: RunOptions = {},
  ): Promise<Record<string, Tensor>[]> {
    this.checkOpen();
    throwIfAborted(options.signal);
    const list: unknown = feeds;
    if (!Array.isArray(list)) throw invalidParameter('feeds', 'an array of feeds', feeds);
    const nativeFeeds = feeds.map((f) => this.prepare(f));
    let predictions: NativePrediction[];
    try {
      predictions = await this.native.predictBatch(nativeFeeds, options.outputNames);
    } catch (e) {
      throw wrapPredictionError(e, this.name);
    }
    throwIfAborted(options.signal);
    return predictions.map((p) => this.toTensors(p));
  }

  createState(): CoreMLState {
    this.checkOpen();
    if (this.states.length === 0) {
      throw new CoreMLUnsupportedFeatureError({
        feature: `State for '${this.name}'`,
        hint: 'This model declares no states; only stateful models (coremltools StateType, macOS 15) have one.',
      });
    }
    try {
      return new CoreMLStateImpl(this, this.native.newState());
    } catch (e) {
      throw wrapPredictionError(e, this.name);
    }
  }

  async computePlan(): Promise<CoreMLComputePlan> {
    this.checkOpen();
    try {
      return summarizeComputePlan(
        await this.binding.computePlan(this.compiledPath, { computeUnits: this.computeUnits }),
      );
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (err.code === 'ERR_RUN_COREML_UNSUPPORTED_FEATURE') {
        throw new CoreMLUnsupportedFeatureError(
          {
            feature: 'MLComputePlan',
            hint: 'It needs macOS 14.4 or newer; see docs/coreml.md#is-the-neural-engine-used.',
          },
          { cause: e },
        );
      }
      throw new CoreMLLoadError(
        { path: this.compiledPath, computeUnits: this.computeUnits, nsError: err.message ?? String(e) },
        { cause: e },
      );
    }
  }

  dispose(): Promise<void> {
    if (!this.disposed) {
      this.disposed = true;
      this.native.close();
    }
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

/**
 * Opens CoreML models as run-core `InferenceSession`s.
 * @example
 * const session = await CoreMLSession.create('yolov8n.mlpackage', { computeUnits: 'cpuAndNeuralEngine' });
 * session.compiledFrom; // 'compiled' the first time, 'cache' afterwards
 */
export const CoreMLSession: CoreMLSessionFactory = CoreMLSessionImpl;
/** An open CoreML session (see {@link CoreMLSessionInstance}). */
export type CoreMLSession = CoreMLSessionInstance;
