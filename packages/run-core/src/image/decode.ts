import { ImageDecodeError, ImageTooLargeError, invalidParameter } from '../errors.js';
import { readFileLimited, type LimitedReadErrors } from '../io/read-limited.js';
import type { ImageInput } from '../types/vision.js';
import { decodeBase64 } from './base64.js';

/** Size limits applied before and while an image is decoded. */
export interface ImageLimits {
  /** Most pixels (width x height, as the header declares them) accepted; default 40,000,000. */
  maxPixels?: number;
  /** Most encoded bytes accepted (file size, decoded base64 length); default 50 MiB. */
  maxBytes?: number;
}

/** Default {@link ImageLimits}: 40 megapixels and 50 MiB. */
export const DEFAULT_IMAGE_LIMITS: Readonly<Required<ImageLimits>> = Object.freeze({
  maxPixels: 40_000_000,
  maxBytes: 50 * 1024 * 1024,
});

/** Checks `limits` and fills in the defaults; throws {@link InvalidArgumentError} on a bad value. */
export function resolveImageLimits(limits: ImageLimits = {}): Required<ImageLimits> {
  const maxPixels = limits.maxPixels ?? DEFAULT_IMAGE_LIMITS.maxPixels;
  const maxBytes = limits.maxBytes ?? DEFAULT_IMAGE_LIMITS.maxBytes;
  if (!Number.isSafeInteger(maxPixels) || maxPixels < 1) {
    throw invalidParameter('limits.maxPixels', 'a positive integer', maxPixels);
  }
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw invalidParameter('limits.maxBytes', 'a positive integer', maxBytes);
  }
  return { maxPixels, maxBytes };
}

function tooManyBytes(bytes: number, maxBytes: number, what: string): ImageTooLargeError {
  return new ImageTooLargeError(
    `The ${what} is ${bytes} bytes but the limit is ${maxBytes} bytes. Send a smaller image or raise limits.maxBytes.`,
    { details: { bytes, maxBytes } },
  );
}

const fileErrors = (path: string, maxBytes: number): LimitedReadErrors => ({
  missing: (cause) =>
    new ImageDecodeError(
      `No image file at ${JSON.stringify(path)}. Check the path (relative paths resolve against ${process.cwd()}); ` +
        'to pass encoded text, use { base64 } or { dataUrl }.',
      { cause, details: { reason: 'file-not-found', path } },
    ),
  notAFile: () =>
    new ImageDecodeError(`The path ${JSON.stringify(path)} is not a file. Pass the path of an image file.`, {
      details: { reason: 'not-a-file', path },
    }),
  tooLarge: (bytes) => tooManyBytes(bytes, maxBytes, `file ${JSON.stringify(path)}`),
  failed: (cause) =>
    new ImageDecodeError(`Could not read the image file ${JSON.stringify(path)}: ${(cause as Error).message}`, {
      cause,
      details: { reason: 'read-failed', path },
    }),
});

function encodedText(input: object): { text: string; kind: 'base64' | 'dataUrl' } | undefined {
  const { base64, dataUrl } = input as { base64?: unknown; dataUrl?: unknown };
  if (typeof base64 === 'string' && dataUrl === undefined) return { text: base64, kind: 'base64' };
  if (typeof dataUrl === 'string' && base64 === undefined) return { text: dataUrl, kind: 'dataUrl' };
  return undefined;
}

const EXPECTED_INPUT = 'a Uint8Array/Buffer, a file path, { base64 } or { dataUrl }';

/**
 * Reads an {@link ImageInput} into its encoded bytes, without decoding pixels: bytes as they are, a string as a
 * file path (always), `{ base64 }` / `{ dataUrl }` through {@link decodeBase64}.
 * Throws {@link ImageDecodeError} (`ERR_RUN_IMAGE_DECODE`) for empty input, a missing file or bad base64, and
 * {@link ImageTooLargeError} (`ERR_RUN_IMAGE_TOO_LARGE`) past `limits.maxBytes`.
 * @example
 * const bytes = await readImageBytes('photos/dog.jpg');
 * // Uint8Array(163759) [255, 216, 255, ...]
 */
export async function readImageBytes(input: ImageInput, limits?: ImageLimits): Promise<Uint8Array> {
  const { maxBytes } = resolveImageLimits(limits);
  let bytes: Uint8Array;
  if (input instanceof Uint8Array) {
    if (input.byteLength > maxBytes) throw tooManyBytes(input.byteLength, maxBytes, 'image');
    bytes = input;
  } else if (typeof input === 'string') {
    if (input.trim().length === 0) {
      throw new ImageDecodeError(
        `The image path is empty: expected the path of an image file (or ${EXPECTED_INPUT}).`,
        {
          details: { reason: 'empty' },
        },
      );
    }
    bytes = await readFileLimited(input, maxBytes, fileErrors(input, maxBytes));
  } else {
    const encoded = typeof input === 'object' && input !== null ? encodedText(input) : undefined;
    if (!encoded) throw invalidParameter('image', EXPECTED_INPUT, input);
    if (encoded.kind === 'dataUrl' && !/^\s*data:/i.test(encoded.text)) {
      throw new ImageDecodeError(
        'The dataUrl does not start with `data:`: expected `data:image/<type>;base64,<data>`.',
        {
          details: { reason: 'bad-data-url' },
        },
      );
    }
    bytes = decodeBase64(encoded.text, {
      maxBytes,
      what: encoded.kind === 'dataUrl' ? 'data: URL payload' : 'base64 image',
    });
  }
  if (bytes.byteLength === 0) {
    throw new ImageDecodeError(
      'The image is empty (0 bytes): expected the bytes of a JPEG, PNG, WebP, GIF, TIFF or AVIF file.',
      { details: { reason: 'empty' } },
    );
  }
  return bytes;
}
