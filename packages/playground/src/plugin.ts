import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { loadPlaygroundBundle, type PlaygroundAsset } from './assets.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false`: the route answers without the API key (run-server's convention; the page's API calls send it). */
    apiKey?: false;
  }
  interface FastifySchema {
    /** Left out of the OpenAPI document (as @fastify/swagger reads it). */
    hide?: boolean;
  }
}

/** Options of {@link playgroundPlugin}. */
export interface PlaygroundPluginOptions {
  /** Serve the page at `/` as well as at `/playground` (default `true`). */
  root?: boolean;
  /** The folder with the built page (default: this package's `dist/app`). */
  assetsDir?: string;
}

/** Where the page lives: `GET /playground` (and `/`), assets under `/playground/assets/`. */
export const PLAYGROUND_PATH = '/playground';

// Everything comes from this origin: no CDN, no inline script, and the page talks only to this server's API.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: data: mediastream:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const YEAR_S = 365 * 24 * 3600;

function send(
  request: FastifyRequest,
  reply: FastifyReply,
  file: PlaygroundAsset,
  cacheControl: string,
): FastifyReply | string {
  void reply
    .header('cache-control', cacheControl)
    .header('etag', file.etag)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
  const match = request.headers['if-none-match'];
  if (match !== undefined && match.split(',').some((t) => t.trim().replace(/^W\//, '') === file.etag)) {
    return reply.status(304).send();
  }
  return reply.type(file.contentType).send(file.body);
}

/**
 * A Fastify plugin that serves the playground page at `GET /playground` (and `GET /` unless `root: false`) with its
 * assets under `/playground/assets/`, from memory, with content types, ETags and cache headers (the page revalidates,
 * assets are immutable under their content-hash URL). The page calls only the public HTTP API of the same server.
 * Register it on the server app before `ready()`; its routes carry `config: { apiKey: false }` so run-server's
 * API-key check lets the page itself through (the API calls the page makes still need the key).
 * @example
 * await app.register(playgroundPlugin);
 * // GET /playground → 200 text/html; GET /playground/assets/app.js?v=<hash> → cache-control: public, max-age=31536000, immutable
 */
export const playgroundPlugin: FastifyPluginAsync<PlaygroundPluginOptions> = async (app, options) => {
  const bundle = await loadPlaygroundBundle(options.assetsDir);
  const routeOptions = { schema: { hide: true }, config: { apiKey: false } } as const;
  const page = (request: FastifyRequest, reply: FastifyReply): FastifyReply | string => {
    void reply.header('content-security-policy', CSP).header('x-frame-options', 'DENY');
    return send(request, reply, bundle.html, 'no-cache');
  };
  if (options.root !== false) app.get('/', routeOptions, page);
  app.get(PLAYGROUND_PATH, routeOptions, page);
  app.get(`${PLAYGROUND_PATH}/`, routeOptions, page);
  app.get<{ Params: { file: string }; Querystring: { v?: string } }>(
    `${PLAYGROUND_PATH}/assets/:file`,
    routeOptions,
    (request, reply) => {
      const file = bundle.assets.get(request.params.file);
      if (!file) {
        reply.callNotFound();
        return reply;
      }
      const versioned = request.query.v === file.hash;
      return send(request, reply, file, versioned ? `public, max-age=${YEAR_S}, immutable` : 'no-cache');
    },
  );
};
