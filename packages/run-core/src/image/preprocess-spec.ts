/**
 * The pure half of image preprocessing: the spec a model family declares (size, resize mode, normalisation),
 * its validation, and where the source lands in the model input. No decoding here (see preprocess.ts).
 */
import { invalidParameter } from '../errors.js';
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

const RESAMPLE_KERNELS: readonly ResampleKernel[] = ['nearest', 'bilinear', 'bicubic', 'lanczos3'];

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

const MAX_INPUT_SIDE = 16384;

/** Throws {@link InvalidArgumentError} unless `value` is an integer from 1 to `max`. */
export function checkPositiveInt(name: string, value: unknown, max = MAX_INPUT_SIDE): void {
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
  if (spec.resample !== undefined && !RESAMPLE_KERNELS.includes(spec.resample)) {
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
