import {
  loadSpeechToText,
  loadTextToSpeech,
  loadVisionModel,
  registerBackend,
  resolveBackend,
  unregisterBackend,
  type Backend,
  type InferenceSession,
  type ModelSource,
  type SessionOptions,
  type STTBackend,
  type TTSBackend,
  type VisionBackend,
} from '@llama-pajamas/run-core';
import {
  compilingModels,
  coremlBackend,
  registerCoreMLBackend,
  resolveComputeUnits,
  runtimeHints,
  COMPUTE_UNITS,
  RUNTIME_CHOICES,
  type ComputeUnits,
  type CoreMLSessionOptions,
  type RuntimeChoice,
} from '@llama-pajamas/run-coreml';
import { onnxBackend, registerOnnxBackend, resolveVadModel, splitSessionOptions } from '@llama-pajamas/run-onnx';
import type { ModelRuntimeInfo } from '@llama-pajamas/run-server';

export { COMPUTE_UNITS, RUNTIME_CHOICES, type ComputeUnits, type RuntimeChoice };

/** A runtime the cli loads image and speech models on. */
export type CliRuntime = 'onnx' | 'coreml';

/** The model kinds whose runtime `--runtime` picks (chat models always run on llama.cpp). */
export type RuntimeModelKind = 'vision' | 'stt' | 'tts';

/** What each kind loads to. */
export interface RuntimeBackendOf {
  vision: VisionBackend;
  stt: STTBackend;
  tts: TTSBackend;
}

/**
 * The runtime one model loads on for a `--runtime` choice: `onnx`; `coreml` (the addon is loaded first, so off
 * macOS this rejects with run-coreml's own `ERR_RUN_COREML_UNSUPPORTED_PLATFORM`, which names run-onnx, and on a
 * Mac without the addon with `ERR_RUN_COREML_BINDING_NOT_FOUND`); `auto`: CoreML on macOS when the model path
 * holds a converted CoreML model and the addon loads, else ONNX.
 * @example
 * await pickRuntime('auto', 'models/yolov8n/'); // 'onnx' on Linux
 */
export async function pickRuntime(choice: RuntimeChoice, modelPath: string): Promise<CliRuntime> {
  if (choice === 'coreml') {
    await coremlBackend.init('coreml');
    return 'coreml';
  }
  registerOnnxBackend();
  registerCoreMLBackend();
  const { name } = await resolveBackend(await runtimeHints(choice, modelPath));
  return name === 'coreml' ? 'coreml' : 'onnx';
}

/** What one opened session ran with, as `/health` reports it. */
interface OpenedSession {
  readonly executionProvider?: string;
  readonly computeUnits?: string;
}

/**
 * A registry {@link Backend} that opens sessions on a real runtime and remembers, per model file, what each one
 * runs with and which files are being opened right now (a CoreML first compile happens then).
 */
export class RecordingBackend implements Backend {
  readonly files: Backend['files'];
  readonly opened = new Map<string, OpenedSession>();
  readonly opening = new Set<string>();

  constructor(
    private readonly inner: Backend,
    private readonly onCompile?: (file: string) => void,
  ) {
    this.files = inner.files;
  }

  init(name: string): Promise<void> {
    return this.inner.init(name);
  }

  async createSession(model: ModelSource, options?: SessionOptions): Promise<InferenceSession> {
    const key = typeof model === 'string' ? model : `<${model.byteLength} bytes>`;
    this.opening.add(key);
    // A CoreML first compile (`.mlpackage` → cached `.mlmodelc`) runs inside createSession: say so once.
    let told = false;
    const watch = this.onCompile
      ? setInterval(() => {
          if (!told && compilingModels().includes(key)) {
            told = true;
            this.onCompile?.(key);
          }
        }, 250)
      : undefined;
    try {
      const session = await this.inner.createSession(model, options);
      const { executionProvider, computeUnits } = session as { executionProvider?: unknown; computeUnits?: unknown };
      this.opened.set(key, {
        ...(typeof executionProvider === 'string' ? { executionProvider } : {}),
        ...(typeof computeUnits === 'string' ? { computeUnits } : {}),
      });
      return session;
    } finally {
      clearInterval(watch);
      this.opening.delete(key);
    }
  }
}

/** A model loaded by {@link loadOnRuntime}: the backend and its live `/health` description. */
export interface RuntimeLoadedModel<K extends RuntimeModelKind> {
  readonly backend: RuntimeBackendOf[K];
  readonly runtime: CliRuntime;
  readonly info: () => ModelRuntimeInfo;
}

/** Options of {@link loadOnRuntime}. */
export interface LoadOnRuntimeOptions {
  /** CoreML compute units (default `all`); ignored on ONNX. */
  readonly computeUnits?: ComputeUnits;
  /** Called once per model file whose first CoreML compile starts (it can take minutes for a large model). */
  readonly onCompile?: (file: string) => void;
}

const LOAD: { [K in RuntimeModelKind]: (path: string, options: never) => Promise<RuntimeBackendOf[K]> } = {
  vision: loadVisionModel,
  stt: loadSpeechToText,
  tts: loadTextToSpeech,
};

/**
 * The loader options of run-core for one runtime from the cli's flat per-model options: ONNX session options
 * (`intraOpThreads`, `executionProviders`…) or CoreML's (`computeUnits`, `session`), the Whisper VAD as run-onnx
 * picks it on ONNX (the bundled Silero VAD) and only an explicit path on CoreML.
 */
function loaderOptions(
  kind: RuntimeModelKind,
  runtime: CliRuntime,
  options: Record<string, unknown>,
  computeUnits: ComputeUnits | undefined,
): { rest: Record<string, unknown>; session: SessionOptions } {
  if (runtime === 'onnx') {
    const { session, rest } = splitSessionOptions(options);
    const { vad, ...others } = rest as { vad?: boolean | string };
    return { session, rest: kind === 'stt' ? { ...others, vad: resolveVadModel(vad) } : others };
  }
  const {
    session,
    computeUnits: own,
    vad,
    ...rest
  } = options as {
    session?: CoreMLSessionOptions;
    computeUnits?: ComputeUnits;
    vad?: unknown;
  };
  const units = own ?? session?.computeUnits ?? computeUnits;
  return {
    session: { ...session, ...(units ? { computeUnits: units } : {}) },
    rest: kind === 'stt' ? { ...rest, vad: typeof vad === 'string' ? vad : false } : rest,
  };
}

let loads = 0;

/**
 * Loads an image or speech model with run-core's loader on one runtime, through a registry backend that records
 * what each session runs with, and returns it with its `/health` description (`runtime`, the ONNX execution
 * providers, or the CoreML compute units and whether a first compile is running).
 * @example
 * const { backend, info } = await loadOnRuntime('vision', 'models/yolox_nano.onnx', { task: 'detect' }, 'onnx');
 * info(); // { runtime: 'onnx', executionProviders: ['cpu'] }
 */
export async function loadOnRuntime<K extends RuntimeModelKind>(
  kind: K,
  path: string,
  options: Record<string, unknown>,
  runtime: CliRuntime,
  { computeUnits, onCompile }: LoadOnRuntimeOptions = {},
): Promise<RuntimeLoadedModel<K>> {
  const recorder =
    runtime === 'coreml' ? new RecordingBackend(coremlBackend, onCompile) : new RecordingBackend(onnxBackend);
  // A name of its own for this load (never picked without it: lowest priority), removed once the loader has
  // resolved it; the loaded model keeps the backend object for later loads.
  const name = `${runtime}:cli-load-${++loads}`;
  registerBackend(name, recorder, -1_000);
  const { rest, session } = loaderOptions(kind, runtime, options, computeUnits);
  try {
    const load = LOAD[kind] as (path: string, options: unknown) => Promise<RuntimeBackendOf[K]>;
    const backend = await load(path, { ...rest, runtime: name, session });
    return { backend, runtime, info: () => describeRecorded(recorder, runtime, session) };
  } finally {
    unregisterBackend(name);
  }
}

/** The `/health` description of one model from what its recorder saw (the configured values before it opened). */
export function describeRecorded(
  recorder: RecordingBackend,
  runtime: CliRuntime,
  session: CoreMLSessionOptions,
): ModelRuntimeInfo {
  const opened = [...recorder.opened.values()];
  if (runtime === 'onnx') {
    const used = [...new Set(opened.flatMap((s) => (s.executionProvider ? [s.executionProvider] : [])))];
    return { runtime, executionProviders: used.length > 0 ? used : (session.executionProviders ?? ['cpu']) };
  }
  const compiling = compilingModels();
  return {
    runtime,
    computeUnits: opened.find((s) => s.computeUnits)?.computeUnits ?? resolveComputeUnits(session),
    compiling: [...recorder.opening].some((file) => compiling.includes(file)),
  };
}
