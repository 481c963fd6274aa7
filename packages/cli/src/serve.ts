import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, resolve as resolvePath } from 'node:path';
import type { ModelBackend } from '@llama-pajamas/run-core';
import { hostedWorkerCount } from '@llama-pajamas/run-core/workers';
import { playgroundPlugin } from '@llama-pajamas/playground';
import { loadLlamaModel } from '@llama-pajamas/run-llama';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  multimodalFastifyOptions,
  multimodalPlugin,
  MODEL_KIND_NAMES,
  SERVE_FLAGS,
  describeModelRuntime,
  type BackendOf,
  type ModelKind,
  type ModelRuntimeInfo,
  type MultimodalAppOptions,
  type ServeFlag,
  type TaskBackends,
} from '@llama-pajamas/run-server';
import { createModelResolver, type CliModelResolver } from './model-refs.js';
import { checkThreads, checkWorkers, loadInWorkerThreads } from './workers.js';
import {
  COMPUTE_UNITS,
  loadOnRuntime,
  pickRuntime,
  RUNTIME_CHOICES,
  type ComputeUnits,
  type RuntimeChoice,
} from './runtime.js';

/** A task a model can be served for from the command line: a serve flag of run-server's task table. */
export type ServeTask = ServeFlag;

/** One model to serve: its task, name (the request's `model`) and path; `options` go to the loader. */
export interface ModelSpec {
  task: ServeTask;
  name: string;
  path: string;
  options?: Record<string, unknown>;
  /** The runtime of this model (default: the server's `runtime`, else `auto`); chat models ignore it. */
  runtime?: RuntimeChoice;
  /** Worker threads hosting this image or speech model (default: the server's `workers`; 0 = in-process). */
  workers?: number;
  /** Intra-op threads of its ONNX sessions, per worker in worker mode (default: the server's `threads`). */
  threads?: number;
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
  /** Serve the web playground at `/` and `/playground` (default `true`; `--no-playground` turns it off). */
  playground?: boolean;
  /**
   * Runtime of the image and speech models (default `auto`: CoreML on macOS when the model path holds a converted
   * CoreML model, else ONNX); a model's own `runtime` wins.
   */
  runtime?: RuntimeChoice;
  /** CoreML compute units (default `all`). */
  computeUnits?: ComputeUnits;
  /** Worker threads per image or speech model (default 0: in the server's own thread); see docs/architecture.md. */
  workers?: number;
  /** Intra-op threads of every ONNX session (per worker with `workers`); default onnxruntime's. */
  threads?: number;
}

/**
 * Whether a `--detect` style value is a model reference for the model cache (a catalog name such as `yolox-nano`,
 * or `hf:org/name[@rev]`) rather than a file path: `hf:`, or a bare name that is not a file here.
 */
export function isModelReference(value: string): boolean {
  if (value.startsWith('hf:')) return true;
  return (
    /^[A-Za-z0-9][\w.-]*(@[\w.-]+)?$/.test(value) &&
    !/\.(onnx|gguf|json|mlpackage|mlmodel|mlmodelc)$/i.test(value) &&
    !existsSync(value)
  );
}

/**
 * Parses a `--detect` style value: `path` or `name=path` (name defaults to the file name without extension); a
 * model reference (`yolox-nano`, `hf:org/name`) is kept as it is, for {@link startServer} to resolve.
 * @example
 * parseModelSpec('detect', 'yolox=models/yolox_nano.onnx') // { task: 'detect', name: 'yolox', path: '/abs/models/yolox_nano.onnx' }
 */
export function parseModelSpec(task: ServeTask, value: string): ModelSpec {
  const eq = value.indexOf('=');
  const named = eq > 0 && !value.slice(0, eq).includes('/');
  const path = named ? value.slice(eq + 1) : value;
  if (path.length === 0) throw new Error(`--${task} needs a model path (or name=path), got '${value}'.`);
  const name = named
    ? value.slice(0, eq)
    : basename(path.replace(/^hf:/, '').replace(/@.*$/, '')).replace(/\.(onnx|mlpackage|mlmodel|gguf)$/i, '');
  return { task, name, path: isModelReference(path) ? path : resolvePath(path) };
}

/** A loaded model and what `/health` says about its runtime. */
interface Loaded<K extends ModelKind> {
  backend: BackendOf<K>;
  info: () => ModelRuntimeInfo;
}

/** Loads an image or speech model on the runtime its spec (or the server) picks. */
async function onRuntime<K extends 'vision' | 'stt' | 'tts'>(
  kind: K,
  spec: ModelSpec,
  config: ServeConfig,
  options: Record<string, unknown>,
  log: (line: string) => void,
): Promise<Loaded<K>> {
  const runtime = await pickRuntime(spec.runtime ?? config.runtime ?? 'auto', spec.path);
  const threads = spec.threads ?? config.threads;
  if (threads !== undefined) checkThreads(threads);
  // ONNX's intra-op threads (CoreML has no such setting).
  if (threads !== undefined && runtime === 'onnx' && options.intraOpThreads === undefined) {
    options = { ...options, intraOpThreads: threads };
  }
  const workers = checkWorkers(spec.workers ?? config.workers ?? 0);
  if (workers > 0) {
    const hosted = await loadInWorkerThreads(kind, spec.path, options, runtime, workers);
    return { backend: hosted.backend as unknown as BackendOf<K>, info: hosted.info };
  }
  const loaded = await loadOnRuntime(kind, spec.path, options, runtime, {
    ...(config.computeUnits ? { computeUnits: config.computeUnits } : {}),
    onCompile: (file) => log(`compiling ${file} for CoreML (first load only: the compiled model is cached)…`),
  });
  return { backend: loaded.backend as unknown as BackendOf<K>, info: loaded.info };
}

/**
 * How the cli loads a model of each kind of run-server's task table (a new kind there makes the type checker ask
 * for its loader here): image and speech models on ONNX or CoreML (`--runtime`), chat models on llama.cpp.
 */
const LOADERS: {
  [K in ModelKind]: (spec: ModelSpec, config: ServeConfig, log: (line: string) => void) => Promise<Loaded<K>>;
} = {
  vision: (spec, config, log) =>
    onRuntime('vision', spec, config, { task: spec.task, modelId: spec.name, ...spec.options }, log),
  stt: (spec, config, log) => onRuntime('stt', spec, config, { ...spec.options }, log),
  tts: (spec, config, log) => onRuntime('tts', spec, config, { ...spec.options }, log),
  llm: async (spec) => ({
    backend: await loadLlamaModel(spec.path, { modelId: spec.name, ...spec.options }),
    info: () => ({ runtime: 'llama.cpp' }),
  }),
};

const FLAG_KINDS = new Map<string, ModelKind>(SERVE_FLAGS.map((f) => [f.flag, f.kind]));
const FLAG_LIST = SERVE_FLAGS.map((f) => f.flag);

/** Whether `value` names a serve flag of the task table (`detect`, `stt`…). */
export function isServeTask(value: unknown): value is ServeTask {
  return typeof value === 'string' && FLAG_KINDS.has(value);
}

/** What {@link startServer} returns: the app, the address it listens on, and the loaded models. */
export interface RunningServer {
  app: FastifyInstance;
  address: string;
  backends: { spec: ModelSpec; backend: ModelBackend; ms: number }[];
  /** Stops accepting requests, finishes those in flight, then unloads the models. */
  close(): Promise<void>;
}

/**
 * Loads every model (image and speech models on ONNX or CoreML, chat models on llama.cpp), hands them to
 * run-server and listens.
 * @example
 * const s = await startServer({ models: [parseModelSpec('detect', 'yolox_nano.onnx')], port: 8000 });
 * // s.address === 'http://127.0.0.1:8000'
 */
export async function startServer(
  config: ServeConfig,
  log: (line: string) => void = () => undefined,
): Promise<RunningServer> {
  if (config.models.length === 0) config = { ...config, models: await cachedDefaults(log) };
  if (config.models.length === 0) {
    throw new Error(
      `No models to serve. Give at least one of ${FLAG_LIST.map((f) => `--${f}`).join(', ')} (or "models" in --config), or pull the catalog defaults (see above).`,
    );
  }
  const seen = new Map<string, ModelSpec>();
  for (const spec of config.models) {
    const other = seen.get(spec.name);
    if (other) {
      throw new Error(
        `Two models are named '${spec.name}' (--${other.task} ${other.path} and --${spec.task} ${spec.path}). Name them with name=path.`,
      );
    }
    seen.set(spec.name, spec);
  }
  const sets = new Map<ModelKind, Map<string, ModelBackend>>(MODEL_KIND_NAMES.map((k) => [k, new Map()]));
  const backends: RunningServer['backends'] = [];
  try {
    for (const spec of config.models) {
      const kind = FLAG_KINDS.get(spec.task);
      if (kind === undefined) throw new Error(`Unknown task '${spec.task}'; expected one of ${FLAG_LIST.join(', ')}.`);
      const t0 = performance.now();
      const path = isModelReference(spec.path) ? (await resolver().resolve(spec.path)).path : spec.path;
      const loaded = await LOADERS[kind]({ ...spec, path }, config, log);
      const backend: ModelBackend = loaded.backend;
      describeModelRuntime(backend, loaded.info);
      sets.get(kind)?.set(spec.name, backend);
      const ms = Math.round(performance.now() - t0);
      backends.push({ spec, backend, ms });
      log(
        `loaded ${spec.task} model '${spec.name}' from ${path === spec.path ? path : `${spec.path} (${path})`} on ${loaded.info().runtime}${threadsNote(backend)} in ${ms} ms`,
      );
    }
  } catch (error) {
    for (const b of backends) await b.backend.unload().catch(() => undefined);
    throw error;
  }
  const options: MultimodalAppOptions = {
    ...config.server,
    apiKey: config.apiKey,
    allowUrlImages: config.allowUrlImages ?? false,
    logger: config.logLevel === undefined || config.logLevel === 'silent' ? false : { level: config.logLevel },
  };
  const app = Fastify(multimodalFastifyOptions(options));
  await app.register(multimodalPlugin, { ...(Object.fromEntries(sets) as TaskBackends), options });
  if (config.playground !== false) await app.register(playgroundPlugin);
  const address = await app.listen({ host: config.host ?? '127.0.0.1', port: config.port ?? 8000 });
  log(`llama-pajamas listening on ${address}`);
  if (config.playground !== false) log(`playground: ${address}/`);
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

/** ` in N worker threads` for a model hosted in worker threads, else nothing. */
function threadsNote(backend: ModelBackend): string {
  const n = hostedWorkerCount(backend);
  return n === undefined ? '' : ` in ${n} worker threads`;
}

let modelResolver: CliModelResolver | undefined;
/** The cli's model resolver (HF_HUB_CACHE, HF_HUB_OFFLINE… from the environment), made on first use. */
function resolver(): CliModelResolver {
  modelResolver ??= createModelResolver(process.env);
  return modelResolver;
}

/**
 * `serve` with no models: the catalog defaults that are in the cache (pulled, or placed there by tools/setup.sh),
 * each under its catalog name; for the others, a line with the command that pulls them.
 */
async function cachedDefaults(log: (line: string) => void): Promise<ModelSpec[]> {
  const specs: ModelSpec[] = [];
  for (const d of await resolver().defaults()) {
    if (!isServeTask(d.task)) continue; // the VAD is loaded by the speech-to-text model itself
    if ('model' in d) specs.push({ task: d.task, name: d.entry.name, path: d.model.path });
    else log(`not serving ${d.task}: ${d.entry.name} is not in the cache (\`${d.missing.pullCommand}\`)`);
  }
  return specs;
}

/**
 * Reads a JSON config file: `{ host, port, apiKey, allowUrlImages, logLevel, runtime, computeUnits, server,
 * models: [{ task, name, path, runtime, options }] }`.
 */
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
      if (!m || !isServeTask(m.task) || typeof m.path !== 'string') {
        throw new Error(
          `${path}: each model needs "task" (one of ${FLAG_LIST.join(', ')}) and "path"; got ${JSON.stringify(m)}.`,
        );
      }
      const spec = parseModelSpec(m.task, isModelReference(m.path) ? m.path : resolvePath(path, '..', m.path));
      const runtime = m.runtime === undefined ? undefined : checkChoice(path, 'runtime', m.runtime, RUNTIME_CHOICES);
      models.push({
        ...spec,
        name: m.name ?? spec.name,
        ...(m.options ? { options: m.options } : {}),
        ...(runtime ? { runtime } : {}),
        ...(m.workers !== undefined
          ? { workers: checkWorkers(m.workers, `${path}: "workers" of '${m.name ?? spec.name}'`) }
          : {}),
        ...(m.threads !== undefined
          ? { threads: checkThreads(m.threads, `${path}: "threads" of '${m.name ?? spec.name}'`) }
          : {}),
      });
    }
  }
  if (c.workers !== undefined) checkWorkers(c.workers, `${path}: "workers"`);
  if (c.threads !== undefined) checkThreads(c.threads, `${path}: "threads"`);
  if (c.runtime !== undefined) checkChoice(path, 'runtime', c.runtime, RUNTIME_CHOICES);
  if (c.computeUnits !== undefined) checkChoice(path, 'computeUnits', c.computeUnits, COMPUTE_UNITS);
  return { ...c, models };
}

/** A config file value that must be one of `choices`. */
function checkChoice<T extends string>(file: string, key: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new Error(`${file}: "${key}" must be one of ${choices.join(', ')}; got ${JSON.stringify(value)}.`);
  }
  return value as T;
}
