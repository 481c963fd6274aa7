import type { ClassifyOptions, DetectOptions, TextInput, VisionBackend } from '@llama-pajamas/run-core';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';
import { badParam } from '../errors.js';
import { readImageInput } from '../image-input.js';
import { beginTask } from '../task-call.js';
import { registerEmbeddingsRoute } from './embeddings.js';
import { toClassification, toDetection, toEmbedding } from './image-results.js';

type ImageField = string | string[];

interface ImageBody {
  model?: string;
  image?: ImageField;
}

interface DetectBody extends ImageBody {
  confidence?: number;
  iou?: number;
  max_detections?: number;
  classes?: number[];
  agnostic?: boolean;
}

interface ClassifyBody extends ImageBody {
  top_k?: number;
  labels?: string[];
}

interface EmbedBody extends ImageBody {
  input?: string | string[];
  encoding_format?: 'float' | 'base64';
  normalize?: boolean;
}

// No `minLength` on the image strings: ajv counts a string's length by walking all of it (code points), 0.5 ms
// for a 300 KB base64 image; `readImageInput` refuses an empty string with a 400 instead.
const imageSchema = {
  anyOf: [{ type: 'string' }, { type: 'array', minItems: 1, items: { type: 'string' } }],
  description: 'base64, data: URL or http(s) URL (when the server allows URLs); an array for a batch',
};

/** Registers `/v1/images/detect`, `/v1/images/classify`, `/v1/images/embed` and `/v1/embeddings`. */
export function registerImageRoutes(app: FastifyInstance, ctx: RouteContext): void {
  async function images(body: ImageBody, signal: AbortSignal): Promise<Uint8Array[]> {
    if (body.image === undefined)
      throw badParam(
        'image',
        "'image' is required: a base64 string, a data: URL, an http(s) URL, or an array of them.",
        'missing_required_parameter',
      );
    const list = Array.isArray(body.image) ? body.image : [body.image];
    if (list.length > ctx.limits.imagesPerRequest) {
      throw badParam(
        'image',
        `${list.length} images in one request; the limit is ${ctx.limits.imagesPerRequest}. Split the batch.`,
      );
    }
    return Promise.all(
      list.map((v, i) =>
        readImageInput(v, Array.isArray(body.image) ? `image[${i}]` : 'image', {
          maxBytes: ctx.limits.imageBytes,
          allowUrls: ctx.options.allowUrlImages ?? false,
          urlAllowlist: ctx.options.urlAllowlist ?? [],
          urlTimeoutMs: ctx.options.urlTimeoutMs ?? 10_000,
          urlMaxRedirects: ctx.options.urlMaxRedirects ?? 3,
          signal,
        }),
      ),
    );
  }

  const common = { model: { type: 'string' }, image: imageSchema };

  app.post<{ Body: DetectBody }>(
    '/v1/images/detect',
    {
      schema: {
        summary: 'Detect objects in images',
        tags: ['images'],
        body: {
          type: 'object',
          properties: {
            ...common,
            confidence: { type: 'number', minimum: 0, maximum: 1 },
            iou: { type: 'number', minimum: 0, maximum: 1 },
            max_detections: { type: 'integer', minimum: 1, maximum: 10000 },
            classes: { type: 'array', maxItems: 10000, items: { type: 'integer', minimum: 0 } },
            agnostic: { type: 'boolean' },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const call = beginTask<VisionBackend>(ctx, request, reply, 'detect', body.model, '/v1/images/detect');
      const inputs = await images(body, call.signal);
      const options: DetectOptions = {};
      if (body.confidence !== undefined) options.confidence = body.confidence;
      if (body.iou !== undefined) options.iou = body.iou;
      if (body.max_detections !== undefined) options.maxDetections = body.max_detections;
      if (body.classes !== undefined) options.classes = body.classes;
      if (body.agnostic !== undefined) options.agnostic = body.agnostic;
      const backend = call.model.backend;
      const results = await call.batch(inputs, options, (xs, o) => backend.batchDetect(xs, o));
      return { object: 'list', model: call.model.id, data: results.map(toDetection) };
    },
  );

  app.post<{ Body: ClassifyBody }>(
    '/v1/images/classify',
    {
      schema: {
        summary: 'Classify images (or zero-shot with labels on CLIP-style models)',
        tags: ['images'],
        body: {
          type: 'object',
          properties: {
            ...common,
            top_k: { type: 'integer', minimum: 1, maximum: 1000 },
            labels: {
              type: 'array',
              minItems: 1,
              maxItems: 1000,
              items: { type: 'string', minLength: 1, maxLength: 1000 },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const call = beginTask<VisionBackend>(ctx, request, reply, 'classify', body.model, '/v1/images/classify');
      const inputs = await images(body, call.signal);
      const options: ClassifyOptions & { labels?: readonly string[] } = {};
      if (body.top_k !== undefined) options.topK = body.top_k;
      if (body.labels !== undefined) options.labels = body.labels;
      const backend = call.model.backend;
      const results = await call.batch(inputs, options, (xs, o) => backend.batchClassify(xs, o));
      return { object: 'list', model: call.model.id, data: results.map(toClassification) };
    },
  );

  app.post<{ Body: EmbedBody }>(
    '/v1/images/embed',
    {
      schema: {
        summary: 'Embed images (and text on CLIP-style models)',
        tags: ['images'],
        body: {
          type: 'object',
          properties: {
            ...common,
            input: {
              anyOf: [
                { type: 'string', minLength: 1 },
                { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
              ],
            },
            encoding_format: { type: 'string', enum: ['float', 'base64'] },
            normalize: { type: 'boolean' },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (body.image === undefined && body.input === undefined) {
        throw badParam(
          'image',
          "Give 'image' (images to embed) or 'input' (texts, on CLIP-style models).",
          'missing_required_parameter',
        );
      }
      const texts = body.input === undefined ? [] : Array.isArray(body.input) ? body.input : [body.input];
      const task = texts.length > 0 && body.image === undefined ? 'embed_text' : 'embed';
      const call = beginTask<VisionBackend>(ctx, request, reply, task, body.model, '/v1/images/embed');
      const { model, signal } = call;
      if (texts.length > 0 && !model.backend.capabilities.embedText) {
        throw badParam(
          'input',
          `The model '${model.id}' embeds images only; text 'input' needs a CLIP-style model.`,
          'model_not_supported',
        );
      }
      if (texts.length > ctx.limits.embeddingInputs)
        throw badParam('input', `At most ${ctx.limits.embeddingInputs} texts per request.`);
      const inputs: (Uint8Array | TextInput)[] = body.image === undefined ? [] : await images(body, signal);
      for (const t of texts) {
        if (t.length > ctx.limits.embeddingChars)
          throw badParam(
            'input',
            `A text is longer than ${ctx.limits.embeddingChars} characters.`,
            'string_above_max_length',
          );
        inputs.push({ text: t });
      }
      const options = { normalize: body.normalize ?? true, signal };
      const results = await call.run(() => model.backend.batchEmbed(inputs, options));
      const format = body.encoding_format ?? 'float';
      return { object: 'list', model: model.id, data: results.map((r, i) => toEmbedding(r, i, format)) };
    },
  );

  registerEmbeddingsRoute(app, ctx);
}
