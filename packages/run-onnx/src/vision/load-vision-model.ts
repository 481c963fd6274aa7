import {
  loadVisionModel as loadVisionModelOn,
  type FamilyVisionBackend,
  type VisionLoaderOptions,
} from '@llama-pajamas/run-core';
import { registerOnnxBackend } from '../backend.js';
import type { OnnxSessionOptions } from '../session.js';
import { splitSessionOptions } from '../split-session-options.js';

/** Options of {@link loadVisionModel}: ONNX session options (for every file of the model) and the vision options. */
export interface LoadVisionModelOptions
  extends Omit<OnnxSessionOptions, 'name'>, Omit<VisionLoaderOptions, 'runtime' | 'session'> {}

/**
 * Loads an image model on ONNX Runtime, recognising its family from the files: Ultralytics exports (metadata),
 * YOLOX/YOLOv5/FastestDet by output layout, Hugging Face classifier and CLIP folders, or a `llama-pajamas.json`
 * manifest (run-core's `loadVisionModel` with `runtime: 'onnx'`). The backend is returned loaded.
 * Throws `ERR_RUN_MODEL_NOT_FOUND`, `ERR_RUN_MODEL_UNRECOGNIZED` (naming what was looked for) or
 * `ERR_RUN_MODEL_OUTPUT_MISMATCH`.
 * @example
 * const yolo = await loadVisionModel('models/yolov8n.onnx', { intraOpThreads: 2 });
 * const { detections } = await yolo.detect('dog.jpg');
 * // [{ label: 'dog', confidence: 0.96, classId: 16, box: { x1: 131, y1: 219, x2: 310, y2: 541 } }, ...]
 */
export function loadVisionModel(path: string, options: LoadVisionModelOptions = {}): Promise<FamilyVisionBackend> {
  const { session, rest } = splitSessionOptions(options);
  return loadVisionModelOn(path, { ...rest, runtime: registerOnnxBackend(), session });
}
