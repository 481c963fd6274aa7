import sharp from 'sharp';
import type { OutputInfo, Sharp } from 'sharp';
import {
  ImageDecodeError,
  ImageTooLargeError,
  InvalidArgumentError,
  invalidParameter,
  throwIfAborted,
} from '../errors.js';
import { createTensor } from '../tensor.js';
import type { Tensor } from '../tensor.js';
import type { ImageInput } from '../types/vision.js';
import { readImageBytes, resolveImageLimits } from './decode.js';
import { readJpegHeader } from './jpeg-header.js';
import type { ImageLimits } from './decode.js';
import {
  coverGeometry,
  letterboxCenterGeometry,
  letterboxTopLeftGeometry,
  shortestEdgeCenterCropGeometry,
  stretchGeometry,
} from './geometry.js';
import type { ImageTransform, ResizeGeometry } from './geometry.js';

export type { ImageTransform, ResizeGeometry } from './geometry.js';

/**
 * How the source is fitted to the model input:
 * - `letterbox`: keep aspect ratio, pad with `padValue` (Ultralytics: centred; YOLOX: top-left).
 * - `stretch`: resize to exactly width x height (HF ViT).
 * - `shortest-edge-center-crop`: short side to `shortestEdge`, then centre crop (HF CLIP, ConvNeXt).
 * - `cover`: keep aspect ratio, fill the input, crop the overflow from the centre.
 */
export type ResizeMode = 'letterbox' | 'stretch' | 'shortest-edge-center-crop' | 'cover';

/** Resampling kernel; `bilinear` and `bicubic` are libvips' antialiased `linear`/`cubic` (close to PIL's). */
export type ResampleKernel = 'nearest' | 'bilinear' | 'bicubic' | 'lanczos3';

/** What a model wants its image input to look like. */
export interface ImagePreprocessSpec {
  /** Model input width in pixels. */
  width: number;
  /** Model input height in pixels. */
  height: number;
  resize: ResizeMode;
  /** Letterbox placement: `center` (Ultralytics v5/v8/v11, default) or `top-left` (YOLOX, pad bottom/right). */
  letterboxAlign?: 'center' | 'top-left';
  /** Letterbox padding value 0-255, before scale/mean/std (default 114). */
  padValue?: number;
  /** For `shortest-edge-center-crop`: the short side after resizing (default `min(width, height)`). */
  shortestEdge?: number;
  /** Default `bilinear`. */
  resample?: ResampleKernel;
  channelOrder: 'rgb' | 'bgr';
  layout: 'chw' | 'hwc';
  /** Multiplier applied to 0-255 values, usually `1/255` or `1`. */
  scale: number;
  /** Per-channel mean (RGB order) subtracted after scaling: `(x*scale - mean)/std`. Default 0. */
  mean?: readonly [number, number, number];
  /** Per-channel std (RGB order). Default 1. */
  std?: readonly [number, number, number];
  /**
   * Colour that transparent pixels are composited on (0-255 RGB). Default black `[0, 0, 0]`, which gives the
   * same pixels as dropping alpha (PIL `convert('RGB')`, OpenCV `imread`) for the usual PNGs whose transparent
   * pixels are stored black.
   */
  alphaBackground?: readonly [number, number, number];
  /**
   * Let libjpeg/libwebp decode at 1/2, 1/4 or 1/8 scale when the image is much larger than the model input
   * (default true: about 2x faster on camera-sized photos; values move by 1-5/255 on average at >= 8x
   * reductions). `false` decodes at full size, as PIL and OpenCV do (`hfPreprocessSpec` sets it).
   */
  fastShrinkOnLoad?: boolean;
  /**
   * Low-pass filter when shrinking (default true: libvips `resize`, like PIL/`transformers`). `false` samples the
   * 2x2 (bilinear) or 4x4 (bicubic) source pixels around each output pixel's centre without antialiasing, as
   * OpenCV `cv2.resize(INTER_LINEAR)` does for Ultralytics and YOLOX; it decodes at full size (no shrink-on-load).
   */
  antialias?: boolean;
}

/** One image ready for a model: the float tensor data plus how to map results back to the source. */
export interface PreprocessedImage {
  /** The image's float values; a view into `options.target` when one was given. */
  data: Float32Array;
  dims: [1, 3, number, number] | [1, number, number, 3];
  /** Source size after EXIF orientation. */
  sourceWidth: number;
  sourceHeight: number;
  transform: ImageTransform;
}

/** Options of {@link preprocessImage}. */
export interface PreprocessOptions {
  limits?: ImageLimits;
  signal?: AbortSignal;
  /** Write into this array (at `targetOffset`) instead of allocating one. */
  target?: Float32Array;
  /** Element offset into `target` (default 0). */
  targetOffset?: number;
}

/** Options of {@link preprocessImages}. */
export interface PreprocessBatchOptions {
  limits?: ImageLimits;
  signal?: AbortSignal;
  /** How many images are decoded at the same time (default 4, libuv's thread pool size). */
  concurrency?: number;
}

/** A decoded image in 8-bit RGB, interleaved (HWC). */
export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

const KERNELS = {
  nearest: 'nearest',
  bilinear: 'linear',
  bicubic: 'cubic',
  lanczos3: 'lanczos3',
} as const;

const MAX_INPUT_SIDE = 16384;

function checkPositiveInt(name: string, value: unknown, max = MAX_INPUT_SIDE): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw invalidParameter(name, `an integer from 1 to ${max}`, value);
  }
}

function checkTriple(name: string, value: unknown, positive: boolean): void {
  if (value === undefined) return;
  if (
    !Array.isArray(value) ||
    value.length !== 3 ||
    !value.every((v) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0))
  ) {
    throw invalidParameter(name, `an array of 3 finite${positive ? ' positive' : ''} numbers`, value);
  }
}

/** Checks every field of an {@link ImagePreprocessSpec}; throws {@link InvalidArgumentError} naming the bad one. */
export function validatePreprocessSpec(spec: ImagePreprocessSpec): void {
  if (typeof spec !== 'object' || spec === null) throw invalidParameter('spec', 'an object', spec);
  checkPositiveInt('spec.width', spec.width);
  checkPositiveInt('spec.height', spec.height);
  if (!['letterbox', 'stretch', 'shortest-edge-center-crop', 'cover'].includes(spec.resize)) {
    throw invalidParameter(
      'spec.resize',
      "'letterbox', 'stretch', 'shortest-edge-center-crop' or 'cover'",
      spec.resize,
    );
  }
  if (spec.letterboxAlign !== undefined && spec.letterboxAlign !== 'center' && spec.letterboxAlign !== 'top-left') {
    throw invalidParameter('spec.letterboxAlign', "'center' or 'top-left'", spec.letterboxAlign);
  }
  if (
    spec.padValue !== undefined &&
    (typeof spec.padValue !== 'number' || !Number.isInteger(spec.padValue) || spec.padValue < 0 || spec.padValue > 255)
  ) {
    throw invalidParameter('spec.padValue', 'an integer from 0 to 255', spec.padValue);
  }
  if (spec.shortestEdge !== undefined) checkPositiveInt('spec.shortestEdge', spec.shortestEdge);
  if (spec.resample !== undefined && !(spec.resample in KERNELS)) {
    throw invalidParameter('spec.resample', "'nearest', 'bilinear', 'bicubic' or 'lanczos3'", spec.resample);
  }
  if (spec.channelOrder !== 'rgb' && spec.channelOrder !== 'bgr') {
    throw invalidParameter('spec.channelOrder', "'rgb' or 'bgr'", spec.channelOrder);
  }
  if (spec.layout !== 'chw' && spec.layout !== 'hwc')
    throw invalidParameter('spec.layout', "'chw' or 'hwc'", spec.layout);
  if (typeof spec.scale !== 'number' || !Number.isFinite(spec.scale)) {
    throw invalidParameter('spec.scale', 'a finite number (usually 1/255 or 1)', spec.scale);
  }
  checkTriple('spec.mean', spec.mean, false);
  checkTriple('spec.std', spec.std, true);
  checkTriple('spec.alphaBackground', spec.alphaBackground, false);
  for (const k of ['fastShrinkOnLoad', 'antialias'] as const) {
    if (spec[k] !== undefined && typeof spec[k] !== 'boolean')
      throw invalidParameter(`spec.${k}`, 'a boolean', spec[k]);
  }
}

/**
 * Computes where the source lands in the model input for `spec`, from the source size alone (after EXIF
 * orientation). Exposed so callers can check geometry without decoding.
 * @example
 * computeResizeGeometry(768, 576, { width: 640, height: 640, resize: 'letterbox', ... }).padTop; // 80
 */
export function computeResizeGeometry(
  sourceWidth: number,
  sourceHeight: number,
  spec: Pick<ImagePreprocessSpec, 'width' | 'height' | 'resize' | 'letterboxAlign' | 'shortestEdge'>,
): ResizeGeometry {
  const { width, height } = spec;
  switch (spec.resize) {
    case 'letterbox':
      return spec.letterboxAlign === 'top-left'
        ? letterboxTopLeftGeometry(sourceWidth, sourceHeight, width, height)
        : letterboxCenterGeometry(sourceWidth, sourceHeight, width, height);
    case 'stretch':
      return stretchGeometry(sourceWidth, sourceHeight, width, height);
    case 'shortest-edge-center-crop':
      return shortestEdgeCenterCropGeometry(
        sourceWidth,
        sourceHeight,
        width,
        height,
        spec.shortestEdge ?? Math.min(width, height),
      );
    case 'cover':
      return coverGeometry(sourceWidth, sourceHeight, width, height);
    default:
      throw invalidParameter(
        'spec.resize',
        "'letterbox', 'stretch', 'shortest-edge-center-crop' or 'cover'",
        spec.resize,
      );
  }
}

/** Turns a libvips/sharp failure into a typed error. */
function wrapSharpError(cause: unknown, maxPixels: number): Error {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/pixel limit/i.test(message)) {
    return new ImageTooLargeError(
      `The image has more than ${maxPixels} pixels (the limit). Send a smaller image or raise limits.maxPixels.`,
      { cause, details: { maxPixels } },
    );
  }
  let what = 'The image could not be decoded';
  if (/unsupported image format/i.test(message)) what = 'The bytes are not an image in a supported format';
  else if (/premature end|truncated|end of (file|input|stream)/i.test(message)) what = 'The image is truncated';
  else if (/corrupt|invalid|bad/i.test(message)) what = 'The image is corrupt';
  return new ImageDecodeError(
    `${what} (${message.split('\n')[0] ?? message}). Expected a complete JPEG, PNG, WebP, GIF, TIFF or AVIF image.`,
    { cause, details: { reason: message } },
  );
}

/** The resized image as interleaved RGB bytes, before padding or cropping (done while writing floats). */
interface ResizedRaw {
  data: Uint8Array;
  /** Row length in pixels of `data` (may exceed the resized width). */
  stride: number;
  /** Rows in `data`. */
  rows: number;
  sourceWidth: number;
  sourceHeight: number;
  geometry: ResizeGeometry;
}

/**
 * Affine interpolators used for enlarging axes (libvips' `resize` is half a pixel off when it enlarges) and, with
 * `antialias: false`, for shrinking ones.
 */
const UPSCALE_INTERPOLATORS = {
  nearest: 'nearest',
  bilinear: 'bilinear',
  bicubic: 'bicubic',
  lanczos3: 'bicubic',
} as const;

/** Edge pixels replicated around an image before the affine, so borders match OpenCV/PIL. */
const UPSCALE_MARGIN = 2;

async function toRaw(pipeline: Sharp, maxPixels: number): Promise<{ data: Buffer; info: OutputInfo }> {
  try {
    return await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (cause) {
    throw wrapSharpError(cause, maxPixels);
  }
}

/** Throws when libvips produced another size than the header promised (a header it reads differently). */
function checkDecodedSize(info: OutputInfo, width: number, height: number): void {
  if (info.width !== width || info.height !== height) {
    throw new ImageDecodeError(
      `The image decoded to ${info.width}x${info.height} pixels but its header led to expect ${width}x${height}. ` +
        'Expected a well-formed image; re-encode it (for example with sharp or PIL) and try again.',
      {
        details: {
          reason: 'size-mismatch',
          width: info.width,
          height: info.height,
          expectedWidth: width,
          expectedHeight: height,
        },
      },
    );
  }
}

/**
 * Decodes once and resizes in libvips, giving interleaved RGB bytes at the resized size. Shrinking axes use
 * libvips' antialiased `resize` (with JPEG shrink-on-load unless `fastShrinkOnLoad` is false); enlarging axes,
 * and shrinking ones when `antialias` is false, use an `affine` with pixel-centre alignment and replicated
 * edges, which matches OpenCV `INTER_LINEAR` and PIL within rounding.
 */
async function decodeResized(
  bytes: Uint8Array,
  spec: ImagePreprocessSpec,
  maxPixels: number,
  signal: AbortSignal | undefined,
): Promise<ResizedRaw> {
  let image: Sharp;
  let sourceWidth: number;
  let sourceHeight: number;
  try {
    image = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', autoOrient: true, sequentialRead: true });
    // JPEG: size and orientation straight from the markers (no second libvips header read); others ask libvips.
    const jpeg = readJpegHeader(bytes);
    if (jpeg !== undefined) {
      const swap = jpeg.orientation >= 5;
      sourceWidth = swap ? jpeg.height : jpeg.width;
      sourceHeight = swap ? jpeg.width : jpeg.height;
    } else {
      const meta = await image.metadata();
      sourceWidth = meta.autoOrient.width;
      sourceHeight = meta.autoOrient.height;
    }
  } catch (cause) {
    throw wrapSharpError(cause, maxPixels);
  }
  if (!(sourceWidth > 0 && sourceHeight > 0)) {
    throw new ImageDecodeError('The image header declares no size. Expected a complete image.', {
      details: { reason: 'no-size' },
    });
  }
  if (sourceWidth * sourceHeight > maxPixels) {
    throw new ImageTooLargeError(
      `The image is ${sourceWidth}x${sourceHeight} (${sourceWidth * sourceHeight} pixels) but the limit is ${maxPixels} pixels. Send a smaller image or raise limits.maxPixels.`,
      { details: { width: sourceWidth, height: sourceHeight, maxPixels } },
    );
  }
  throwIfAborted(signal);
  const geometry = computeResizeGeometry(sourceWidth, sourceHeight, spec);
  const { resizeWidth, resizeHeight } = geometry;
  const bg = spec.alphaBackground ?? [0, 0, 0];
  const resample = spec.resample ?? 'bilinear';
  let pipeline = image.flatten({ background: { r: bg[0], g: bg[1], b: bg[2] } });
  // Axes that shrink go through libvips' antialiased `resize`, unless antialias is off (then the affine does all).
  const antialias = spec.antialias ?? true;
  const downW = antialias ? Math.min(resizeWidth, sourceWidth) : sourceWidth;
  const downH = antialias ? Math.min(resizeHeight, sourceHeight) : sourceHeight;
  if (downW !== sourceWidth || downH !== sourceHeight) {
    // sharp's `fastShrinkOnLoad: false` still lets libjpeg shrink 1/2-1/8 while leaving a 2x reduction for
    // `resize`; a whole-image extract before the resize is what turns JPEG shrink-on-load off completely.
    if (spec.fastShrinkOnLoad === false)
      pipeline = pipeline.extract({ left: 0, top: 0, width: sourceWidth, height: sourceHeight });
    pipeline = pipeline.resize(downW, downH, {
      fit: 'fill',
      kernel: KERNELS[resample],
      fastShrinkOnLoad: spec.fastShrinkOnLoad ?? true,
    });
  }
  if (downW === resizeWidth && downH === resizeHeight) {
    const out = await toRaw(pipeline, maxPixels);
    throwIfAborted(signal);
    checkDecodedSize(out.info, downW, downH);
    return { data: out.data, stride: out.info.width, rows: out.info.height, sourceWidth, sourceHeight, geometry };
  }
  const sx = resizeWidth / downW;
  const sy = resizeHeight / downH;
  if (!antialias && sx <= 1 && sy <= 1 && resample !== 'bicubic' && resample !== 'lanczos3') {
    // Shrinking without antialiasing, 2x2 window: every sample (x + 0.5) / s - 0.5 lies inside [0, size - 1], so
    // no edge replication is needed and the affine runs in the decoding pipeline (faster than a resize).
    const out = await toRaw(
      pipeline.affine(
        [
          [sx, 0],
          [0, sy],
        ],
        { interpolator: UPSCALE_INTERPOLATORS[resample], odx: 0.5 * sx - 0.5, ody: 0.5 * sy - 0.5 },
      ),
      maxPixels,
    );
    throwIfAborted(signal);
    // Another size means libvips decoded another size than the header said: the checked path below tells.
    if (out.info.width === resizeWidth && out.info.height === resizeHeight) {
      return { data: out.data, stride: out.info.width, rows: out.info.height, sourceWidth, sourceHeight, geometry };
    }
  }
  // Enlarging (or, without antialiasing, shrinking) on at least one axis: replicate the edges, then an affine
  // with pixel-centre alignment: output x samples source (x + 0.5) / sx - 0.5, as cv2.resize and PIL do.
  const m = UPSCALE_MARGIN;
  const padded = await toRaw(pipeline.extend({ top: m, bottom: m, left: m, right: m, extendWith: 'copy' }), maxPixels);
  throwIfAborted(signal);
  checkDecodedSize(padded.info, downW + 2 * m, downH + 2 * m);
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await sharp(padded.data, {
      raw: { width: padded.info.width, height: padded.info.height, channels: padded.info.channels as 3 },
    })
      .affine(
        [
          [sx, 0],
          [0, sy],
        ],
        {
          interpolator: UPSCALE_INTERPOLATORS[resample],
          odx: 0.5 * sx - 0.5 - m * sx,
          ody: 0.5 * sy - 0.5 - m * sy,
        },
      )
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (cause) {
    throw wrapSharpError(cause, maxPixels);
  }
  throwIfAborted(signal);
  return { data: out.data, stride: out.info.width, rows: out.info.height, sourceWidth, sourceHeight, geometry };
}

/** Where the resized image lands in the output: output (x, y) reads resized (x - padLeft + cropLeft, ...). */
interface Placement {
  padLeft: number;
  padTop: number;
  cropLeft: number;
  cropTop: number;
  resizeWidth: number;
  resizeHeight: number;
  /** Raw pixel value (0-255) written outside the resized image. */
  padValue: number;
}

/**
 * Writes interleaved 8-bit RGB pixels (`stride` pixels a row) as float32 CHW or HWC into a `width x height`
 * output, placing the image per `placement` (pad and crop) and computing `(x*scale - mean)/std` per channel as
 * one multiply-add, in RGB or BGR order. Allocation-free.
 */
export function writeFloatPixels(
  rgb: Uint8Array,
  stride: number,
  rows: number,
  width: number,
  height: number,
  placement: Placement,
  spec: Pick<ImagePreprocessSpec, 'channelOrder' | 'layout' | 'scale' | 'mean' | 'std'>,
  target: Float32Array,
  offset: number,
): void {
  const mean = spec.mean ?? [0, 0, 0];
  const std = spec.std ?? [1, 1, 1];
  const m0 = spec.scale / std[0];
  const m1 = spec.scale / std[1];
  const m2 = spec.scale / std[2];
  const a0 = -mean[0] / std[0];
  const a1 = -mean[1] / std[1];
  const a2 = -mean[2] / std[2];
  const p0 = placement.padValue * m0 + a0;
  const p1 = placement.padValue * m1 + a1;
  const p2 = placement.padValue * m2 + a2;
  const bgr = spec.channelOrder === 'bgr';
  const dx = placement.cropLeft - placement.padLeft;
  const dy = placement.cropTop - placement.padTop;
  const validW = Math.min(placement.resizeWidth, stride);
  const validH = Math.min(placement.resizeHeight, rows);
  // Output columns [x0, x1) read the image; the rest is padding.
  const x0 = Math.min(width, Math.max(0, -dx));
  const x1 = Math.max(x0, Math.min(width, validW - dx));
  const plane = width * height;
  const chw = spec.layout === 'chw';
  // Channel positions of source R, G, B: plane offsets (CHW) or element offsets (HWC).
  const cr = (bgr ? 2 : 0) * (chw ? plane : 1);
  const cg = chw ? plane : 1;
  const cb = (bgr ? 0 : 2) * (chw ? plane : 1);
  const step = chw ? 1 : 3;
  for (let y = 0; y < height; y++) {
    const sy = y + dy;
    const rowOut = offset + y * width * step;
    const inside = sy >= 0 && sy < validH;
    const xa = inside ? x0 : width;
    for (let x = 0, o = rowOut; x < xa; x++, o += step) {
      target[o + cr] = p0;
      target[o + cg] = p1;
      target[o + cb] = p2;
    }
    if (!inside) continue;
    let j = (sy * stride + x0 + dx) * 3;
    for (let x = x0, o = rowOut + x0 * step; x < x1; x++, o += step, j += 3) {
      target[o + cr] = (rgb[j] as number) * m0 + a0;
      target[o + cg] = (rgb[j + 1] as number) * m1 + a1;
      target[o + cb] = (rgb[j + 2] as number) * m2 + a2;
    }
    for (let x = x1, o = rowOut + x1 * step; x < width; x++, o += step) {
      target[o + cr] = p0;
      target[o + cg] = p1;
      target[o + cb] = p2;
    }
  }
}

/**
 * Decodes an image once (EXIF-oriented, JPEG shrink-on-load where possible), resizes it per `spec` in libvips,
 * and writes float32 CHW/HWC data ready for a model, padding or cropping in the same pass.
 * Throws `ERR_RUN_IMAGE_DECODE`, `ERR_RUN_IMAGE_TOO_LARGE`, `ERR_RUN_INVALID_ARGUMENT` or `ERR_RUN_ABORTED`.
 * @example
 * const img = await preprocessImage('dog.jpg', {
 *   width: 640, height: 640, resize: 'letterbox', channelOrder: 'rgb', layout: 'chw', scale: 1 / 255,
 * });
 * // img.dims = [1, 3, 640, 640]; img.transform = { scaleX: 1.2, padY: 80, ... }
 */
export async function preprocessImage(
  input: ImageInput,
  spec: ImagePreprocessSpec,
  options: PreprocessOptions = {},
): Promise<PreprocessedImage> {
  validatePreprocessSpec(spec);
  const limits = resolveImageLimits(options.limits);
  const size = 3 * spec.width * spec.height;
  const offset = options.targetOffset ?? 0;
  if (options.target !== undefined) {
    if (!(options.target instanceof Float32Array))
      throw invalidParameter('options.target', 'a Float32Array', options.target);
    if (!Number.isInteger(offset) || offset < 0 || offset + size > options.target.length) {
      throw new InvalidArgumentError(
        `'targetOffset' ${offset} is out of range: the image needs ${size} elements and target has ${options.target.length}.`,
        { details: { param: 'options.targetOffset' } },
      );
    }
  }
  throwIfAborted(options.signal);
  const bytes = await readImageBytes(input, limits);
  throwIfAborted(options.signal);
  const raw = await decodeResized(bytes, spec, limits.maxPixels, options.signal);
  const target = options.target ?? new Float32Array(size);
  const g = raw.geometry;
  writeFloatPixels(
    raw.data,
    raw.stride,
    raw.rows,
    spec.width,
    spec.height,
    {
      padLeft: g.padLeft,
      padTop: g.padTop,
      cropLeft: g.cropLeft,
      cropTop: g.cropTop,
      resizeWidth: g.resizeWidth,
      resizeHeight: g.resizeHeight,
      // Letterbox pads with padValue; HF's center_crop pads a too-small image with 0.
      padValue: spec.resize === 'letterbox' ? (spec.padValue ?? 114) : 0,
    },
    spec,
    target,
    offset,
  );
  return {
    data: options.target === undefined ? target : target.subarray(offset, offset + size),
    dims: spec.layout === 'chw' ? [1, 3, spec.height, spec.width] : [1, spec.height, spec.width, 3],
    sourceWidth: raw.sourceWidth,
    sourceHeight: raw.sourceHeight,
    transform: raw.geometry.transform,
  };
}

/**
 * Preprocesses several images into one `[N,3,H,W]` (or `[N,H,W,3]`) float32 tensor, sharing one allocation.
 * The first failing image rejects the whole batch.
 * @example
 * const { tensor, images } = await preprocessImages(['a.jpg', 'b.jpg'], spec);
 * // tensor.dims = [2, 3, 640, 640]; images[1].transform maps boxes of image 1 back
 */
export async function preprocessImages(
  inputs: readonly ImageInput[],
  spec: ImagePreprocessSpec,
  options: PreprocessBatchOptions = {},
): Promise<{ tensor: Tensor<'float32'>; images: Omit<PreprocessedImage, 'data' | 'dims'>[] }> {
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw invalidParameter('inputs', 'a non-empty array of images', inputs);
  validatePreprocessSpec(spec);
  const concurrency = options.concurrency ?? 4;
  checkPositiveInt('options.concurrency', concurrency, 1024);
  const per = 3 * spec.width * spec.height;
  const data = new Float32Array(per * inputs.length);
  const images = new Array<Omit<PreprocessedImage, 'data' | 'dims'>>(inputs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      const i = next++;
      const r = await preprocessImage(inputs[i] as ImageInput, spec, {
        limits: options.limits,
        signal: options.signal,
        target: data,
        targetOffset: i * per,
      });
      images[i] = { sourceWidth: r.sourceWidth, sourceHeight: r.sourceHeight, transform: r.transform };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, inputs.length) }, worker));
  const dims =
    spec.layout === 'chw' ? [inputs.length, 3, spec.height, spec.width] : [inputs.length, spec.height, spec.width, 3];
  return { tensor: createTensor('float32', data, dims), images };
}

/**
 * Decodes an image to 8-bit interleaved RGB at its own size (EXIF-oriented, alpha flattened on black), with
 * the same checks and errors as {@link preprocessImage}.
 * @example
 * const { width, height, data } = await decodeImage('dog.jpg'); // 768, 576, Uint8Array(1327104)
 */
export async function decodeImage(
  input: ImageInput,
  options: { limits?: ImageLimits; signal?: AbortSignal } = {},
): Promise<DecodedImage> {
  const limits = resolveImageLimits(options.limits);
  throwIfAborted(options.signal);
  const bytes = await readImageBytes(input, limits);
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'error', autoOrient: true })
      .flatten({ background: { r: 0, g: 0, b: 0 } })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (cause) {
    throw wrapSharpError(cause, limits.maxPixels);
  }
  throwIfAborted(options.signal);
  return {
    data: new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength),
    width: out.info.width,
    height: out.info.height,
    channels: 3,
  };
}
