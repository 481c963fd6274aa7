import type { ModelBackend } from '@llama-pajamas/run-core';

/** What `/health` says about the runtime one served model runs on. */
export interface ModelRuntimeInfo {
  /** The runtime's name: `onnx`, `coreml`, `llama.cpp`… */
  readonly runtime: string;
  /** ONNX: the execution providers its sessions opened with (`cpu`, `cuda`, `coreml`), in the order opened. */
  readonly executionProviders?: readonly string[];
  /** CoreML: the compute units it runs with (`all`, `cpuAndNeuralEngine`, `cpuAndGpu`, `cpuOnly`). */
  readonly computeUnits?: string;
  /** CoreML: true while a first compile of one of its model files (`.mlpackage` → `.mlmodelc`) runs. */
  readonly compiling?: boolean;
}

const providers = new WeakMap<ModelBackend, () => ModelRuntimeInfo>();

/**
 * Tells `/health` how to describe the runtime of a backend (a function, read on every request, so `compiling`
 * stays current). Whoever loads the model calls it; the llama-pajamas cli does for every model it serves.
 * @example
 * describeModelRuntime(detector, () => ({ runtime: 'onnx', executionProviders: ['cpu'] }));
 */
export function describeModelRuntime(backend: ModelBackend, info: () => ModelRuntimeInfo): void {
  providers.set(backend, info);
}

/**
 * The `/health` fields for a backend's runtime (`runtime`, `execution_providers`, `compute_units`, `compiling`),
 * or `{}` when nobody described it or the description throws.
 */
export function runtimeHealthFields(backend: ModelBackend): Record<string, unknown> {
  let info: ModelRuntimeInfo | undefined;
  try {
    info = providers.get(backend)?.();
  } catch {
    return {};
  }
  if (info === undefined) return {};
  return {
    runtime: info.runtime,
    ...(info.executionProviders !== undefined ? { execution_providers: [...info.executionProviders] } : {}),
    ...(info.computeUnits !== undefined ? { compute_units: info.computeUnits } : {}),
    ...(info.compiling !== undefined ? { compiling: info.compiling } : {}),
  };
}
