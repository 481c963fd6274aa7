import type { ModelDtype, RuntimeFiles } from '../session.js';
import { dtypeOrder, modelFileNames } from './files.js';

/**
 * One file of a model family: a model `stem` (joined with a runtime's dtype suffix and extension, `*` = any
 * name) or a plain `file` name (`*` = any name), in one of `folders` (default the model folder itself).
 */
export interface FamilyFile {
  readonly stem?: string;
  readonly file?: string;
  /** Sub-folders it may be in, in order (`''` = the model folder). */
  readonly folders?: readonly string[];
}

/** The files of one model family, as a model manager needs them to know what to download. */
export interface FamilyFileSet {
  /** What the family serves. */
  readonly kind: 'vision' | 'speech-to-text' | 'text-to-speech' | 'voice-activity';
  /** The family in a few words, for messages. */
  readonly description: string;
  /** Every group must be present; a group is met by any one of its files (alternatives in preference order). */
  readonly required: readonly (readonly FamilyFile[])[];
  /** Files used when present. */
  readonly optional: readonly FamilyFile[];
}

const HF_MODEL_FOLDERS = ['onnx', ''];
const WHISPER_FOLDERS = ['', 'onnx'];

/**
 * The recognisers' table: every model family run-core's loaders open, with the files each needs. The loaders
 * look files up with it; a model manager reads it to know what to download.
 */
export const FAMILY_FILES = {
  'vision-manifest': {
    kind: 'vision',
    description: 'an image model described by a llama-pajamas.json manifest',
    required: [[{ file: 'llama-pajamas.json' }], [{ stem: '*' }]],
    optional: [],
  },
  'hf-image-classifier': {
    kind: 'vision',
    description: 'a Hugging Face image classifier',
    required: [
      [{ file: 'config.json' }],
      [{ file: 'preprocessor_config.json' }],
      [{ stem: 'model', folders: HF_MODEL_FOLDERS }],
    ],
    optional: [],
  },
  clip: {
    kind: 'vision',
    description: 'a CLIP model',
    required: [
      [{ file: 'config.json' }],
      [{ file: 'preprocessor_config.json' }],
      [
        { stem: 'vision_model', folders: HF_MODEL_FOLDERS },
        { stem: 'model', folders: HF_MODEL_FOLDERS },
      ],
    ],
    optional: [
      { stem: 'text_model', folders: HF_MODEL_FOLDERS },
      { file: 'tokenizer.json' },
      { file: 'tokenizer_config.json' },
    ],
  },
  'vision-single-file': {
    kind: 'vision',
    description: 'exactly one model file (Ultralytics metadata, or a YOLOX/YOLOv5/FastestDet output layout)',
    required: [[{ stem: '*' }]],
    optional: [],
  },
  whisper: {
    kind: 'speech-to-text',
    description: 'a Whisper model exported by Optimum',
    required: [
      [{ file: 'config.json' }],
      [{ file: 'tokenizer.json' }],
      [{ stem: 'encoder_model', folders: WHISPER_FOLDERS }],
      [
        { stem: 'decoder_model_merged', folders: WHISPER_FOLDERS },
        { stem: 'decoder_model', folders: WHISPER_FOLDERS },
      ],
    ],
    optional: [
      { stem: 'decoder_with_past_model', folders: WHISPER_FOLDERS },
      { file: 'generation_config.json' },
      { file: 'preprocessor_config.json' },
      { file: 'tokenizer_config.json' },
    ],
  },
  piper: {
    kind: 'text-to-speech',
    description: 'a Piper voice (<name>.onnx + <name>.onnx.json)',
    required: [[{ stem: '*' }], [{ file: '*.onnx.json' }]],
    optional: [],
  },
  'silero-vad': {
    kind: 'voice-activity',
    description: 'a Silero VAD model (v4, v5, v6)',
    required: [[{ stem: '*' }]],
    optional: [],
  },
} as const satisfies Record<string, FamilyFileSet>;

/** A family named in {@link FAMILY_FILES}. */
export type ModelFamily = keyof typeof FAMILY_FILES;

/**
 * The relative paths a family file may have for one runtime and dtype, preferred first.
 * @example
 * familyFilePaths({ stem: 'model', folders: ['onnx', ''] }, onnxBackend.files, 'fp32');
 * // ['onnx/model.onnx', 'model.onnx']
 */
export function familyFilePaths(file: FamilyFile, files: RuntimeFiles, dtype: ModelDtype): string[] {
  const folders = file.folders ?? [''];
  const names = file.stem !== undefined ? modelFileNames(file.stem, files, dtype) : [file.file ?? ''];
  return folders.flatMap((folder) => names.map((name) => (folder ? `${folder}/${name}` : name)));
}

function describeFile(file: FamilyFile, files: RuntimeFiles): string {
  const [first] = familyFilePaths(file, files, dtypeOrder(files)[0] ?? 'fp32');
  return file.stem === '*' ? `a ${files.extensions.join('/')} file` : (first ?? '');
}

/**
 * The families of one kind in words (`description: file + file (+ optional)`), for "looked for" messages.
 * @example
 * familyLookedFor('vision', onnxBackend.files)[1];
 * // 'a Hugging Face image classifier: config.json + preprocessor_config.json + onnx/model.onnx'
 */
export function familyLookedFor(kind: FamilyFileSet['kind'], files: RuntimeFiles): string[] {
  return Object.values(FAMILY_FILES as Record<string, FamilyFileSet>)
    .filter((f) => f.kind === kind)
    .map((f) => {
      const required = f.required.map((group) => group.map((file) => describeFile(file, files)).join(' or '));
      const optional = f.optional.map((file) => describeFile(file, files));
      return `${f.description}: ${required.join(' + ')}${optional.length > 0 ? ` (+ ${optional.join(', ')})` : ''}`;
    });
}
