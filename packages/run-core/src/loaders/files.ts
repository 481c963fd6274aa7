import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelDtype, RuntimeFiles } from '../session.js';

/** True when something (file or folder) exists at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

/** The dtypes to try, in order: the one asked for, else the runtime's preference. */
export function dtypeOrder(files: RuntimeFiles, dtype?: ModelDtype): readonly ModelDtype[] {
  return dtype !== undefined ? [dtype] : files.dtypePreference;
}

/**
 * File names a runtime would give a model stem in one dtype, preferred first.
 * @example
 * modelFileNames('model', onnxBackend.files, 'int8');
 * // ['model_quantized.onnx', 'model_int8.onnx', 'model_q8.onnx', 'model_uint8.onnx']
 */
export function modelFileNames(stem: string, files: RuntimeFiles, dtype: ModelDtype): string[] {
  const names: string[] = [];
  for (const suffix of files.dtypeSuffixes[dtype]) for (const ext of files.extensions) names.push(stem + suffix + ext);
  return names;
}

/** Where a stem was found: the path, the dtype of the file, and the folder and suffix that matched. */
export interface FoundModelFile {
  readonly path: string;
  readonly dtype: ModelDtype;
  /** The sub-folder it is in (`''` for the model folder itself). */
  readonly folder: string;
  /** The dtype suffix of its name. */
  readonly suffix: string;
}

/** Options of {@link findModelFile}. */
export interface FindModelFileOptions {
  /** Only this dtype (default: the runtime's preference order). */
  readonly dtype?: ModelDtype;
  /** Sub-folders to look in, in order (default `['', 'onnx']`). */
  readonly folders?: readonly string[];
  /** Filled with every path that was tried (for "looked for" messages). */
  readonly tried?: string[];
}

/**
 * Finds a family's file by stem in a model folder for one runtime: dtype by dtype (in preference order), folder by
 * folder, suffix by suffix, extension by extension. Returns undefined when no candidate exists.
 * @example
 * await findModelFile('models/vit', 'model', onnxBackend.files, { folders: ['onnx', ''] });
 * // { path: 'models/vit/onnx/model.onnx', dtype: 'fp32', folder: 'onnx', suffix: '' }
 */
export async function findModelFile(
  dir: string,
  stem: string,
  files: RuntimeFiles,
  options: FindModelFileOptions = {},
): Promise<FoundModelFile | undefined> {
  const { folders = ['', 'onnx'], tried } = options;
  for (const dtype of dtypeOrder(files, options.dtype)) {
    for (const folder of folders) {
      for (const suffix of files.dtypeSuffixes[dtype]) {
        for (const ext of files.extensions) {
          const path = join(dir, folder, stem + suffix + ext);
          tried?.push(path);
          if (await pathExists(path)) return { path, dtype, folder, suffix };
        }
      }
    }
  }
  return undefined;
}

/** True when a file name ends with one of the runtime's model extensions. */
export function isModelFileName(name: string, files: RuntimeFiles): boolean {
  return files.extensions.some((ext) => name.endsWith(ext));
}

/** A file name without the runtime's model extension (`yolov8n.onnx` → `yolov8n`). */
export function stripModelExtension(name: string, files: RuntimeFiles): string {
  const ext = files.extensions.find((e) => name.endsWith(e));
  return ext ? name.slice(0, -ext.length) : name;
}

/** The model files (by the runtime's extensions) directly inside a folder, sorted by name. */
export async function listModelFiles(dir: string, files: RuntimeFiles): Promise<string[]> {
  return (await readdir(dir)).filter((name) => isModelFileName(name, files)).sort();
}
