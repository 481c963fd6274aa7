import type { ModelBackend, STTBackend, TTSBackend, VisionBackend } from '@llama-pajamas/run-core';
import { ApiError } from './errors.js';
import type { MicroBatcher } from './batcher.js';
import type { BackendSet } from './options.js';
import { WorkQueue, type WorkQueueOptions } from './queue.js';

/** A task a served model can do. */
export type ServedTask = 'detect' | 'classify' | 'embed' | 'embed_text' | 'transcribe' | 'translate' | 'speech';

/** One named backend with its queue. */
export interface ServedModel<B extends ModelBackend = ModelBackend> {
  id: string;
  kind: 'vision' | 'stt' | 'tts';
  backend: B;
  queue: WorkQueue;
  tasks: ServedTask[];
  /** Per-backend micro-batchers, created on first use. */
  batchers: Map<string, MicroBatcher<unknown, unknown>>;
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

function visionTasks(b: VisionBackend): ServedTask[] {
  const t: ServedTask[] = [];
  if (b.capabilities.detect) t.push('detect');
  if (b.capabilities.classify) t.push('classify');
  if (b.capabilities.embedImage || b.capabilities.embedText) t.push('embed');
  if (b.capabilities.embedText) t.push('embed_text');
  return t;
}

/** Every served model, by name, with lookup by task. */
export class ModelTable {
  readonly models: ServedModel[] = [];

  constructor(
    sets: { vision?: BackendSet<VisionBackend>; stt?: BackendSet<STTBackend>; tts?: BackendSet<TTSBackend> },
    queue: WorkQueueOptions,
  ) {
    const add = (id: string, kind: ServedModel['kind'], backend: ModelBackend, tasks: ServedTask[]): void => {
      if (this.models.some((m) => m.id === id)) {
        throw new TypeError(
          `Two served models are named '${id}'. Give each a unique name (a record key or name=path).`,
        );
      }
      this.models.push({ id, kind, backend, tasks, queue: new WorkQueue(queue), batchers: new Map() });
    };
    for (const [id, b] of entries(sets.vision)) add(id, 'vision', b, visionTasks(b));
    for (const [id, b] of entries(sets.stt))
      add(id, 'stt', b, b.canTranslate ? ['transcribe', 'translate'] : ['transcribe']);
    for (const [id, b] of entries(sets.tts)) add(id, 'tts', b, ['speech']);
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
        `No model that can serve ${endpoint} is loaded. Start the server with one (for example \`llama-pajamas serve --${cliFlag(task)} <model>\`).`,
        { code: 'model_not_loaded', param: 'model' },
      );
    }
    return first as unknown as ServedModel<B>;
  }
}

function cliFlag(task: ServedTask): string {
  if (task === 'transcribe' || task === 'translate') return 'stt';
  if (task === 'speech') return 'tts';
  if (task === 'embed_text') return 'embed';
  return task;
}

const OPENAI_ALIASES = /^(whisper-|gpt-4o(-mini)?-(transcribe|tts)|tts-|text-embedding-|gpt-)/;
function isOpenAiAlias(name: string): boolean {
  return OPENAI_ALIASES.test(name);
}
