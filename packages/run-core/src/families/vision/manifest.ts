import { ModelUnrecognizedError } from '../../errors.js';
import type { ImagePreprocessSpec } from '../../image/preprocess-spec.js';
import { validatePreprocessSpec } from '../../image/preprocess-spec.js';
import type { ClassActivation } from './classifier.js';
import { DETECTION_HEADS, type DetectionHead } from './head-layouts.js';

/** File name of the manifest looked for next to a model. */
export const VISION_MANIFEST_FILE = 'llama-pajamas.json';

/** The task a manifest declares. */
export type VisionTask = 'detect' | 'classify' | 'embed' | 'zero-shot';

/**
 * `llama-pajamas.json`: describes an image model that carries no usable metadata (see docs/model-formats.md).
 * Paths are relative to the manifest's folder.
 */
export interface VisionManifest {
  task: VisionTask;
  /** The ONNX file (default: the only `.onnx` file in the folder). */
  model?: string;
  /** Detection head layout (detect only; default: recognised from the output). */
  family?: DetectionHead;
  /** Preprocessing; omitted fields come from the model (input size) or the task's usual values. */
  input?: Partial<ImagePreprocessSpec> & { name?: string };
  /** Labels inline, or the path of a text file with one label per line. */
  labels?: readonly string[] | string;
  /** Output with class scores (classify) or boxes (detect). */
  output?: string;
  /** How class outputs become probabilities (default softmax). */
  activation?: ClassActivation;
  /** Output with the image embedding (embed). */
  embeddingOutput?: string;
  /** YOLOX grid strides. */
  strides?: number[];
  confidence?: number;
  iou?: number;
  maxDetections?: number;
  /** What @llama-pajamas/converters wrote: runtimes and files, precision, source, versions, parity figures. */
  conversion?: Record<string, unknown>;
}

const TASKS = ['detect', 'classify', 'embed', 'zero-shot'];
const ACTIVATIONS = ['softmax', 'sigmoid', 'none'];
const KEYS = new Set([
  'task',
  'model',
  'family',
  'input',
  'labels',
  'output',
  'activation',
  'embeddingOutput',
  'strides',
  'confidence',
  'iou',
  'maxDetections',
  '$schema',
  'description',
  'conversion',
]);

function bad(where: string, field: string, expected: string, value: unknown): ModelUnrecognizedError {
  return new ModelUnrecognizedError(
    {
      model: where,
      found: `its "${field}" is ${JSON.stringify(value)}`,
      hint: `"${field}" must be ${expected}. See docs/model-formats.md#llama-pajamasjson.`,
    },
    { details: { where, field } },
  );
}

/**
 * Checks a parsed `llama-pajamas.json` and returns it typed; throws {@link ModelUnrecognizedError} naming the bad
 * field. The preprocessing is checked once merged with the model's defaults (see {@link mergeManifestInput}).
 * @example
 * parseVisionManifest({ task: 'classify', labels: 'imagenet1k.txt', input: { width: 224, height: 224 } });
 * // { task: 'classify', labels: 'imagenet1k.txt', input: { width: 224, height: 224 } }
 */
export function parseVisionManifest(json: unknown, where = VISION_MANIFEST_FILE): VisionManifest {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw bad(where, '(root)', 'a JSON object', json);
  }
  const m = json as Record<string, unknown>;
  for (const k of Object.keys(m))
    if (!KEYS.has(k)) throw bad(where, k, `one of the known fields (${[...KEYS].join(', ')})`, m[k]);
  if (!TASKS.includes(m.task as string)) throw bad(where, 'task', `one of ${TASKS.join(', ')}`, m.task);
  if (m.model !== undefined && (typeof m.model !== 'string' || m.model.length === 0))
    throw bad(where, 'model', 'a file name', m.model);
  if (m.family !== undefined && !DETECTION_HEADS.includes(m.family as DetectionHead))
    throw bad(where, 'family', `one of ${DETECTION_HEADS.join(', ')}`, m.family);
  if (m.input !== undefined && (typeof m.input !== 'object' || m.input === null || Array.isArray(m.input))) {
    throw bad(where, 'input', 'an object', m.input);
  }
  if (
    m.labels !== undefined &&
    typeof m.labels !== 'string' &&
    !(Array.isArray(m.labels) && m.labels.every((l) => typeof l === 'string'))
  ) {
    throw bad(where, 'labels', 'an array of strings or a file name', m.labels);
  }
  for (const k of ['output', 'embeddingOutput'] as const) {
    if (m[k] !== undefined && typeof m[k] !== 'string') throw bad(where, k, 'an output name', m[k]);
  }
  if (m.activation !== undefined && !ACTIVATIONS.includes(m.activation as string)) {
    throw bad(where, 'activation', `one of ${ACTIVATIONS.join(', ')}`, m.activation);
  }
  if (m.strides !== undefined && !(Array.isArray(m.strides) && m.strides.every((s) => Number.isInteger(s) && s > 0))) {
    throw bad(where, 'strides', 'an array of positive integers', m.strides);
  }
  for (const k of ['confidence', 'iou'] as const) {
    if (m[k] !== undefined && !(typeof m[k] === 'number' && m[k] >= 0 && m[k] <= 1))
      throw bad(where, k, 'a number from 0 to 1', m[k]);
  }
  if (m.maxDetections !== undefined && !(Number.isInteger(m.maxDetections) && (m.maxDetections as number) >= 0)) {
    throw bad(where, 'maxDetections', 'a non-negative integer', m.maxDetections);
  }
  if (
    m.conversion !== undefined &&
    (typeof m.conversion !== 'object' || m.conversion === null || Array.isArray(m.conversion))
  )
    throw bad(where, 'conversion', 'an object', m.conversion);
  return m as unknown as VisionManifest;
}

/**
 * Usual preprocessing per task, used for fields a manifest leaves out. Detectors resize like their reference code
 * (`cv2.resize` INTER_LINEAR, no antialiasing: `antialias: false`); classifiers like PIL (antialiased).
 */
export function defaultPreprocess(
  task: VisionTask,
  family: DetectionHead | undefined,
  width: number,
  height: number,
): ImagePreprocessSpec {
  if (task === 'detect') {
    if (family === 'yolox') {
      return {
        width,
        height,
        resize: 'letterbox',
        letterboxAlign: 'top-left',
        padValue: 114,
        antialias: false,
        channelOrder: 'bgr',
        layout: 'chw',
        scale: 1,
      };
    }
    if (family === 'fastestdet') {
      return { width, height, resize: 'stretch', antialias: false, channelOrder: 'bgr', layout: 'chw', scale: 1 / 255 };
    }
    return {
      width,
      height,
      resize: 'letterbox',
      letterboxAlign: 'center',
      padValue: 114,
      antialias: false,
      channelOrder: 'rgb',
      layout: 'chw',
      scale: 1 / 255,
    };
  }
  // ImageNet-style classification / embedding.
  return {
    width,
    height,
    resize: 'cover',
    resample: 'bilinear',
    channelOrder: 'rgb',
    layout: 'chw',
    scale: 1 / 255,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  };
}

/**
 * Merges a manifest's `input` over the defaults and validates the result; throws {@link ModelUnrecognizedError}
 * naming the bad field.
 */
export function mergeManifestInput(
  base: ImagePreprocessSpec,
  input: VisionManifest['input'],
  where = VISION_MANIFEST_FILE,
): ImagePreprocessSpec {
  const { name: _name, ...rest } = input ?? {};
  const spec = { ...base, ...rest };
  try {
    validatePreprocessSpec(spec);
  } catch (e) {
    throw new ModelUnrecognizedError(
      {
        model: where,
        found: `its "input" is invalid (${(e as Error).message})`,
        hint: 'Fix "input" (see docs/model-formats.md#llama-pajamasjson).',
      },
      { cause: e, details: { where } },
    );
  }
  return spec;
}
