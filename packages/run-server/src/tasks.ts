/**
 * The task table: every kind of model the server takes, in one place. It drives the config keys of
 * {@link MultimodalAppConfig} (`vision`, `stt`, `tts`), the tasks a backend serves ({@link ServedTask}), the
 * `kind` and `capabilities` of `/v1/models` and `/health`, the {@link ModelTable} constructor, the routes the plugin
 * registers, and the `llama-pajamas serve` flags (`--detect`, `--stt`…).
 *
 * Adding a kind of model is one entry in {@link MODEL_KINDS}:
 * ```ts
 * llm: defineModelKind<LLMBackend>()({
 *   label: 'chat models',
 *   tasks: ['chat'],
 *   servedTasks: () => ['chat'],
 *   flags: [{ flag: 'chat', tasks: ['chat'], help: 'chat model, a GGUF file ([name=]path)' }],
 *   routes: registerChatRoutes, // (app, ctx) => void, in routes/chat.ts
 * }),
 * ```
 * The config key (`llm`), the backend type of `config.llm`, the tasks and the flag names are all read from the
 * entry; the cli then needs only a loader for the new kind (its `LOADERS` table in `packages/cli/src/serve.ts`,
 * which the type checker asks for).
 */
import type { LLMBackend, ModelBackend, STTBackend, TTSBackend, VisionBackend } from '@llama-pajamas/run-core';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context.js';
import type { BackendSet } from './options.js';
import { registerChatRoutes } from './routes/chat.js';
import { registerImageRoutes } from './routes/images.js';
import { registerSpeechRoutes } from './routes/speech.js';
import { registerTranscriptionRoutes } from './routes/transcriptions.js';

/** One `llama-pajamas serve` flag: `--<flag> [name=]path` loads a model that serves `tasks`. */
export interface ServeFlagSpec<T extends string = string, F extends string = string> {
  /** The flag's name without dashes (`detect` for `--detect`), one lowercase word, unique over the table. */
  readonly flag: F;
  /** Tasks a model given with this flag serves (also how a 501 names the flag to start the server with). */
  readonly tasks: readonly T[];
  /** The flag's help line. */
  readonly help: string;
}

/** One entry of {@link MODEL_KINDS}: a kind of model, the tasks it can serve and how it is reached. */
export interface ModelKindSpec<
  B extends ModelBackend = ModelBackend,
  T extends string = string,
  F extends string = string,
> {
  /** Plural noun for messages ("vision models"). */
  readonly label: string;
  /** Every task a model of this kind may serve. */
  readonly tasks: readonly T[];
  /** The tasks one loaded backend serves (from its capabilities). */
  servedTasks(backend: B): T[];
  /** The cli flags that load models of this kind. */
  readonly flags: readonly ServeFlagSpec<T, F>[];
  /** Registers the kind's HTTP routes (registered whether or not a model is loaded: they answer 501 then). */
  readonly routes: (app: FastifyInstance, ctx: RouteContext) => void;
  /** Requests one backend runs at once, when the backend knows (default: the server's `concurrency` option). */
  readonly concurrency?: (backend: B) => number;
}

/**
 * Types one table entry: `defineModelKind<VisionBackend>()({ … })` checks `servedTasks` against the backend type
 * and keeps the task names literal.
 */
export function defineModelKind<B extends ModelBackend>() {
  return <const T extends string, const F extends string>(spec: ModelKindSpec<B, T, F>): ModelKindSpec<B, T, F> => spec;
}

/** The task table (see the top of this file for how to add an entry). Order = order in `/v1/models`. */
export const MODEL_KINDS = {
  vision: defineModelKind<VisionBackend>()({
    label: 'vision models',
    tasks: ['detect', 'classify', 'embed', 'embed_text'],
    servedTasks: (b) => {
      const t: ('detect' | 'classify' | 'embed' | 'embed_text')[] = [];
      if (b.capabilities.detect) t.push('detect');
      if (b.capabilities.classify) t.push('classify');
      if (b.capabilities.embedImage || b.capabilities.embedText) t.push('embed');
      if (b.capabilities.embedText) t.push('embed_text');
      return t;
    },
    flags: [
      { flag: 'detect', tasks: ['detect'], help: 'object detection model ([name=]path)' },
      { flag: 'classify', tasks: ['classify'], help: 'image classification model ([name=]path)' },
      { flag: 'embed', tasks: ['embed', 'embed_text'], help: 'image/text embedding model, e.g. CLIP ([name=]path)' },
    ],
    routes: registerImageRoutes,
  }),
  stt: defineModelKind<STTBackend>()({
    label: 'speech-to-text models',
    tasks: ['transcribe', 'translate'],
    servedTasks: (b) => (b.canTranslate ? ['transcribe', 'translate'] : ['transcribe']),
    flags: [
      {
        flag: 'stt',
        tasks: ['transcribe', 'translate'],
        help: 'speech-to-text model, e.g. a Whisper folder ([name=]path)',
      },
    ],
    routes: registerTranscriptionRoutes,
  }),
  tts: defineModelKind<TTSBackend>()({
    label: 'text-to-speech voices',
    tasks: ['speech'],
    servedTasks: () => ['speech'],
    flags: [{ flag: 'tts', tasks: ['speech'], help: 'text-to-speech voice, e.g. a Piper .onnx ([name=]path)' }],
    routes: registerSpeechRoutes,
  }),
  llm: defineModelKind<LLMBackend>()({
    label: 'chat models',
    tasks: ['chat'],
    servedTasks: () => ['chat'],
    flags: [{ flag: 'chat', tasks: ['chat'], help: 'chat model, a GGUF file ([name=]path)' }],
    routes: registerChatRoutes,
    // One context sequence per running request: the queue runs as many as the backend has.
    concurrency: (b) => b.parallelism,
  }),
} as const;

type Kinds = typeof MODEL_KINDS;

/** A kind of served model: a key of {@link MODEL_KINDS} and of {@link MultimodalAppConfig}. */
export type ModelKind = keyof Kinds;

/** The backend type a kind takes (`BackendOf<'stt'>` = `STTBackend`). */
export type BackendOf<K extends ModelKind> = Kinds[K] extends ModelKindSpec<infer B, string, string> ? B : never;

/** A task a served model can do (`detect`, `transcribe`, `speech`…). */
export type ServedTask = Kinds[ModelKind]['tasks'][number];

/** A `llama-pajamas serve` flag name (`detect`, `classify`, `embed`, `stt`, `tts`…). */
export type ServeFlag = Kinds[ModelKind]['flags'][number]['flag'];

/** The backends of each kind, by config key (`{ vision?, stt?, tts? }`). */
export type TaskBackends = { [K in ModelKind]?: BackendSet<BackendOf<K>> };

/** The kinds in table order. */
export const MODEL_KIND_NAMES = Object.keys(MODEL_KINDS) as ModelKind[];

/** Every serve flag with the kind it loads, in table order. */
export const SERVE_FLAGS: readonly (ServeFlagSpec<ServedTask, ServeFlag> & { kind: ModelKind })[] =
  MODEL_KIND_NAMES.flatMap((kind) =>
    (MODEL_KINDS[kind].flags as readonly ServeFlagSpec<ServedTask, ServeFlag>[]).map((f) => ({ ...f, kind })),
  );

/** The serve flag that loads a model for `task` (`transcribe` → `stt`). */
export function serveFlagFor(task: ServedTask): ServeFlag | undefined {
  return SERVE_FLAGS.find((f) => f.tasks.includes(task))?.flag;
}
