import type { ModelBackend } from '@llama-pajamas/run-core';
import { hostedWorkers } from '@llama-pajamas/run-core/workers';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import type { ServedModel } from '../models.js';
import { runtimeHealthFields } from '../runtime-info.js';

/**
 * The `/health` field of a model hosted in worker threads (`workers: { count, busy, queued, restarts }`), or `{}`
 * for a model that runs in the server's own thread.
 */
function workerHealthFields(backend: ModelBackend): Record<string, unknown> {
  const stats = hostedWorkers(backend);
  if (stats === undefined) return {};
  return { workers: { count: stats.workers, busy: stats.busy, queued: stats.queued, restarts: stats.restarts } };
}

function describe(m: ServedModel, created: number): Record<string, unknown> {
  return { id: m.id, object: 'model', created, owned_by: 'llama-pajamas', kind: m.kind, capabilities: m.tasks };
}

/** Registers `GET /v1/models`, `GET /v1/models/:id` and `GET /health`. */
export function registerMetaRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const created = Math.floor(ctx.startedAt / 1000);
  app.get('/v1/models', { schema: { summary: 'List the served models', tags: ['models'] } }, () => ({
    object: 'list',
    data: ctx.models.models.map((m) => describe(m, created)),
  }));
  app.get<{ Params: { id: string } }>(
    '/v1/models/:id',
    { schema: { summary: 'Describe one served model', tags: ['models'] } },
    (request) => {
      const m = ctx.models.models.find((x) => x.id === request.params.id);
      if (!m)
        throw new ApiError(404, `The model '${request.params.id}' does not exist.`, {
          param: 'model',
          code: 'model_not_found',
        });
      return describe(m, created);
    },
  );
  app.get(
    '/health',
    {
      schema: { summary: 'Server and backend health (no API key needed)', tags: ['health'] },
      config: { apiKey: false },
    },
    () => ({
      status: 'ok',
      uptime_s: Math.round((Date.now() - ctx.startedAt) / 1000),
      models: ctx.models.models.map((m) => ({
        model: m.id,
        kind: m.kind,
        capabilities: m.tasks,
        loaded: m.backend.isLoaded,
        busy: m.queue.busy,
        running: m.queue.active,
        queued: m.queue.queued,
        ...runtimeHealthFields(m.backend),
        ...workerHealthFields(m.backend),
      })),
    }),
  );
}
