import { timingSafeEqual } from 'node:crypto';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { RouteContext } from './context.js';
import { ApiError, toApiError } from './errors.js';
import { ModelTable } from './models.js';
import { resolveLimits, type MultimodalAppConfig } from './options.js';
import { registerAudioRoutes } from './routes/audio.js';
import { registerImageRoutes } from './routes/images.js';
import { registerMetaRoutes } from './routes/meta.js';

function keyMatches(given: string, keys: readonly string[]): boolean {
  const g = Buffer.from(given);
  return keys.some((k) => {
    const b = Buffer.from(k);
    return b.length === g.length && timingSafeEqual(b, g);
  });
}

/**
 * Builds the OpenAI-compatible multi-modal HTTP app around backends it is handed (it never loads models).
 * Call `app.listen({ port, host })` to serve and `app.close()` to stop after in-flight requests finish.
 * @example
 * const app = await createMultimodalApp({ vision: { yolox: detector }, stt: whisper, options: { apiKey: 'sk-local' } });
 * await app.listen({ port: 8000, host: '127.0.0.1' });
 * // POST /v1/images/detect {"image":"<base64>"} → {"object":"list","model":"yolox","data":[{ "detections": [...] }]}
 */
export async function createMultimodalApp(config: MultimodalAppConfig = {}): Promise<FastifyInstance> {
  const options = config.options ?? {};
  const limits = resolveLimits(options.limits);
  const microBatch =
    options.microBatch === false
      ? 1
      : typeof options.microBatch === 'object'
        ? Math.max(1, options.microBatch.maxBatch ?? 8)
        : 8;
  const models = new ModelTable(
    { vision: config.vision, stt: config.stt, tts: config.tts },
    { concurrency: options.concurrency ?? 1, maxQueue: options.maxQueue ?? 16 },
  );
  const ctx: RouteContext = {
    models,
    limits,
    options,
    requestTimeoutMs: options.requestTimeoutMs ?? 120_000,
    microBatch,
    startedAt: Date.now(),
  };

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: limits.bodyBytes,
    requestIdHeader: 'x-request-id',
    // Wait for in-flight requests on close(); new ones get 503.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { coerceTypes: false, allErrors: false, removeAdditional: false } },
  });

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
    if (keys.length === 0 || request.url === '/health') return;
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
      {
        code: 'unknown_url',
      },
    );
    void reply.status(404).send(e.toBody());
  });

  registerMetaRoutes(app, ctx);
  registerAudioRoutes(app, ctx);
  registerImageRoutes(app, ctx);
  if (options.openapi !== false) {
    app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  }
  await app.ready();
  return app;
}
