import { invalidParameter, type ModelBackend } from '@llama-pajamas/run-core';
import { hostedWorkerCount } from '@llama-pajamas/run-core/workers';
import { ApiError } from './errors.js';
import type { MicroBatcher } from './batcher.js';
import type { BackendSet } from './options.js';
import { WorkQueue, type WorkQueueOptions } from './queue.js';
import {
  MODEL_KIND_NAMES,
  MODEL_KINDS,
  serveFlagFor,
  type ModelKind,
  type ModelKindSpec,
  type ServedTask,
  type TaskBackends,
} from './tasks.js';

/** One named backend with its queue. */
export interface ServedModel<B extends ModelBackend = ModelBackend> {
  id: string;
  kind: ModelKind;
  backend: B;
  queue: WorkQueue;
  tasks: ServedTask[];
  /** One micro-batcher per task, created on first use (it groups requests by their options itself). */
  batchers: Map<ServedTask, MicroBatcher<never, never, unknown>>;
}

function entries<B extends ModelBackend>(set: BackendSet<B> | undefined): [string, B][] {
  if (set === undefined) return [];
  if (set instanceof Map) return [...(set as ReadonlyMap<string, B>).entries()];
  if (Array.isArray(set)) return (set as readonly B[]).map((b) => [b.modelId, b]);
  if (typeof (set as B).load === 'function' && typeof (set as B).unload === 'function') {
    return [[(set as B).modelId, set as B]];
  }
  return Object.entries(set as Record<string, B>);
}

/** Every served model, by name, with lookup by task. */
export class ModelTable {
  readonly models: ServedModel[] = [];

  /**
   * Builds the table from backends keyed as the task table's kinds; throws `ERR_RUN_INVALID_ARGUMENT` when two
   * models share a name.
   */
  constructor(sets: TaskBackends, queue: WorkQueueOptions) {
    for (const kind of MODEL_KIND_NAMES) {
      const spec = MODEL_KINDS[kind] as unknown as ModelKindSpec<ModelBackend, ServedTask>;
      for (const [id, backend] of entries(sets[kind] as BackendSet<ModelBackend> | undefined)) {
        const taken = this.models.find((m) => m.id === id);
        if (taken) {
          throw invalidParameter(
            `the name of one of the ${spec.label}`,
            `a name no other served model has (the ${taken.kind} model '${id}' has it; name each one with a record key or name=path)`,
            id,
          );
        }
        this.models.push({
          id,
          kind,
          backend,
          tasks: spec.servedTasks(backend),
          // A model hosted in N worker threads runs N requests at once, one per worker.
          queue: new WorkQueue({
            ...queue,
            concurrency: hostedWorkerCount(backend) ?? spec.concurrency?.(backend) ?? queue.concurrency,
          }),
          batchers: new Map(),
        });
      }
    }
  }

  /** Models that can do `task`, default first. */
  forTask(task: ServedTask): ServedModel[] {
    return this.models.filter((m) => m.tasks.includes(task));
  }

  /**
   * Picks the model for a request: by name when `requested` names one of ours, else the task's default.
   * OpenAI model names (`whisper-1`, `tts-1`, `text-embedding-3-small`…) map to the default so SDK code runs
   * unchanged. 501 when no model can do the task, 404 for an unknown name, 400 when the named model can't do it.
   */
  pick<B extends ModelBackend>(task: ServedTask, requested: unknown, endpoint: string): ServedModel<B> {
    const candidates = this.forTask(task);
    if (typeof requested === 'string' && requested !== '') {
      const named = this.models.find((m) => m.id === requested);
      if (named) {
        if (!named.tasks.includes(task)) {
          throw new ApiError(
            400,
            `The model '${requested}' cannot serve ${endpoint} (it does: ${named.tasks.join(', ') || 'nothing'}). Use one of: ${candidates.map((m) => m.id).join(', ') || 'none loaded'}.`,
            { param: 'model', code: 'model_not_supported' },
          );
        }
        return named as unknown as ServedModel<B>;
      }
      if (!isOpenAiAlias(requested)) {
        throw new ApiError(
          404,
          `The model '${requested}' does not exist. Models for ${endpoint}: ${candidates.map((m) => m.id).join(', ') || 'none loaded'} (see GET /v1/models).`,
          { param: 'model', code: 'model_not_found' },
        );
      }
    }
    const first = candidates[0];
    if (!first) {
      throw new ApiError(
        501,
        `No model that can serve ${endpoint} is loaded. Start the server with one (for example \`llama-pajamas serve --${serveFlagFor(task) ?? task} <model>\`).`,
        { code: 'model_not_loaded', param: 'model' },
      );
    }
    return first as unknown as ServedModel<B>;
  }
}

const OPENAI_ALIASES = /^(whisper-|gpt-4o(-mini)?-(transcribe|tts)|tts-|text-embedding-|gpt-)/;
function isOpenAiAlias(name: string): boolean {
  return OPENAI_ALIASES.test(name);
}
