import { lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ApiError } from './errors.js';

/** Options of {@link fetchUrlSafely}. */
export interface SafeFetchOptions {
  /** Largest body in bytes. */
  maxBytes: number;
  /** Time cap for the whole fetch, redirects included (ms). */
  timeoutMs: number;
  /** Most redirects followed. */
  maxRedirects: number;
  /** CIDRs allowed although not public unicast. */
  allowlist?: readonly string[];
  /** Name of the request parameter (for error messages). */
  param?: string;
  signal?: AbortSignal;
}

/** True when `address` is public unicast, or inside one of `allowlist`'s CIDRs. */
export function isAddressAllowed(address: string, allowlist: readonly string[] = []): boolean {
  if (!ipaddr.isValid(address)) return false;
  const ip = ipaddr.process(address);
  for (const cidr of allowlist) {
    try {
      const [range, bits] = ipaddr.parseCIDR(cidr);
      if (range.kind() === ip.kind() && ip.match([range, bits] as never)) return true;
    } catch {
      // A bad allowlist entry matches nothing.
    }
  }
  return ip.range() === 'unicast';
}

function refuse(param: string, url: string, why: string): ApiError {
  return new ApiError(
    400,
    `Refused to fetch the image URL '${url}': ${why}. Send the image inline as base64 instead.`,
    {
      param,
      code: 'url_not_allowed',
    },
  );
}

/**
 * Fetches an http(s) URL with SSRF protection: the host's addresses are checked after DNS resolution (the checked
 * address is the one connected to, so DNS rebinding can't swap it), every redirect is checked again, and the body
 * and time are capped.
 */
export async function fetchUrlSafely(url: string, options: SafeFetchOptions): Promise<Uint8Array> {
  const param = options.param ?? 'image';
  const signal = options.signal
    ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)])
    : AbortSignal.timeout(options.timeoutMs);
  let current = url;
  for (let hop = 0; hop <= options.maxRedirects; hop++) {
    const res = await requestOnce(current, options, param, signal);
    if ('redirect' in res) {
      current = new URL(res.redirect, current).toString();
      continue;
    }
    return res.body;
  }
  throw refuse(param, url, `more than ${options.maxRedirects} redirects`);
}

function requestOnce(
  url: string,
  options: SafeFetchOptions,
  param: string,
  signal: AbortSignal,
): Promise<{ body: Uint8Array } | { redirect: string }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.reject(refuse(param, url, 'it is not a valid URL'));
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return Promise.reject(refuse(param, url, `only http: and https: URLs are fetched, not ${parsed.protocol}`));
  }
  if (parsed.username || parsed.password)
    return Promise.reject(refuse(param, url, 'URLs with credentials are refused'));
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !isAddressAllowed(host, options.allowlist)) {
    return Promise.reject(refuse(param, url, `${host} is a loopback, private, link-local or reserved address`));
  }
  const lookup: LookupFunction = (hostname, opts, callback) => {
    dnsLookup(hostname, { all: true, family: 0 }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const bad = addresses.find((a) => !isAddressAllowed(a.address, options.allowlist));
      if (bad || addresses.length === 0) {
        const e = refuse(
          param,
          url,
          `${hostname} resolves to ${bad?.address ?? 'nothing'}, a loopback, private, link-local or reserved address`,
        );
        return callback(e as unknown as NodeJS.ErrnoException, '', 0);
      }
      const first = addresses[0]!;
      if ((opts as { all?: boolean }).all) {
        (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
      } else callback(null, first.address, first.family);
    });
  };
  const mod = parsed.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.get(
      parsed,
      { lookup, signal, headers: { accept: 'image/*', 'user-agent': 'llama-pajamas' } },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          return resolve({ redirect: res.headers.location });
        }
        if (status < 200 || status >= 300) {
          res.resume();
          return reject(
            new ApiError(400, `Fetching the image URL '${url}' failed with HTTP ${status}.`, {
              param,
              code: 'url_fetch_failed',
            }),
          );
        }
        const declared = Number(res.headers['content-length'] ?? NaN);
        if (declared > options.maxBytes) {
          res.destroy();
          return reject(tooLarge(url, options.maxBytes, param));
        }
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > options.maxBytes) {
            res.destroy();
            reject(tooLarge(url, options.maxBytes, param));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ body: new Uint8Array(Buffer.concat(chunks)) }));
        res.on('error', (e) => reject(fetchFailed(url, e, param, signal)));
      },
    );
    req.on('error', (e) => reject(e instanceof ApiError ? e : fetchFailed(url, e, param, signal)));
  });
}

function tooLarge(url: string, max: number, param: string): ApiError {
  return new ApiError(413, `The image at '${url}' is larger than the ${max}-byte limit.`, {
    param,
    code: 'image_too_large',
  });
}

function fetchFailed(url: string, e: unknown, param: string, signal: AbortSignal): ApiError {
  if (signal.aborted) {
    return new ApiError(400, `Fetching the image URL '${url}' took too long and was stopped.`, {
      param,
      code: 'url_fetch_timeout',
      cause: e,
    });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new ApiError(400, `Fetching the image URL '${url}' failed: ${message}.`, {
    param,
    code: 'url_fetch_failed',
    cause: e,
  });
}
