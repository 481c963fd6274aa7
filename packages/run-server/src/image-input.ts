import { ApiError, badParam } from './errors.js';
import { fetchUrlSafely } from './url-fetch.js';

/** How images given to the image endpoints are turned into bytes. */
export interface ImageInputOptions {
  maxBytes: number;
  allowUrls: boolean;
  urlAllowlist: readonly string[];
  urlTimeoutMs: number;
  urlMaxRedirects: number;
  signal?: AbortSignal;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Decodes one request image (base64, data URL, or an http(s) URL when allowed) to bytes. */
export async function readImageInput(value: unknown, param: string, options: ImageInputOptions): Promise<Uint8Array> {
  if (typeof value !== 'string' || value.length === 0) {
    throw badParam(param, `Expected a base64 string, a data: URL or an http(s) URL for '${param}'.`);
  }
  if (/^https?:\/\//i.test(value)) {
    if (!options.allowUrls) {
      throw new ApiError(
        400,
        `Image URLs are not allowed on this server. Send the image as base64 or a data: URL, or start the server with --allow-url-images.`,
        { param, code: 'url_not_allowed' },
      );
    }
    return fetchUrlSafely(value, {
      maxBytes: options.maxBytes,
      timeoutMs: options.urlTimeoutMs,
      maxRedirects: options.urlMaxRedirects,
      allowlist: options.urlAllowlist,
      param,
      signal: options.signal,
    });
  }
  let b64 = value;
  if (value.startsWith('data:')) {
    const comma = value.indexOf(',');
    if (comma < 0 || !value.slice(0, comma).endsWith(';base64')) {
      throw badParam(param, `The data: URL in '${param}' must be base64 (data:image/jpeg;base64,...).`);
    }
    b64 = value.slice(comma + 1);
  }
  // Fast path for plain padded base64 (what clients send): Node's decoder skips characters that are not base64
  // and stops at '=', so a decoded length of exactly 3/4 of the string (less the padding) proves that every
  // character was valid. It saves a regex pass and a copy of a 300 KB string (~0.6 ms per request).
  const n = b64.length;
  if (n > 0 && n % 4 === 0 && (n / 4) * 3 <= options.maxBytes + 3) {
    const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.length === (n / 4) * 3 - pad) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  }
  b64 = b64.replace(/\s+/g, '');
  const valid = BASE64.test(b64);
  if (b64.length === 0 || !valid) {
    throw badParam(param, `'${param}' is neither valid base64, a data: URL nor an http(s) URL.`);
  }
  if (Math.floor((b64.length * 3) / 4) > options.maxBytes + 3) {
    throw new ApiError(413, `The image in '${param}' is larger than the ${options.maxBytes}-byte limit.`, {
      param,
      code: 'image_too_large',
    });
  }
  return new Uint8Array(Buffer.from(b64, b64.includes('-') || b64.includes('_') ? 'base64url' : 'base64'));
}
