import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelNotFoundError, ModelUnrecognizedError, invalidParameter } from '../../errors.js';
import { familyLookedFor } from '../../loaders/family-files.js';
import { findModelFile, isModelFileName, stripModelExtension } from '../../loaders/files.js';
import { readJsonFile } from '../../loaders/json.js';
import type { LoaderOptions } from '../../loaders/options.js';
import { openSession, resolveRuntime, type LoaderRuntime } from '../../loaders/runtime.js';
import type { InferenceSession } from '../../session.js';
import { parsePiperConfig } from './config.js';
import type { Phonemizer } from './espeak.js';
import { selectPhonemizer, type PhonemizerChoice } from './espeak-native.js';
import { PiperTTS } from './piper-tts.js';
import { rewriteVoiceGraph } from './voice-graph-rewrite.js';
import { convolutions2dFor, voiceSessionOptions } from './voice-session.js';

/** Options of run-core's `loadTextToSpeech`: the common {@link LoaderOptions} plus the voice's own. */
export interface PiperLoaderOptions extends LoaderOptions {
  /** Longest text accepted, in characters (default 10,000). */
  readonly maxTextLength?: number;
  /** Silence after each sentence but the last, in seconds (default 0, as piper-tts). */
  readonly sentenceSilenceSeconds?: number;
  /**
   * Phonemizer for espeak voices: an instance, or `auto` (default: the system's libespeak-ng through koffi when
   * installed, else the WASM `espeak-ng` package), `libespeak-ng` or `espeak-ng-wasm`. The TTS backend's
   * `phonemizerName` says which one was chosen.
   */
  readonly phonemizer?: Phonemizer | PhonemizerChoice;
  /**
   * Overrides of the voice's `inference` defaults (per-call options still win). `noiseW: 0` makes phoneme
   * durations, and so the audio length, deterministic.
   */
  readonly inference?: { noiseScale?: number; lengthScale?: number; noiseW?: number };
  /**
   * On the ONNX runtime, open the voice with its graph rewritten in memory into forms onnxruntime 1.30 computes
   * faster (1-D transposed convolutions as polyphase convolutions, and 1-D convolutions as 2-D ones where the
   * session's intra-op threads all get work from them; see `rewriteVoiceGraph`). Default true. The audio differs from the unmodified graph by float rounding only (~1e-6);
   * `false` opens the model file as it is.
   */
  readonly rewriteGraph?: boolean;
}

/** Piper names a voice's config `<name>.onnx.json`, whatever runtime the model file is for. */
const CONFIG_SUFFIX = '.onnx.json';

/** The model file and the config of one Piper voice. */
export interface PiperVoiceFiles {
  readonly model: string;
  readonly config: string;
  /** The voice's name (`<name>.onnx.json`). */
  readonly name: string;
}

/** The voice named `name` in `dir`, when both its files are there. */
async function voiceIn(dir: string, name: string, runtime: LoaderRuntime): Promise<PiperVoiceFiles | undefined> {
  const found = await findModelFile(dir, name, runtime.files, {
    folders: [''],
    ...(runtime.dtype ? { dtype: runtime.dtype } : {}),
  });
  return found ? { model: found.path, config: join(dir, name + CONFIG_SUFFIX), name } : undefined;
}

/**
 * Finds a voice's model file and `<name>.onnx.json` from a path to either file or to their folder (which must
 * hold exactly one voice).
 */
export async function findPiperVoice(path: string, runtime: LoaderRuntime): Promise<PiperVoiceFiles> {
  const info = await stat(path).catch((e: unknown) => {
    throw new ModelNotFoundError({ path, what: 'Piper voice', reason: (e as Error).message }, { cause: e });
  });
  if (info.isDirectory()) {
    const names = (await readdir(path))
      .filter((f) => f.endsWith(CONFIG_SUFFIX))
      .map((f) => f.slice(0, -CONFIG_SUFFIX.length));
    const voices = (await Promise.all(names.map((n) => voiceIn(path, n, runtime)))).filter((v) => v !== undefined);
    if (voices.length !== 1) {
      throw new ModelUnrecognizedError(
        {
          model: path,
          found:
            voices.length === 0
              ? 'the folder holds no Piper voice'
              : `the folder holds several voices (${voices.map((v) => basename(v.model)).join(', ')})`,
          lookedFor: familyLookedFor('text-to-speech', runtime.files),
          hint: voices.length === 0 ? 'Put the voice model next to its .onnx.json.' : 'Pass the model file of one.',
        },
        { details: { path } },
      );
    }
    return voices[0]!;
  }
  const dir = dirname(path);
  const file = basename(path);
  const name = file.endsWith(CONFIG_SUFFIX)
    ? file.slice(0, -CONFIG_SUFFIX.length)
    : stripModelExtension(file, runtime.files);
  const config = join(dir, name + CONFIG_SUFFIX);
  const model = file.endsWith(CONFIG_SUFFIX) ? (await voiceIn(dir, name, runtime))?.model : path;
  if (model === undefined || !isModelFileName(basename(model), runtime.files)) {
    throw new ModelNotFoundError({
      path: model ?? join(dir, name + (runtime.files.extensions[0] ?? '')),
      what: `Piper voice model (next to ${basename(config)})`,
    });
  }
  if ((await stat(config).catch(() => undefined))?.isFile() !== true) {
    throw new ModelNotFoundError({ path: config, what: `Piper voice config (next to ${basename(model)})` });
  }
  return { model, config, name };
}

/**
 * Opens a Piper voice (`<name>.onnx` + `<name>.onnx.json`; `path` may be either file or their folder) on a
 * runtime from the registry and returns a {@link PiperTTS}, loaded unless `load: false`.
 * @example
 * registerBackend('onnx', onnxBackend, 100);
 * const tts = await loadTextToSpeech('voices/en_US-joe-medium.onnx', { runtime: 'onnx' });
 * const { samples, sampleRate } = await tts.synthesize('Hello there.');
 * // { samples: Float32Array(24064), sampleRate: 22050 }
 */
export async function loadTextToSpeech(path: string, options: PiperLoaderOptions = {}): Promise<PiperTTS> {
  if (typeof path !== 'string' || path.length === 0) {
    throw invalidParameter('path', 'the path of a Piper voice file or folder', path);
  }
  const resolved = await resolveRuntime(options);
  const runtime = { ...resolved, session: voiceSessionOptions(resolved.session) };
  const voice = await findPiperVoice(path, runtime);
  let config = parsePiperConfig(await readJsonFile(voice.config, { what: 'Piper voice config' }));
  const { maxTextLength, sentenceSilenceSeconds, phonemizer, inference = {} } = options;
  for (const name of ['noiseScale', 'lengthScale', 'noiseW'] as const) {
    const value = inference[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw invalidParameter(`inference.${name}`, 'a finite number >= 0', value);
    }
    config = { ...config, [name]: value };
  }
  const chosen =
    typeof phonemizer === 'object' && phonemizer !== null
      ? phonemizer
      : config.phonemeType === 'espeak'
        ? await selectPhonemizer(phonemizer ?? 'auto')
        : undefined;
  const tts = new PiperTTS({
    config,
    modelId: options.modelId ?? voice.name,
    openSession: () =>
      options.rewriteGraph !== false && runtime.name === 'onnx' && voice.model.endsWith('.onnx')
        ? openRewritten(runtime, voice.model)
        : openSession(runtime, voice.model),
    ...(chosen !== undefined ? { phonemizer: chosen } : {}),
    ...(maxTextLength !== undefined ? { maxTextLength } : {}),
    ...(sentenceSilenceSeconds !== undefined ? { sentenceSilenceSeconds } : {}),
  });
  if (options.load !== false) await tts.load();
  return tts;
}

/**
 * Opens a voice's ONNX file with its graph rewritten ({@link rewriteVoiceGraph}); a file that cannot be read, or
 * has nothing to rewrite, is opened as it is (the runtime reports what is wrong with it).
 */
async function openRewritten(runtime: LoaderRuntime, file: string): Promise<InferenceSession> {
  const bytes = await readFile(file).catch(() => undefined);
  const convolutions2d = convolutions2dFor(runtime.session.intraOpThreads);
  const rewritten = bytes === undefined ? undefined : rewriteVoiceGraph(bytes, { convolutions2d });
  if (rewritten === undefined || rewritten.model === bytes) return openSession(runtime, file);
  return runtime.backend.createSession(rewritten.model, { name: basename(file), ...runtime.session });
}
