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
import type { ResizeGeometry } from './geometry.js';
import { writeFloatPixels } from './float-pixels.js';
import {
  checkPositiveInt,
  computeResizeGeometry,
  validatePreprocessSpec,
  type DecodedImage,
  type ImagePreprocessSpec,
  type PreprocessBatchOptions,
  type PreprocessedImage,
  type PreprocessOptions,
} from './preprocess-spec.js';

const KERNELS = {
  nearest: 'nearest',
  bilinear: 'linear',
  bicubic: 'cubic',
  lanczos3: 'lanczos3',
} as const;

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
