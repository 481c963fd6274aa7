import type {
  ClassificationResult,
  ClassifyOptions,
  DetectionResult,
  DetectOptions,
  EmbeddingResult,
  TextInput,
  VisionBackend,
} from '@llama-pajamas/run-core';
import type { FastifyInstance } from 'fastify';
import { MicroBatcher } from '../batcher.js';
import { raceSignal, requestSignal, type RouteContext } from '../context.js';
import { ApiError, badParam } from '../errors.js';
import { readImageInput } from '../image-input.js';
import type { ServedModel, ServedTask } from '../models.js';

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

function round(n: number, d = 4): number {
  const p = 10 ** d;
  return Math.round(n * p) / p;
}

/** Encodes a float vector as OpenAI's base64 (little-endian float32 bytes). */
export function embeddingToBase64(v: Float32Array): string {
  const le = new Float32Array(v);
  return Buffer.from(le.buffer, le.byteOffset, le.byteLength).toString('base64');
}

function toDetection(result: DetectionResult, index: number): Record<string, unknown> {
  return {
    object: 'image.detection',
    index,
    width: result.imageWidth,
    height: result.imageHeight,
    detections: result.detections.map((d) => ({
      class_id: d.classId,
      class_name: d.label,
      confidence: round(d.confidence),
      box: { x1: round(d.box.x1, 2), y1: round(d.box.y1, 2), x2: round(d.box.x2, 2), y2: round(d.box.y2, 2) },
    })),
  };
}

function toClassification(result: ClassificationResult, index: number): Record<string, unknown> {
  return {
    object: 'image.classification',
    index,
    width: result.imageWidth,
    height: result.imageHeight,
    predictions: result.predictions.map((p) => ({
      class_id: p.classId,
      class_name: p.label,
      score: round(p.score, 6),
    })),
  };
}

function toEmbedding(result: EmbeddingResult, index: number, format: 'float' | 'base64'): Record<string, unknown> {
  return {
    object: 'embedding',
    index,
    source: result.source,
    normalized: result.normalized,
    embedding: format === 'base64' ? embeddingToBase64(result.embedding) : Array.from(result.embedding),
  };
}

/** Registers `/v1/images/detect`, `/v1/images/classify` and `/v1/images/embed`. */
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

  /** Runs single images through the micro-batcher (when on) and arrays as one batch call. */
  function run<R>(
    model: ServedModel<VisionBackend>,
    task: ServedTask,
    key: string,
    inputs: Uint8Array[],
    batch: (inputs: Uint8Array[]) => Promise<R[]>,
    signal: AbortSignal,
  ): Promise<R[]> {
    const first = inputs[0];
    if (inputs.length === 1 && first && ctx.microBatch > 1) {
      const id = `${task}:${key}`;
      let batcher = model.batchers.get(id) as MicroBatcher<Uint8Array, R> | undefined;
      if (!batcher) {
        // One batcher per option set (the key), dropped when idle: a client that varies its options (confidence,
        // zero-shot labels up to ~1 MB) would otherwise leave one batcher and its options behind per distinct value.
        const created: MicroBatcher<Uint8Array, R> = new MicroBatcher<Uint8Array, R>(
          model.queue,
          ctx.microBatch,
          (_k, xs) => batch(xs),
          () => {
            if (model.batchers.get(id) === created) model.batchers.delete(id);
          },
        );
        batcher = created;
        model.batchers.set(id, batcher as MicroBatcher<unknown, unknown>);
      }
      return raceSignal(batcher.submit(key, first, signal), signal).then((r) => [r]);
    }
    return raceSignal(
      model.queue.run(() => batch(inputs), signal),
      signal,
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
      const model = ctx.models.pick<VisionBackend>('detect', body.model, '/v1/images/detect');
      const signal = requestSignal(request, reply, ctx.requestTimeoutMs);
      const inputs = await images(body, signal);
      const options: DetectOptions = {};
      if (body.confidence !== undefined) options.confidence = body.confidence;
      if (body.iou !== undefined) options.iou = body.iou;
      if (body.max_detections !== undefined) options.maxDetections = body.max_detections;
      if (body.classes !== undefined) options.classes = body.classes;
      if (body.agnostic !== undefined) options.agnostic = body.agnostic;
      const key = JSON.stringify(options);
      const results = await run(model, 'detect', key, inputs, (xs) => model.backend.batchDetect(xs, options), signal);
      return { object: 'list', model: model.id, data: results.map(toDetection) };
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
      const model = ctx.models.pick<VisionBackend>('classify', body.model, '/v1/images/classify');
      const signal = requestSignal(request, reply, ctx.requestTimeoutMs);
      const inputs = await images(body, signal);
      const options: ClassifyOptions & { labels?: readonly string[] } = {};
      if (body.top_k !== undefined) options.topK = body.top_k;
      if (body.labels !== undefined) options.labels = body.labels;
      const results = await run(
        model,
        'classify',
        JSON.stringify(options),
        inputs,
        (xs) => model.backend.batchClassify(xs, options),
        signal,
      );
      return { object: 'list', model: model.id, data: results.map(toClassification) };
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
      const model = ctx.models.pick<VisionBackend>(
        texts.length > 0 && body.image === undefined ? 'embed_text' : 'embed',
        body.model,
        '/v1/images/embed',
      );
      if (texts.length > 0 && !model.backend.capabilities.embedText) {
        throw badParam(
          'input',
          `The model '${model.id}' embeds images only; text 'input' needs a CLIP-style model.`,
          'model_not_supported',
        );
      }
      if (texts.length > ctx.limits.embeddingInputs)
        throw badParam('input', `At most ${ctx.limits.embeddingInputs} texts per request.`);
      const signal = requestSignal(request, reply, ctx.requestTimeoutMs);
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
      const results = await raceSignal(
        model.queue.run(() => model.backend.batchEmbed(inputs, options), signal),
        signal,
      );
      const format = body.encoding_format ?? 'float';
      return { object: 'list', model: model.id, data: results.map((r, i) => toEmbedding(r, i, format)) };
    },
  );

  app.post<{
    Body: {
      model?: string;
      input: string | string[] | number[] | number[][];
      encoding_format?: 'float' | 'base64';
      dimensions?: number;
      user?: string;
    };
  }>(
    '/v1/embeddings',
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
      const model = ctx.models.pick<VisionBackend>('embed_text', body.model, '/v1/embeddings');
      const texts = (Array.isArray(body.input) ? body.input : [body.input]) as string[];
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
      const signal = requestSignal(request, reply, ctx.requestTimeoutMs);
      const results = await raceSignal(
        model.queue.run(
          () =>
            model.backend.batchEmbed(
              texts.map((text) => ({ text })),
              { normalize: true, signal },
            ),
          signal,
        ),
        signal,
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
          embedding: format === 'base64' ? embeddingToBase64(r.embedding) : Array.from(r.embedding),
        })),
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      };
    },
  );
}
