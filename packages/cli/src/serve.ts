import { readFile } from 'node:fs/promises';
import { basename, resolve as resolvePath } from 'node:path';
import type { ModelBackend, STTBackend, TTSBackend, VisionBackend } from '@llama-pajamas/run-core';
import * as onnx from '@llama-pajamas/run-onnx';
import { createMultimodalApp, type MultimodalAppOptions } from '@llama-pajamas/run-server';

/** A task a model can be served for from the command line. */
export type ServeTask = 'detect' | 'classify' | 'embed' | 'stt' | 'tts';

/** One model to serve: its task, name (the request's `model`) and path; `options` go to the loader. */
export interface ModelSpec {
  task: ServeTask;
  name: string;
  path: string;
  options?: Record<string, unknown>;
}

/** Everything `llama-pajamas serve` needs; the cli fills it from flags, a config file and env vars. */
export interface ServeConfig {
  models: ModelSpec[];
  host?: string;
  port?: number;
  apiKey?: string;
  allowUrlImages?: boolean;
  /** Anything else run-server takes (limits, concurrency, maxQueue, requestTimeoutMs…). */
  server?: Omit<MultimodalAppOptions, 'apiKey' | 'allowUrlImages' | 'logger'>;
  logLevel?: string;
}

/**
 * Parses a `--detect` style value: `path` or `name=path` (name defaults to the file name without extension).
 * @example
 * parseModelSpec('detect', 'yolox=models/yolox_nano.onnx') // { task: 'detect', name: 'yolox', path: '/abs/models/yolox_nano.onnx' }
 */
export function parseModelSpec(task: ServeTask, value: string): ModelSpec {
  const eq = value.indexOf('=');
  const named = eq > 0 && !value.slice(0, eq).includes('/');
  const path = named ? value.slice(eq + 1) : value;
  if (path.length === 0) throw new Error(`--${task} needs a model path (or name=path), got '${value}'.`);
  const name = named ? value.slice(0, eq) : basename(path).replace(/\.(onnx|mlpackage|mlmodel)$/i, '');
  return { task, name, path: resolvePath(path) };
}

type Loader<B> = (path: string, options?: Record<string, unknown>) => Promise<B>;
interface Loaders {
  loadVisionModel: Loader<VisionBackend>;
  loadSpeechToText: Loader<STTBackend>;
  loadTextToSpeech: Loader<TTSBackend>;
}

function loader<K extends keyof Loaders>(name: K): Loaders[K] {
  const fn = (onnx as unknown as Partial<Loaders>)[name];
  if (typeof fn !== 'function') {
    throw new Error(
      `This build of @llama-pajamas/run-onnx has no ${name}(); update llama-pajamas to serve this kind of model.`,
    );
  }
  return fn as Loaders[K];
}

/** What {@link startServer} returns: the app, the address it listens on, and the loaded models. */
export interface RunningServer {
  app: Awaited<ReturnType<typeof createMultimodalApp>>;
  address: string;
  backends: { spec: ModelSpec; backend: ModelBackend; ms: number }[];
  /** Stops accepting requests, finishes those in flight, then unloads the models. */
  close(): Promise<void>;
}

/**
 * Loads every model with run-onnx, hands them to run-server and listens.
 * @example
 * const s = await startServer({ models: [parseModelSpec('detect', 'yolox_nano.onnx')], port: 8000 });
 * // s.address === 'http://127.0.0.1:8000'
 */
export async function startServer(
  config: ServeConfig,
  log: (line: string) => void = () => undefined,
): Promise<RunningServer> {
  if (config.models.length === 0) {
    throw new Error(
      'No models to serve. Give at least one of --detect, --classify, --embed, --stt, --tts (or "models" in --config).',
    );
  }
  const vision = new Map<string, VisionBackend>();
  const stt = new Map<string, STTBackend>();
  const tts = new Map<string, TTSBackend>();
  const backends: RunningServer['backends'] = [];
  try {
    for (const spec of config.models) {
      const t0 = performance.now();
      let backend: ModelBackend;
      if (spec.task === 'stt') {
        const b = await loader('loadSpeechToText')(spec.path, { ...spec.options });
        stt.set(spec.name, b);
        backend = b;
      } else if (spec.task === 'tts') {
        const b = await loader('loadTextToSpeech')(spec.path, { ...spec.options });
        tts.set(spec.name, b);
        backend = b;
      } else {
        if (vision.has(spec.name)) throw new Error(`Two models are named '${spec.name}'. Name them with name=path.`);
        const b = await loader('loadVisionModel')(spec.path, { task: spec.task, modelId: spec.name, ...spec.options });
        vision.set(spec.name, b);
        backend = b;
      }
      const ms = Math.round(performance.now() - t0);
      backends.push({ spec, backend, ms });
      log(`loaded ${spec.task} model '${spec.name}' from ${spec.path} in ${ms} ms`);
    }
  } catch (error) {
    for (const b of backends) await b.backend.unload().catch(() => undefined);
    throw error;
  }
  const app = await createMultimodalApp({
    vision,
    stt,
    tts,
    options: {
      ...config.server,
      apiKey: config.apiKey,
      allowUrlImages: config.allowUrlImages ?? false,
      logger: config.logLevel === undefined || config.logLevel === 'silent' ? false : { level: config.logLevel },
    },
  });
  const address = await app.listen({ host: config.host ?? '127.0.0.1', port: config.port ?? 8000 });
  log(`llama-pajamas listening on ${address}`);
  return {
    app,
    address,
    backends,
    async close() {
      await app.close();
      for (const b of backends) await b.backend.unload().catch(() => undefined);
    },
  };
}

/** Reads a JSON config file: `{ host, port, apiKey, allowUrlImages, logLevel, server, models: [{ task, name, path, options }] }`. */
export async function readConfigFile(path: string): Promise<ServeConfig> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new Error(`Could not read the config file ${path}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error(`${path}: expected a JSON object.`);
  const c = json as Partial<ServeConfig> & { models?: unknown };
  const models: ModelSpec[] = [];
  if (c.models !== undefined) {
    if (!Array.isArray(c.models))
      throw new Error(`${path}: "models" must be an array of { task, name?, path, options? }.`);
    for (const m of c.models as Partial<ModelSpec>[]) {
      if (
        !m ||
        !['detect', 'classify', 'embed', 'stt', 'tts'].includes(m.task as string) ||
        typeof m.path !== 'string'
      ) {
        throw new Error(
          `${path}: each model needs "task" (detect, classify, embed, stt or tts) and "path"; got ${JSON.stringify(m)}.`,
        );
      }
      const spec = parseModelSpec(m.task as ServeTask, resolvePath(path, '..', m.path));
      models.push({ ...spec, name: m.name ?? spec.name, ...(m.options ? { options: m.options } : {}) });
    }
  }
  return { ...c, models };
}
