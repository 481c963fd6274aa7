import {
  listBackends,
  loadVisionModel as loadVisionModelOn,
  registerBackend,
  type FamilyVisionBackend,
  type VisionLoaderOptions,
} from '@llama-pajamas/run-core';
import { coremlBackend } from './backend.js';
import type { CoreMLSessionOptions } from './session.js';

/** Registers {@link coremlBackend} as `coreml` (priority 200) unless a backend of that name is registered. */
export function registerCoreMLBackend(): 'coreml' {
  if (!listBackends().includes('coreml')) registerBackend('coreml', coremlBackend, 200);
  return 'coreml';
}

/** Options of {@link loadVisionModel}: the vision options, and CoreML session options for every file. */
export interface LoadCoreMLVisionModelOptions extends Omit<VisionLoaderOptions, 'runtime' | 'session'> {
  readonly session?: CoreMLSessionOptions;
  /** Shorthand for `session.computeUnits`. */
  readonly computeUnits?: CoreMLSessionOptions['computeUnits'];
}

/**
 * Loads an image model on CoreML (run-core's `loadVisionModel` with `runtime: 'coreml'`): a YOLO `.mlpackage`,
 * or a Hugging Face classifier / CLIP folder whose model files are `.mlpackage` / `.mlmodelc` (named as the
 * converters write them). Off macOS it rejects with `ERR_RUN_BACKEND_NOT_FOUND`, whose message says why CoreML
 * cannot run; use run-onnx's `loadVisionModel` there.
 * @example
 * const yolo = await loadVisionModel('models/yolov8n.mlpackage', { computeUnits: 'cpuAndNeuralEngine' });
 * const { detections } = await yolo.detect('dog.jpg');
 */
export function loadVisionModel(
  path: string,
  options: LoadCoreMLVisionModelOptions = {},
): Promise<FamilyVisionBackend> {
  const { session, computeUnits, ...rest } = options;
  return loadVisionModelOn(path, {
    ...rest,
    runtime: registerCoreMLBackend(),
    session: { ...session, ...(computeUnits ? { computeUnits } : {}) },
  });
}
