import { readFile, stat } from 'node:fs/promises';
import { ImageDecodeError, ImageTooLargeError, invalidParameter } from '../errors.js';
import type { ImageInput } from '../types/vision.js';

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

/** Longest string that is tried as a file path before being read as base64. */
const MAX_PATH_LENGTH = 4096;
const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;

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

function decodeBase64(text: string, maxBytes: number, what: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (clean.length === 0) {
    throw new ImageDecodeError(`The ${what} is empty: expected base64-encoded image bytes.`, {
      details: { reason: 'empty' },
    });
  }
  if (!BASE64_RE.test(clean) || clean.length % 4 === 1) {
    throw new ImageDecodeError(
      `The ${what} is neither an existing file path nor valid base64 (it has characters or a length base64 cannot have). ` +
        'Pass image bytes, a path to an image file, base64 text or a data: URL.',
      { details: { reason: 'not-base64', length: clean.length } },
    );
  }
  const estimated = Math.floor((clean.length * 3) / 4);
  if (estimated > maxBytes + 2) throw tooManyBytes(estimated, maxBytes, what);
  const buffer = Buffer.from(clean, clean.includes('-') || clean.includes('_') ? 'base64url' : 'base64');
  if (buffer.byteLength > maxBytes) throw tooManyBytes(buffer.byteLength, maxBytes, what);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function decodeDataUrl(url: string, maxBytes: number): Uint8Array {
  const comma = url.indexOf(',');
  if (comma < 0) {
    throw new ImageDecodeError('The data: URL has no comma: expected `data:image/<type>;base64,<data>`.', {
      details: { reason: 'bad-data-url' },
    });
  }
  const header = url.slice(5, comma).toLowerCase();
  if (!header.split(';').includes('base64')) {
    throw new ImageDecodeError(
      'The data: URL is not base64-encoded: expected `data:image/<type>;base64,<data>` (percent-encoded image data is not accepted).',
      { details: { reason: 'bad-data-url' } },
    );
  }
  return decodeBase64(url.slice(comma + 1), maxBytes, 'data: URL payload');
}

async function tryReadFile(path: string, maxBytes: number): Promise<Uint8Array | undefined> {
  let info;
  try {
    info = await stat(path);
  } catch {
    return undefined;
  }
  if (!info.isFile()) {
    throw new ImageDecodeError(`The path ${JSON.stringify(path)} is not a file. Pass the path of an image file.`, {
      details: { reason: 'not-a-file', path },
    });
  }
  if (info.size > maxBytes) throw tooManyBytes(info.size, maxBytes, `file ${JSON.stringify(path)}`);
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (cause) {
    throw new ImageDecodeError(`Could not read the image file ${JSON.stringify(path)}: ${(cause as Error).message}`, {
      cause,
      details: { reason: 'read-failed', path },
    });
  }
}

/** True when the string looks like a path rather than base64 (so a failed look-up is reported as a missing file). */
function looksLikePath(text: string): boolean {
  return (
    text.startsWith('/') ||
    text.startsWith('./') ||
    text.startsWith('../') ||
    text.startsWith('~') ||
    /^[A-Za-z]:[\\/]/.test(text) ||
    text.includes('\\') ||
    /\.[A-Za-z0-9]{2,5}$/.test(text)
  );
}

/**
 * Reads an {@link ImageInput} (bytes, file path, base64 text or `data:` URL) into its encoded bytes, without
 * decoding pixels. Strings are tried as a `data:` URL, then as an existing file path, then as base64.
 * Throws {@link ImageDecodeError} (`ERR_RUN_IMAGE_DECODE`) for empty input, a missing file or bad base64, and
 * {@link ImageTooLargeError} (`ERR_RUN_IMAGE_TOO_LARGE`) past `limits.maxBytes`.
 * @example
 * const bytes = await readImageBytes('photos/dog.jpg');
 * // Uint8Array(163759) [255, 216, 255, ...]
 */
export async function readImageBytes(input: ImageInput, limits?: ImageLimits): Promise<Uint8Array> {
  const { maxBytes } = resolveImageLimits(limits);
  if (input instanceof Uint8Array) {
    if (input.byteLength === 0) {
      throw new ImageDecodeError(
        'The image is empty (0 bytes): expected the bytes of a JPEG, PNG, WebP, GIF, TIFF or AVIF file.',
        {
          details: { reason: 'empty' },
        },
      );
    }
    if (input.byteLength > maxBytes) throw tooManyBytes(input.byteLength, maxBytes, 'image');
    return input;
  }
  if (typeof input !== 'string') {
    throw invalidParameter('image', 'a Uint8Array/Buffer, a file path, base64 text or a data: URL', input);
  }
  const text = input.trim();
  if (text.length === 0) {
    throw new ImageDecodeError('The image string is empty: expected a file path, base64 text or a data: URL.', {
      details: { reason: 'empty' },
    });
  }
  if (/^data:/i.test(text)) return decodeDataUrl(text, maxBytes);
  if (text.length <= MAX_PATH_LENGTH) {
    const fromFile = await tryReadFile(input, maxBytes);
    if (fromFile !== undefined) {
      if (fromFile.byteLength === 0) {
        throw new ImageDecodeError(`The image file ${JSON.stringify(input)} is empty (0 bytes).`, {
          details: { reason: 'empty', path: input },
        });
      }
      return fromFile;
    }
    if (looksLikePath(text) && !BASE64_RE.test(text.replace(/\s+/g, ''))) {
      throw new ImageDecodeError(
        `No file at ${JSON.stringify(input)}, and the string is not base64 either. Check the path (relative paths resolve against ${process.cwd()}).`,
        { details: { reason: 'file-not-found', path: input } },
      );
    }
  }
  return decodeBase64(text, maxBytes, 'image string');
}
