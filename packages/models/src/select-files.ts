import picomatch from 'picomatch';

/** Weight precision of a model file, as run-core's `RuntimeFiles` names it. */
export type ModelDtype = 'fp32' | 'fp16' | 'int8';

/** Every {@link ModelDtype}, in the order tried when the caller names none. */
export const MODEL_DTYPES: readonly ModelDtype[] = ['fp32', 'fp16', 'int8'];

/**
 * File-stem suffixes that mark an ONNX file's dtype (the onnxruntime runtime's table in run-core's contract:
 * fp32 has none). Stems with another quantization suffix (`_q4`, `_bnb4`, `_q4f16`) belong to no dtype here.
 */
export const ONNX_DTYPE_SUFFIXES: Readonly<Record<ModelDtype, readonly string[]>> = {
  fp32: [''],
  fp16: ['_fp16'],
  int8: ['_quantized', '_int8', '_q8', '_uint8'],
};

const OTHER_QUANT_SUFFIXES = ['_q4', '_q4f16', '_bnb4', '_q8f16'];

/** Files a model folder needs whatever its dtype: configs, tokenizers, vocabularies, label lists. */
const SUPPORT_FILE = /\.(json|txt|model|spm|tiktoken)$/i;
const ONNX_FILE = /\.onnx$/i;
const ONNX_DATA = /\.onnx(_data|\.data)$/i;

/** The dtype an ONNX file name stands for (from its stem's suffix), or undefined for other quantizations. */
export function onnxFileDtype(path: string): ModelDtype | undefined {
  const stem = (path.split('/').pop() ?? path).replace(ONNX_FILE, '');
  if (OTHER_QUANT_SUFFIXES.some((s) => stem.endsWith(s))) return undefined;
  for (const dtype of ['fp16', 'int8'] as const) {
    if (ONNX_DTYPE_SUFFIXES[dtype].some((s) => stem.endsWith(s))) return dtype;
  }
  return 'fp32';
}

/** How {@link selectRepoFiles} picks files out of a repository listing. */
export interface SelectFilesOptions {
  /** Glob(s) a file must match (`*` stays inside one folder, `**` crosses folders). */
  include?: string | readonly string[];
  /** Only ONNX files of this dtype; without it, the first of {@link MODEL_DTYPES} that the repository has. */
  dtype?: ModelDtype;
}

/**
 * Picks what to download from a repository's file list: with `include`, the matching files (their ONNX files
 * narrowed to `dtype` when one is given); otherwise the support files (json/txt/tokenizers) plus the ONNX files
 * (and their external-data files) of one dtype — never the other dtypes or the PyTorch/TF weights.
 * @example
 * selectRepoFiles(['config.json', 'onnx/model.onnx', 'onnx/model_fp16.onnx', 'pytorch_model.bin'], { dtype: 'fp16' })
 * // ['config.json', 'onnx/model_fp16.onnx']
 */
export function selectRepoFiles(files: readonly string[], options: SelectFilesOptions = {}): string[] {
  const include = options.include === undefined ? undefined : [options.include].flat();
  if (include !== undefined) {
    const match = picomatch(include, { dot: true });
    return files.filter((f) => match(f) && (options.dtype === undefined || !isOtherDtypeOnnx(f, options.dtype)));
  }
  const onnx = files.filter((f) => ONNX_FILE.test(f));
  const dtype = options.dtype ?? MODEL_DTYPES.find((d) => onnx.some((f) => onnxFileDtype(f) === d));
  const models = onnx.filter((f) => onnxFileDtype(f) === dtype);
  const data = files.filter((f) => ONNX_DATA.test(f) && models.some((m) => f.startsWith(m)));
  const support = files.filter((f) => SUPPORT_FILE.test(f) && !f.startsWith('.'));
  return [...new Set([...support, ...models, ...data])].sort();
}

function isOtherDtypeOnnx(path: string, dtype: ModelDtype): boolean {
  return ONNX_FILE.test(path) && onnxFileDtype(path) !== dtype;
}
