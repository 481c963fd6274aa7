import type { VisionBackend } from '@llama-pajamas/run-core';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';
import { ApiError, badParam } from '../errors.js';
import { beginTask } from '../task-call.js';
import { encodeEmbedding } from './image-results.js';

interface EmbeddingsBody {
  model?: string;
  input: string | string[];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
}

/** Registers `/v1/embeddings` (OpenAI-compatible text embeddings on CLIP-style models). */
export function registerEmbeddingsRoute(app: FastifyInstance, ctx: RouteContext): void {
  const url = '/v1/embeddings';
  app.post<{ Body: EmbeddingsBody }>(
    url,
    {
      schema: {
        summary: 'Text embeddings on CLIP-style models (OpenAI-compatible)',
        tags: ['embeddings'],
        body: {
          type: 'object',
          required: ['input'],
          properties: {
            model: { type: 'string' },
            input: { anyOf: [{ type: 'string' }, { type: 'array', minItems: 1, items: { type: 'string' } }] },
            encoding_format: { type: 'string', enum: ['float', 'base64'] },
            dimensions: { type: 'integer', minimum: 1 },
            user: { type: 'string' },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const call = beginTask<VisionBackend>(ctx, request, reply, 'embed_text', body.model, url);
      const { model, signal } = call;
      const texts = Array.isArray(body.input) ? body.input : [body.input];
      if (texts.length > ctx.limits.embeddingInputs)
        throw badParam('input', `At most ${ctx.limits.embeddingInputs} inputs per request.`);
      for (const t of texts) {
        if (t.length === 0) throw badParam('input', "'input' cannot contain an empty string.");
        if (t.length > ctx.limits.embeddingChars)
          throw badParam(
            'input',
            `An input is longer than ${ctx.limits.embeddingChars} characters.`,
            'string_above_max_length',
          );
      }
      const results = await call.run(() =>
        model.backend.batchEmbed(
          texts.map((text) => ({ text })),
          { normalize: true, signal },
        ),
      );
      const dims = results[0]?.embedding.length ?? 0;
      if (body.dimensions !== undefined && body.dimensions !== dims) {
        throw new ApiError(
          400,
          `The model '${model.id}' makes ${dims}-dimensional embeddings; 'dimensions' ${body.dimensions} is not supported.`,
          { param: 'dimensions', code: 'invalid_value' },
        );
      }
      const format = body.encoding_format ?? 'float';
      const tokens = texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
      return {
        object: 'list',
        model: model.id,
        data: results.map((r, index) => ({
          object: 'embedding',
          index,
          embedding: encodeEmbedding(r.embedding, format),
        })),
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      };
    },
  );
}
