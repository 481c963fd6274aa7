import { readdir, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { COREML_RUNTIME_FILES } from './backend.js';

/** What a user picks with `--runtime`: one runtime, or `auto` (CoreML on macOS when a converted model is there). */
export type RuntimeChoice = 'coreml' | 'onnx' | 'auto';

/** The runtime choices, for a cli's option parser. */
export const RUNTIME_CHOICES: readonly RuntimeChoice[] = ['auto', 'coreml', 'onnx'];

/**
 * True when `path` is a CoreML model (`.mlpackage`, `.mlmodelc`, `.mlmodel`) or a folder that holds one.
 * @example
 * await hasCoreMLModel('models/yolov8n/'); // true when models/yolov8n/yolov8n.mlpackage exists
 */
export async function hasCoreMLModel(path: string): Promise<boolean> {
  const isModel = (p: string): boolean => COREML_RUNTIME_FILES.extensions.includes(extname(p).toLowerCase());
  if (isModel(path)) return (await stat(path).catch(() => undefined)) !== undefined;
  const entries = await readdir(path).catch(() => [] as string[]);
  return entries.some(isModel);
}

/**
 * The registry hints (for run-core's loaders' `runtime` option) for a runtime choice: `coreml` → `['coreml']`,
 * `onnx` → `['onnx']`, `auto` → `['coreml', 'onnx']` on macOS when the model path has a CoreML model, else
 * `['onnx']`. With `['coreml', 'onnx']` the registry still falls back to onnx if CoreML cannot start.
 * @example
 * await runtimeHints('auto', 'models/yolov8n/', 'linux'); // ['onnx']
 */
export async function runtimeHints(
  choice: RuntimeChoice,
  modelPath: string,
  platform: string = process.platform,
): Promise<string[]> {
  if (choice === 'coreml') return ['coreml'];
  if (choice === 'onnx') return ['onnx'];
  if (choice !== 'auto')
    throw new TypeError(`Expected one of ${RUNTIME_CHOICES.join(', ')} for runtime but received ${String(choice)}.`);
  return platform === 'darwin' && (await hasCoreMLModel(modelPath)) ? ['coreml', 'onnx'] : ['onnx'];
}
