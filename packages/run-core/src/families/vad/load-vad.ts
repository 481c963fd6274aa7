import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ModelNotFoundError, ModelUnrecognizedError, invalidParameter } from '../../errors.js';
import { familyLookedFor } from '../../loaders/family-files.js';
import { listModelFiles, stripModelExtension } from '../../loaders/files.js';
import type { LoaderOptions } from '../../loaders/options.js';
import { openSession, resolveRuntime, type LoaderRuntime } from '../../loaders/runtime.js';
import { buildBatchedSilero } from './silero-batched.js';
import { SileroVad, type BatchedSileroSessions } from './silero.js';

/** Options of run-core's `loadVad`: the common {@link LoaderOptions} (there are no VAD-specific ones). */
export type VadLoaderOptions = LoaderOptions;

/** The model file at `path`: the file itself, or the one model file of a folder. */
export async function findVadFile(path: string, runtime: LoaderRuntime): Promise<string> {
  const info = await stat(path).catch((e: unknown) => {
    throw new ModelNotFoundError({ path, what: 'Silero VAD model', reason: (e as Error).message }, { cause: e });
  });
  if (info.isFile()) return path;
  const files = info.isDirectory() ? await listModelFiles(path, runtime.files) : [];
  if (files.length !== 1) {
    throw new ModelUnrecognizedError(
      {
        model: path,
        found: `the folder holds ${files.length} model files (${files.join(', ') || 'none'})`,
        lookedFor: familyLookedFor('voice-activity', runtime.files),
        hint: 'Pass the path of the VAD model file.',
      },
      { details: { path, modelFiles: files } },
    );
  }
  return join(path, files[0]!);
}

/**
 * A Silero VAD on a picked runtime; one thread per session unless the session options say otherwise (the model
 * is small and runs one 32 ms window at a time). On a runtime that opens ONNX files, a v5/v6 model also gets its
 * batched form (many windows per run) for whole-audio detection.
 */
export function sileroOn(runtime: LoaderRuntime, file: string, modelId: string): SileroVad {
  const single: LoaderRuntime = { ...runtime, session: { intraOpThreads: 1, interOpThreads: 1, ...runtime.session } };
  const onnx = runtime.files.extensions.includes('.onnx') && file.toLowerCase().endsWith('.onnx');
  const batched = async (): Promise<BatchedSileroSessions | undefined> => {
    const models = buildBatchedSilero(await readFile(file));
    if (!models) return undefined;
    const open = (bytes: Uint8Array, part: string) =>
      single.backend.createSession(bytes, { ...single.session, name: `${basename(file)} (batched ${part})` });
    const encoder = await open(models.encoder, 'encoder');
    try {
      return { encoder, decoder: await open(models.decoder, 'decoder'), hidden: models.hidden };
    } catch (e) {
      await encoder.dispose();
      throw e;
    }
  };
  return new SileroVad(() => openSession(single, file), { modelId, ...(onnx ? { batched } : {}) });
}

/**
 * Loads a Silero VAD model (v4, v5, v6 or the 16k opset-15 export, recognised by its inputs) on a runtime from
 * the registry. `path` is the model file, or a folder holding exactly one. Returned loaded unless `load: false`.
 * @example
 * registerBackend('onnx', onnxBackend, 100);
 * const vad = await loadVad('models/silero_vad.onnx', { runtime: 'onnx' });
 * await vad.detectSpeech('talk.wav'); // [{ start: 1.986, end: 9.118 }]
 */
export async function loadVad(path: string, options: VadLoaderOptions = {}): Promise<SileroVad> {
  if (typeof path !== 'string' || path.length === 0) {
    throw invalidParameter('path', 'the path of a Silero VAD model file', path);
  }
  const runtime = await resolveRuntime(options);
  const file = await findVadFile(path, runtime);
  const vad = sileroOn(runtime, file, options.modelId ?? stripModelExtension(basename(file), runtime.files));
  if (options.load !== false) await vad.load();
  return vad;
}
