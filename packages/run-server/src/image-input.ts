import { decodeBase64, isRunError } from '@llama-pajamas/run-core';
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

/**
 * Turns one request image into bytes: an http(s) URL is fetched when the server allows it, anything else is
 * base64 or a data: URL, decoded by run-core's `decodeBase64` (a request string is never a file path). Errors name
 * the request field: 400 `invalid_value`, 413 `image_too_large`.
 */
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
  try {
    return decodeBase64(value, { maxBytes: options.maxBytes, what: `image in '${param}'` });
  } catch (error) {
    if (isRunError(error, 'ERR_RUN_IMAGE_TOO_LARGE')) {
      throw new ApiError(413, error.message, { param, code: 'image_too_large', cause: error });
    }
    if (isRunError(error, 'ERR_RUN_IMAGE_DECODE')) throw badParam(param, error.message);
    throw error;
  }
}
