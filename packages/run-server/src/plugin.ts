import { timingSafeEqual } from 'node:crypto';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import type { FastifyPluginAsync, FastifyServerOptions } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { RouteContext } from './context.js';
import { ApiError, toApiError } from './errors.js';
import { ModelTable } from './models.js';
import { resolveLimits, type MultimodalAppConfig, type MultimodalAppOptions } from './options.js';
import { registerMetaRoutes } from './routes/meta.js';
import { MODEL_KIND_NAMES, MODEL_KINDS } from './tasks.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false`: the route answers without the API key (`/health`, a static page). Default: the key is needed. */
    apiKey?: false;
  }
}

function keyMatches(given: string, keys: readonly string[]): boolean {
  const g = Buffer.from(given);
  return keys.some((k) => {
    const b = Buffer.from(k);
    return b.length === g.length && timingSafeEqual(b, g);
  });
}

/**
 * The Fastify instance options the plugin's limits and error answers rely on (body limit, request ids, 503 while
 * closing, no type coercion in validation). {@link createMultimodalApp} uses them; pass them to your own
 * `Fastify(…)` when you register {@link multimodalPlugin} yourself.
 */
export function multimodalFastifyOptions(options: MultimodalAppOptions = {}): FastifyServerOptions {
  return {
    logger: options.logger ?? false,
    bodyLimit: resolveLimits(options.limits).bodyBytes,
    requestIdHeader: 'x-request-id',
    // Wait for in-flight requests on close(); new ones get 503.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { coerceTypes: false, allErrors: false, removeAdditional: false } },
  };
}

const plugin: FastifyPluginAsync<MultimodalAppConfig> = async (app, config) => {
  const options = config.options ?? {};
  const limits = resolveLimits(options.limits);
  const microBatch =
    options.microBatch === false
      ? 1
      : typeof options.microBatch === 'object'
        ? Math.max(1, options.microBatch.maxBatch ?? 8)
        : 8;
  const models = new ModelTable(config, {
    concurrency: options.concurrency ?? 1,
    maxQueue: options.maxQueue ?? 16,
  });
  const ctx: RouteContext = {
    models,
    limits,
    options,
    requestTimeoutMs: options.requestTimeoutMs ?? 120_000,
    microBatch,
    startedAt: Date.now(),
  };

  // JSON and multipart only: a text/plain body is a 415, not a string handed to a route.
  app.removeContentTypeParser('text/plain');
  if (options.openapi !== false) {
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'llama-pajamas',
          description: 'OpenAI-compatible on-device multi-modal inference: audio, images, embeddings.',
          version: '0.0.0',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      },
    });
  }
  await app.register(multipart, {
    throwFileSizeLimit: true,
    limits: { fileSize: limits.audioBytes, files: 1, fields: 32, fieldSize: 64 * 1024, parts: 40, headerPairs: 100 },
  });

  const keys =
    options.apiKey === undefined ? [] : typeof options.apiKey === 'string' ? [options.apiKey] : [...options.apiKey];
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (keys.length === 0 || request.routeOptions.config.apiKey === false) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match?.[1] || !keyMatches(match[1].trim(), keys)) {
      throw new ApiError(
        401,
        match ? 'Incorrect API key provided.' : "Missing API key. Send it as 'Authorization: Bearer <key>'.",
        { type: 'invalid_request_error', code: 'invalid_api_key' },
      );
    }
  });

  // Graceful shutdown: close() waits for in-flight requests; their responses say `Connection: close` so that
  // keep-alive sockets end with them instead of holding close() for the keep-alive timeout.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });

  app.setErrorHandler((error, request, reply) => {
    const e = toApiError(error);
    if (e.status >= 500 && e.status !== 501 && e.status !== 504) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status: e.status, code: e.code }, e.message);
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    for (const [k, v] of Object.entries(e.headers)) void reply.header(k, v);
    void reply
      .status(e.status === 499 ? 400 : e.status)
      .type('application/json; charset=utf-8')
      .send(e.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const e = new ApiError(
      404,
      `Unknown route: ${request.method} ${request.url.split('?')[0] ?? ''}. See GET /openapi.json.`,
      { code: 'unknown_url' },
    );
    void reply.status(404).send(e.toBody());
  });

  registerMetaRoutes(app, ctx);
  for (const kind of MODEL_KIND_NAMES) MODEL_KINDS[kind].routes(app, ctx);
  if (options.openapi !== false) {
    app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  }
};

/**
 * The OpenAI-compatible multi-modal API as a Fastify plugin (options: {@link MultimodalAppConfig}). It is wrapped
 * with `fastify-plugin`, so its API-key hook, error envelope, 404 handler and multipart parser apply to the
 * instance it is registered on: routes you add there afterwards (a chat endpoint, a static page) get the same
 * auth and error answers. A route that must answer without the key sets `config: { apiKey: false }`.
 * @example
 * const app = Fastify(multimodalFastifyOptions(options));
 * await app.register(multimodalPlugin, { vision: { yolox: detector }, options });
 * app.get('/hello', () => ({ hello: 'world' })); // needs the API key too
 * await app.ready();
 */
export const multimodalPlugin = fastifyPlugin(plugin, { fastify: '5.x', name: '@llama-pajamas/run-server' });
