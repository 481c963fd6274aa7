import { ModelUnrecognizedError } from '../../errors.js';
import type { ImagePreprocessSpec, ResampleKernel } from '../../image/preprocess-spec.js';

/** The fields of a Hugging Face `preprocessor_config.json` (image processor) that this package reads. */
export interface HfImageProcessorConfig {
  image_processor_type?: string;
  feature_extractor_type?: string;
  do_resize?: boolean;
  size?: number | { height?: number; width?: number; shortest_edge?: number; longest_edge?: number };
  crop_size?: number | { height?: number; width?: number };
  crop_pct?: number | null;
  do_center_crop?: boolean;
  resample?: number;
  do_rescale?: boolean;
  rescale_factor?: number;
  do_normalize?: boolean;
  image_mean?: number[] | number;
  image_std?: number[] | number;
  do_convert_rgb?: boolean | null;
}

/** PIL resampling enum (`PIL.Image.Resampling`) to libvips kernels. */
const PIL_RESAMPLE: Record<number, ResampleKernel> = {
  0: 'nearest',
  1: 'lanczos3',
  2: 'bilinear',
  3: 'bicubic',
  4: 'bilinear',
  5: 'bilinear',
};

function triple(v: number[] | number | undefined, fallback: number): [number, number, number] {
  if (v === undefined) return [fallback, fallback, fallback];
  if (typeof v === 'number') return [v, v, v];
  if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number')) return [v[0]!, v[1]!, v[2]!];
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return [v[0], v[0], v[0]];
  throw new ModelUnrecognizedError(
    {
      model: 'preprocessor_config.json',
      found: `its image_mean/image_std is ${JSON.stringify(v)}`,
      hint: 'image_mean and image_std must be 3 numbers (or one); fix the file or describe the preprocessing in a llama-pajamas.json manifest.',
    },
    { details: { value: v } },
  );
}

function square(
  v: number | { height?: number; width?: number } | undefined,
): { width: number; height: number } | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return { width: v, height: v };
  if (typeof v.width === 'number' && typeof v.height === 'number') return { width: v.width, height: v.height };
  return undefined;
}

function unsupported(where: string, why: string, config: HfImageProcessorConfig): ModelUnrecognizedError {
  return new ModelUnrecognizedError(
    {
      model: where,
      found: why,
      lookedFor: [
        'size {height,width} (ViT)',
        'size {shortest_edge} + crop_size (CLIP, MobileNet)',
        'size {shortest_edge} + crop_pct (ConvNeXt, ResNet)',
      ],
      hint: 'Describe the preprocessing in a llama-pajamas.json manifest instead.',
    },
    { details: { where, config } },
  );
}

/**
 * Turns a Hugging Face image processor config into an {@link ImagePreprocessSpec}, following
 * `ViTImageProcessor` (resize to height x width), `CLIPImageProcessor`/`MobileNetV2ImageProcessor` (shortest edge,
 * centre crop) and `ConvNextImageProcessor` (shortest edge / crop_pct, centre crop; warp at 384 and above).
 * Throws {@link ModelUnrecognizedError} for layouts it cannot reproduce.
 * @example
 * hfPreprocessSpec({ size: { shortest_edge: 224 }, crop_size: { height: 224, width: 224 }, do_center_crop: true, resample: 3 });
 * // { width: 224, height: 224, resize: 'shortest-edge-center-crop', shortestEdge: 224, resample: 'bicubic', ... }
 */
export function hfPreprocessSpec(
  config: HfImageProcessorConfig,
  where = 'preprocessor_config.json',
): ImagePreprocessSpec {
  const type = config.image_processor_type ?? config.feature_extractor_type ?? '';
  const resample = PIL_RESAMPLE[config.resample ?? 2] ?? 'bilinear';
  const scale = config.do_rescale === false ? 1 : (config.rescale_factor ?? 1 / 255);
  const normalize = config.do_normalize !== false;
  const mean = normalize ? triple(config.image_mean, 0.5) : ([0, 0, 0] as const);
  const std = normalize ? triple(config.image_std, 0.5) : ([1, 1, 1] as const);
  // A 0-255 mean/std is used with do_rescale=false; (x*1 - mean)/std works for both. PIL decodes at full size:
  // JPEG shrink-on-load (libjpeg DCT scaling) would move values by several levels at >= 8x reductions.
  const base = { channelOrder: 'rgb', layout: 'chw', scale, mean, std, resample, fastShrinkOnLoad: false } as const;
  if (config.do_resize === false) throw unsupported(where, 'do_resize is false (the input size is unknown)', config);
  const size = config.size;
  const shortestEdgeStyle = /CLIP|ConvNext|MobileNet|Siglip|Bit|EfficientNet|LevitImage|Owl/i.test(type);
  let shortest: number | undefined;
  if (typeof size === 'number') shortest = shortestEdgeStyle ? size : undefined;
  else if (size && typeof size.shortest_edge === 'number') shortest = size.shortest_edge;
  if (shortest === undefined) {
    const hw = square(size);
    if (!hw) throw unsupported(where, `size ${JSON.stringify(size)} is not understood`, config);
    const crop = config.do_center_crop ? square(config.crop_size) : undefined;
    if (crop && (crop.width !== hw.width || crop.height !== hw.height)) {
      throw unsupported(where, 'resizing to height x width and then centre-cropping is not supported', config);
    }
    return { width: hw.width, height: hw.height, resize: 'stretch', ...base };
  }
  if (typeof config.crop_pct === 'number' && /ConvNext/i.test(type)) {
    if (shortest >= 384) return { width: shortest, height: shortest, resize: 'stretch', ...base };
    return {
      width: shortest,
      height: shortest,
      resize: 'shortest-edge-center-crop',
      shortestEdge: Math.trunc(shortest / config.crop_pct),
      ...base,
    };
  }
  const crop =
    config.do_center_crop === false ? undefined : (square(config.crop_size) ?? { width: shortest, height: shortest });
  if (!crop)
    throw unsupported(where, 'shortest_edge resizing without a centre crop gives a variable input size', config);
  return {
    width: crop.width,
    height: crop.height,
    resize: 'shortest-edge-center-crop',
    shortestEdge: shortest,
    ...base,
  };
}

/**
 * Reads `id2label` from a Hugging Face `config.json` into an array (index = class id); gaps become the id as text.
 * @example
 * hfLabels({ id2label: { '0': 'cat', '1': 'dog' } }); // ['cat', 'dog']
 */
export function hfLabels(config: { id2label?: Record<string, string> }): string[] {
  const map = config.id2label;
  if (!map || typeof map !== 'object') return [];
  const ids = Object.keys(map)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n >= 0 && n < 1_000_000);
  const n = ids.length === 0 ? 0 : Math.max(...ids) + 1;
  return Array.from({ length: n }, (_, i) => {
    const v = map[String(i)];
    return typeof v === 'string' ? v : String(i);
  });
}

/**
 * Parses Ultralytics' `names` metadata (a Python dict literal such as `{0: 'person', 1: "bicycle"}`) into an
 * array of labels; returns `[]` when it cannot be read.
 * @example
 * parseUltralyticsNames("{0: 'person', 1: 'bicycle'}"); // ['person', 'bicycle']
 */
export function parseUltralyticsNames(text: string | undefined): string[] {
  if (!text) return [];
  const out: string[] = [];
  const re = /(\d+)\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const id = Number(m[1]);
    if (id >= 1_000_000) continue;
    out[id] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  }
  for (let i = 0; i < out.length; i++) if (out[i] === undefined) out[i] = String(i);
  return out;
}

/**
 * Parses Ultralytics' `imgsz` metadata (`[640, 640]` = height, width, or `640`) into `{ width, height }`.
 * @example
 * parseUltralyticsImgsz('[384, 640]'); // { width: 640, height: 384 }
 */
export function parseUltralyticsImgsz(text: string | undefined): { width: number; height: number } | undefined {
  if (!text) return undefined;
  const nums = (text.match(/\d+/g) ?? []).map(Number);
  if (nums.length === 1 && nums[0]! > 0) return { width: nums[0]!, height: nums[0]! };
  if (nums.length >= 2 && nums[0]! > 0 && nums[1]! > 0) return { width: nums[1]!, height: nums[0]! };
  return undefined;
}
