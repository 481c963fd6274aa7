import type { FastifyServerOptions } from 'fastify';
import type { TaskBackends } from './tasks.js';

/**
 * Backends for one task: a single backend, an array (named by `modelId`), a record or a Map of name → backend.
 * The first one is the default when a request names no model.
 */
export type BackendSet<B> = B | readonly B[] | Readonly<Record<string, B>> | ReadonlyMap<string, B>;

/** Size and count limits; every one has a default. */
export interface ServerLimits {
  /** Largest JSON body in bytes (default 32 MiB: base64 images are 4/3 larger than the file). */
  bodyBytes?: number;
  /** Largest uploaded audio file in bytes (default 25 MiB, as OpenAI). */
  audioBytes?: number;
  /** Largest image (decoded bytes, per image) (default 20 MiB). */
  imageBytes?: number;
  /** Most images in one request (default 16). */
  imagesPerRequest?: number;
  /** Longest `input` of `/v1/audio/speech` in characters (default 4096, as OpenAI). */
  speechChars?: number;
  /** Most texts in one `/v1/embeddings` request (default 256) and longest text (default 8192 chars). */
  embeddingInputs?: number;
  embeddingChars?: number;
}

/** Options of {@link createMultimodalApp}'s server behaviour. */
export interface MultimodalAppOptions {
  /** Bearer key(s); when set, every route but `/health` needs `Authorization: Bearer <key>`. */
  apiKey?: string | readonly string[];
  /** Fetch `http(s)://` image URLs (default false). */
  allowUrlImages?: boolean;
  /**
   * CIDR ranges that image URLs may reach although they are private (e.g. `['10.1.2.0/24']` for an internal
   * image store). Loopback, private, link-local and metadata addresses are refused otherwise. Default none.
   */
  urlAllowlist?: readonly string[];
  /** Time cap (ms, default 10000) and size cap (bytes, default `limits.imageBytes`) of one URL fetch. */
  urlTimeoutMs?: number;
  /** Most redirects followed for one image URL (default 3). */
  urlMaxRedirects?: number;
  limits?: ServerLimits;
  /**
   * Requests that run at once per backend (default 1, safe with any onnxruntime thread count). For a model with a
   * batch dim fixed at 1, `concurrency` = cores with sessions of `intraOpThreads: 1` and `microBatch: false` gave the
   * best throughput on a 2-core machine; dynamic-batch models do best with 1 and micro-batching (docs/benchmarks.md).
   */
  concurrency?: number;
  /** Requests that may wait per backend before 429 (default 16). */
  maxQueue?: number;
  /** Time limit of one request's inference, queue wait included (ms, default 120000); past it: 504. */
  requestTimeoutMs?: number;
  /**
   * Run concurrent single-image detect/classify requests together with `batchDetect`/`batchClassify`, and
   * non-streaming transcriptions/translations with the same options with `batchTranscribe` (default true, up to 8).
   */
  microBatch?: boolean | { maxBatch?: number };
  /** Fastify's logger option (pino); default false. Request ids are logged as `reqId`. */
  logger?: FastifyServerOptions['logger'];
  /** ffmpeg executable for AAC speech output (default `'ffmpeg'` looked up on PATH; `false` disables AAC). */
  ffmpegPath?: string | false;
  /** Serve `GET /openapi.json` (default true). */
  openapi?: boolean;
}

/**
 * What {@link createMultimodalApp} and {@link multimodalPlugin} take: backends for any mix of kinds, one key per
 * entry of the task table (`vision`: each route uses those whose `capabilities` fit; `stt`; `tts`), none required,
 * and options.
 */
export interface MultimodalAppConfig extends TaskBackends {
  options?: MultimodalAppOptions;
}

/** Limits with their defaults filled in. */
export type ResolvedLimits = Required<ServerLimits>;

/** Fills the limit defaults. */
export function resolveLimits(limits: ServerLimits = {}): ResolvedLimits {
  return {
    bodyBytes: limits.bodyBytes ?? 32 * 1024 * 1024,
    audioBytes: limits.audioBytes ?? 25 * 1024 * 1024,
    imageBytes: limits.imageBytes ?? 20 * 1024 * 1024,
    imagesPerRequest: limits.imagesPerRequest ?? 16,
    speechChars: limits.speechChars ?? 4096,
    embeddingInputs: limits.embeddingInputs ?? 256,
    embeddingChars: limits.embeddingChars ?? 8192,
  };
}
