import {
  FAMILY_FILES,
  familyFilePaths,
  type FamilyFile,
  type FamilyFileSet,
  type ModelFamily,
  type RuntimeFiles,
} from '@llama-pajamas/run-core';
import { ONNX_DTYPE_SUFFIXES, type ModelDtype } from './select-files.js';

/** How ONNX Runtime names model files (run-onnx's `onnxBackend.files`; the model manager needs no runtime). */
export const ONNX_RUNTIME_FILES: RuntimeFiles = {
  extensions: ['.onnx'],
  dtypeSuffixes: ONNX_DTYPE_SUFFIXES,
  dtypePreference: ['fp32', 'int8', 'fp16'],
};

/** What {@link selectFamilyFiles} found: the family, the dtype and the repository files to fetch. */
export interface FamilySelection {
  readonly family: ModelFamily;
  readonly dtype: ModelDtype;
  readonly files: readonly string[];
}

const isWildcard = (f: FamilyFile): boolean => f.stem === '*' || (f.file ?? '').includes('*');

function firstListed(file: FamilyFile, listed: ReadonlySet<string>, runtime: RuntimeFiles, dtype: ModelDtype) {
  return familyFilePaths(file, runtime, dtype).find((p) => listed.has(p));
}

/**
 * Reads run-core's `FAMILY_FILES` table against a repository listing: the family whose required files are all
 * there (the one that uses the most files when several are), for the first dtype (the runtime's preference, or
 * `dtype`) that has them, with its optional files and ONNX external-data files. Families named only by wildcards
 * (a single `.onnx` file, a Piper voice) cannot be told apart in a listing and are left to the caller.
 * @example
 * selectFamilyFiles(['config.json', 'tokenizer.json', 'onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx'])
 * // { family: 'whisper', dtype: 'fp32', files: ['config.json', 'tokenizer.json', 'onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx'] }
 */
export function selectFamilyFiles(
  listing: readonly string[],
  options: { family?: ModelFamily; dtype?: ModelDtype; runtime?: RuntimeFiles } = {},
): FamilySelection | undefined {
  const runtime = options.runtime ?? ONNX_RUNTIME_FILES;
  const listed = new Set(listing);
  const table = FAMILY_FILES as Readonly<Record<ModelFamily, FamilyFileSet>>;
  const families = options.family ? [options.family] : (Object.keys(table) as ModelFamily[]);
  for (const dtype of options.dtype ? [options.dtype] : runtime.dtypePreference) {
    let best: FamilySelection | undefined;
    for (const family of families) {
      const set = table[family];
      if (set.required.some((group) => group.some(isWildcard))) continue;
      const required = set.required.map((group) =>
        group.map((f) => firstListed(f, listed, runtime, dtype)).find(Boolean),
      );
      if (required.some((p) => p === undefined)) continue;
      const optional = set.optional.filter((f) => !isWildcard(f)).map((f) => firstListed(f, listed, runtime, dtype));
      const chosen = [...required, ...optional].filter((p): p is string => p !== undefined);
      const data = listing.filter((f) => chosen.some((c) => f === `${c}_data` || f === `${c}.data`));
      const files = [...new Set([...chosen, ...data])];
      if (!best || files.length > best.files.length) best = { family, dtype, files };
    }
    if (best) return best;
  }
  return undefined;
}
