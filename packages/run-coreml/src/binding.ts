import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CoreMLBindingNotFoundError, CoreMLUnsupportedPlatformError } from './errors.js';
import type { CoreMLFeatureInfo, CoreMLModelSpec } from './spec.js';

/** A tensor as it crosses into the addon (run-core `Tensor` of float32, float16, float64 or int32). */
export interface NativeTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: ArrayBufferView;
}

/** One feature as the addon describes it (`MLFeatureDescription`); images name a CoreVideo pixel format. */
export type NativeFeature = Omit<CoreMLFeatureInfo, 'kind' | 'type'> & { readonly kind: string; readonly type: string };

/** `MLModelDescription` as the addon returns it. */
export interface NativeDescription {
  readonly inputs: readonly NativeFeature[];
  readonly outputs: readonly NativeFeature[];
  readonly states: readonly NativeFeature[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly about: CoreMLModelSpec['about'];
  readonly predictedFeatureName?: string;
}

/** The outputs of one prediction: multi-arrays as tensors, other features (labels, dictionaries) as values. */
export interface NativePrediction {
  readonly tensors: Record<string, NativeTensor>;
  readonly values: Record<string, string | number | bigint | Record<string, number>>;
}

/** An opaque `MLState` (macOS 15). */
export type NativeState = object;

/** A loaded `MLModel`. */
export interface NativeModel {
  describe(): NativeDescription;
  predict(
    feeds: Record<string, NativeTensor>,
    outputNames?: readonly string[],
    state?: NativeState,
  ): Promise<NativePrediction>;
  predictBatch(
    feeds: readonly Record<string, NativeTensor>[],
    outputNames?: readonly string[],
  ): Promise<NativePrediction[]>;
  newState(): NativeState;
  close(): void;
}

/** Where one operation of a model would run (`MLComputePlan`, macOS 14.4+). */
export interface ComputePlanOperation {
  /** The operation's first output (ML Program) or the layer's name (neural network). */
  readonly name: string;
  /** The MIL operator (`conv`, `linear`, …) or the neural-network layer type. */
  readonly operator: string;
  /** The device CoreML would run it on; absent for operations that run nowhere (constants). */
  readonly preferred?: 'neuralEngine' | 'gpu' | 'cpu' | 'unknown';
  readonly supported: readonly ('neuralEngine' | 'gpu' | 'cpu' | 'unknown')[];
  /** CoreML's estimated relative cost of the operation (ML Programs), when it gives one. */
  readonly cost?: number;
}

/** A model's compute plan as the addon returns it. */
export interface NativeComputePlan {
  readonly structure: 'program' | 'neuralNetwork' | 'other';
  readonly operations: readonly ComputePlanOperation[];
}

/** The compute units CoreML may use (`MLModelConfiguration.computeUnits`). */
export type ComputeUnits = 'all' | 'cpuAndNeuralEngine' | 'cpuAndGpu' | 'cpuOnly';

/** The functions the addon exports (native/coreml/src/addon.mm). */
export interface NativeBinding {
  readonly bindingVersion: number;
  compileModel(source: string, destination: string): Promise<string>;
  osBuild(): string;
  computePlan(path: string, options: { computeUnits: ComputeUnits }): Promise<NativeComputePlan>;
  loadModel(
    path: string,
    options: { computeUnits: ComputeUnits; allowLowPrecisionAccumulationOnGPU?: boolean },
  ): Promise<NativeModel>;
}

/** Binding ABI this package expects (`bindingVersion` in addon.mm). */
const BINDING_VERSION = 1;

/** Where the addon may be, in the order {@link loadBinding} tries them. */
export interface BindingCandidate {
  readonly label: string;
  /** A file path, or a package specifier resolved with `require.resolve`. */
  readonly specifier: string;
  /** For a platform package: the version it must have (the parent package's). */
  readonly expectedVersion?: string;
}

const require = createRequire(import.meta.url);

function ownVersion(): string {
  return (require('../package.json') as { version: string }).version;
}

/**
 * The places the addon is looked for, as sharp does: the local `native/coreml/build/Release` of a source
 * checkout first, then the platform package `@llama-pajamas/run-coreml-<platform>-<arch>`.
 * @example
 * bindingCandidates('darwin', 'arm64').map((c) => c.label);
 * // ['local build (native/coreml/build/Release)', '@llama-pajamas/run-coreml-darwin-arm64']
 */
export function bindingCandidates(platform: string, arch: string): BindingCandidate[] {
  const local = fileURLToPath(
    new URL(`../../../native/coreml/build/Release/run-coreml-${platform}-${arch}.node`, import.meta.url),
  );
  return [
    { label: 'local build (native/coreml/build/Release)', specifier: local },
    {
      label: `@llama-pajamas/run-coreml-${platform}-${arch}`,
      specifier: `@llama-pajamas/run-coreml-${platform}-${arch}/binding.node`,
      expectedVersion: ownVersion(),
    },
  ];
}

function tryCandidate(candidate: BindingCandidate): NativeBinding {
  if (candidate.expectedVersion !== undefined) {
    const pkgName = candidate.specifier.replace(/\/binding\.node$/, '');
    const { version } = require(`${pkgName}/package.json`) as { version: string };
    if (version !== candidate.expectedVersion) {
      throw new Error(
        `Version mismatch: ${pkgName} is ${version} but @llama-pajamas/run-coreml is ${candidate.expectedVersion}`,
      );
    }
  } else if (!existsSync(candidate.specifier)) {
    throw new Error(`${candidate.specifier} does not exist`);
  }
  const binding = require(candidate.specifier) as Partial<NativeBinding>;
  if (typeof binding.loadModel !== 'function' || binding.bindingVersion !== BINDING_VERSION) {
    throw new Error(`it is not a run-coreml addon of binding version ${BINDING_VERSION}`);
  }
  return binding as NativeBinding;
}

/** Options of {@link loadBinding}; the overrides exist for tests and unusual layouts. */
export interface LoadBindingOptions {
  readonly platform?: string;
  readonly arch?: string;
  readonly candidates?: readonly BindingCandidate[];
}

/**
 * Loads the native CoreML addon. Off macOS it throws `ERR_RUN_COREML_UNSUPPORTED_PLATFORM` (naming run-onnx);
 * on macOS it tries each {@link bindingCandidates} entry, collecting every error, and if none loads throws
 * `ERR_RUN_COREML_BINDING_NOT_FOUND` with each attempt and "Possible solutions".
 * @example
 * const binding = loadBinding(); // on macOS with the addon built or its platform package installed
 * binding.osBuild(); // 'Version 14.4 (Build 23E214)'
 */
export function loadBinding(options: LoadBindingOptions = {}): NativeBinding {
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  if (platform !== 'darwin') throw new CoreMLUnsupportedPlatformError({ platform, arch });
  const attempts: string[] = [];
  const errors: unknown[] = [];
  for (const candidate of options.candidates ?? bindingCandidates(platform, arch)) {
    try {
      return tryCandidate(candidate);
    } catch (e) {
      errors.push(e);
      attempts.push(`${candidate.label}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new CoreMLBindingNotFoundError({ platform, arch, attempts }, { cause: new AggregateError(errors) });
}

let cached: NativeBinding | undefined;

/** The addon, loaded once per process by {@link loadBinding} (what `coremlBackend.init()` calls). */
export function getBinding(): NativeBinding {
  cached ??= loadBinding();
  return cached;
}
