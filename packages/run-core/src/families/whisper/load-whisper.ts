import { stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { ModelNotFoundError, ModelUnrecognizedError, invalidParameter } from '../../errors.js';
import { familyLookedFor } from '../../loaders/family-files.js';
import { findModelFile, pathExists } from '../../loaders/files.js';
import { readJsonFile } from '../../loaders/json.js';
import type { LoaderOptions } from '../../loaders/options.js';
import { openSession, resolveRuntime, type LoaderRuntime } from '../../loaders/runtime.js';
import type { InferenceSession, ModelDtype } from '../../session.js';
import { findVadFile, sileroOn } from '../vad/load-vad.js';
import { WhisperSpeechToText, type OpenedWhisper, type WhisperTranscribeOptions } from './backend.js';
import { parseWhisperConfig } from './config.js';
import { openBroadcastDecoder } from './broadcast-decoder.js';
import { openRewrittenEncoder } from './encoder-session.js';
import { WhisperRunner, type WhisperSessions } from './runner.js';
import { WhisperTokenizer } from './tokenizer.js';
import { WhisperPipeline } from './transcribe.js';

/** Options of run-core's `loadSpeechToText`: the common {@link LoaderOptions} plus Whisper's own. */
export interface WhisperLoaderOptions extends LoaderOptions {
  /**
   * A Silero VAD model (file, or folder holding one) to skip silence with, opened on the same runtime with the
   * same session options. Default: none.
   */
  readonly vad?: string | false;
  /** Default transcription options (per-call options override them). */
  readonly defaults?: WhisperTranscribeOptions;
  /**
   * Load-time graph rewrites (true: all, false: none; default true). `crossAttention`: the cached decoder's
   * cross-attention broadcasts one copy of the encoder K/V over the beams (see `rewriteCrossAttention`; kept only
   * when its logits are bit-identical to the original graph's on probe steps). `encoderAttention`: the encoder's
   * self-attention blocks run as fused `MultiHeadAttention` nodes on onnxruntime (see `rewriteEncoderAttention`;
   * kept only when its output matches the original's on a probe, see `openRewrittenEncoder`), float and dynamically
   * quantized (int8) graphs alike; `'float'` leaves int8 encoders as exported (their transcripts are then identical
   * to a Python onnxruntime run of the same files; fused, int8 rounding moves about one in ten by a word or a comma,
   * at the same word error rate).
   */
  readonly rewriteGraph?: boolean | WhisperGraphRewrites;
}

/** Which of the load-time graph rewrites of {@link WhisperLoaderOptions.rewriteGraph} to make (each default true). */
export interface WhisperGraphRewrites {
  /** Default true. */
  readonly crossAttention?: boolean;
  /** Default `true`: float and quantized graphs; `'float'`: float graphs only; `false`: none. */
  readonly encoderAttention?: boolean | 'float';
}

/** The model files of a Whisper export, found at the folder root or under `onnx/`. */
export interface WhisperFiles {
  encoder: string;
  decoder: string;
  decoderWithPast?: string;
  /** Whether `decoder` is the merged (with and without past) export. */
  merged: boolean;
  /** The dtype of the files. */
  dtype: ModelDtype;
}

const FOLDERS = ['', 'onnx'];

/**
 * Finds the encoder and decoder files of an Optimum (or transformers.js) Whisper folder for one runtime: the
 * dtype asked for, else the first of the runtime's `dtypePreference` whose encoder exists (so a folder holding
 * only quantized files loads without options).
 * @example
 * await findWhisperFiles('models/whisper-tiny.en', onnxBackend.files);
 * // { encoder: '…/onnx/encoder_model_quantized.onnx', decoder: '…/onnx/decoder_model_merged_quantized.onnx', merged: true, dtype: 'int8' }
 */
export async function findWhisperFiles(
  dir: string,
  runtime: Pick<LoaderRuntime, 'files' | 'dtype'>,
): Promise<WhisperFiles> {
  const tried: string[] = [];
  const { files } = runtime;
  const encoder = await findModelFile(dir, 'encoder_model', files, {
    folders: FOLDERS,
    tried,
    ...(runtime.dtype ? { dtype: runtime.dtype } : {}),
  });
  if (!encoder) {
    throw new ModelUnrecognizedError(
      {
        model: dir,
        found: `no ${runtime.dtype ?? files.dtypePreference.join('/')} Whisper encoder (tried ${tried.map((t) => relative(dir, t)).join(', ')})`,
        lookedFor: familyLookedFor('speech-to-text', files),
        hint: 'Export the model with Optimum (task automatic-speech-recognition-with-past) or pick another dtype.',
      },
      { details: { dir, dtype: runtime.dtype, tried } },
    );
  }
  const ext = files.extensions.find((e) => encoder.path.endsWith(e)) ?? '';
  const sibling = (stem: string): string => join(dir, encoder.folder, stem + encoder.suffix + ext);
  const base = { encoder: encoder.path, dtype: encoder.dtype };
  if (await pathExists(sibling('decoder_model_merged'))) {
    return { ...base, decoder: sibling('decoder_model_merged'), merged: true };
  }
  if (await pathExists(sibling('decoder_model'))) {
    const withPast = sibling('decoder_with_past_model');
    return {
      ...base,
      decoder: sibling('decoder_model'),
      merged: false,
      ...((await pathExists(withPast)) ? { decoderWithPast: withPast } : {}),
    };
  }
  throw new ModelUnrecognizedError(
    {
      model: dir,
      found: `${encoder.path} exists but no decoder next to it`,
      lookedFor: [
        basename(sibling('decoder_model_merged')),
        `${basename(sibling('decoder_model'))} (+ ${basename(sibling('decoder_with_past_model'))})`,
      ],
    },
    { details: { dir, dtype: encoder.dtype } },
  );
}

/** Reads one of the folder's JSON files (`{}` when it is missing: {@link requireFiles} checks the required ones). */
async function folderJson(dir: string, file: string): Promise<Record<string, unknown>> {
  return ((await readJsonFile(join(dir, file), { required: false })) ?? {}) as Record<string, unknown>;
}

/** Throws {@link ModelUnrecognizedError} naming the family's files unless every one of `names` is in `dir`. */
async function requireFiles(dir: string, names: readonly string[], runtime: LoaderRuntime): Promise<void> {
  const missing = [];
  for (const n of names) if (!(await pathExists(join(dir, n)))) missing.push(n);
  if (missing.length > 0) {
    throw new ModelUnrecognizedError(
      {
        model: dir,
        found: `the folder has no ${missing.join(' and no ')}`,
        lookedFor: familyLookedFor('speech-to-text', runtime.files),
      },
      { details: { dir, missing } },
    );
  }
}

/**
 * Loads a Whisper model exported by Optimum (encoder + merged or split decoder, tokenizer.json, configs) on a
 * runtime from the registry and returns a speech-to-text backend, loaded unless `load: false`.
 * @example
 * registerBackend('onnx', onnxBackend, 100);
 * const stt = await loadSpeechToText('models/whisper-tiny', { runtime: 'onnx', vad: 'models/silero_vad.onnx' });
 * const r = await stt.transcribe('meeting.wav', { language: 'en', wordTimestamps: true });
 * r.segments[0]; // { id: 0, start: 0, end: 2.4, text: ' Hello there.', … }
 */
export async function loadSpeechToText(path: string, options: WhisperLoaderOptions = {}): Promise<WhisperSpeechToText> {
  if (typeof path !== 'string' || path === '') {
    throw invalidParameter('path', 'the path of a Whisper model folder', path);
  }
  const runtime = await resolveRuntime(options);
  const info = await stat(path).catch((e: unknown) => {
    throw new ModelNotFoundError({ path, what: 'Whisper model folder', reason: (e as Error).message }, { cause: e });
  });
  if (!info.isDirectory()) {
    throw new ModelUnrecognizedError({
      model: path,
      found: 'it is a file; a Whisper model is a folder',
      lookedFor: familyLookedFor('speech-to-text', runtime.files),
    });
  }
  const files = await findWhisperFiles(path, runtime);
  await requireFiles(path, ['config.json', 'tokenizer.json'], runtime);
  const config = parseWhisperConfig(
    await folderJson(path, 'config.json'),
    await folderJson(path, 'generation_config.json'),
    await folderJson(path, 'preprocessor_config.json'),
  );
  const tokenizer = WhisperTokenizer.fromJson(
    await folderJson(path, 'tokenizer.json'),
    await folderJson(path, 'tokenizer_config.json'),
  );
  const vadFile = typeof options.vad === 'string' ? await findVadFile(options.vad, runtime) : undefined;
  const open = async (): Promise<OpenedWhisper> => {
    const opened: { dispose(): Promise<void> }[] = [];
    const session = async (file: string): Promise<InferenceSession> => {
      const s = await openSession(runtime, file);
      opened.push(s);
      return s;
    };
    const dispose = async (): Promise<void> => {
      await Promise.all(opened.map((s) => s.dispose()));
    };
    try {
      let encoder = await session(files.encoder);
      const rewrites = options.rewriteGraph ?? true;
      const rewrite = (which: keyof WhisperGraphRewrites): boolean =>
        typeof rewrites === 'boolean' ? rewrites : rewrites[which] !== false;
      const quantized = typeof rewrites === 'boolean' || rewrites.encoderAttention !== 'float';
      // 'float' and an int8 file (dynamically quantized): skip parsing and rewriting what would be refused.
      if (rewrite('encoderAttention') && (quantized || files.dtype !== 'int8')) {
        const fused = await openRewrittenEncoder(runtime, files.encoder, encoder, config.nMels, { quantized });
        if (fused.session !== encoder) {
          opened.splice(opened.indexOf(encoder), 1, fused.session);
          await encoder.dispose();
          encoder = fused.session;
        }
      }
      const decoder = await session(files.decoder);
      const decoderWithPast = files.decoderWithPast ? await session(files.decoderWithPast) : undefined;
      let sessions: WhisperSessions = { encoder, decoder, ...(decoderWithPast ? { decoderWithPast } : {}) };
      let broadcastEncoderKv = false;
      if (rewrite('crossAttention') && (files.merged || decoderWithPast)) {
        const b = await openBroadcastDecoder(runtime, files.decoderWithPast ?? files.decoder, sessions, config.dModel);
        if (b.replaced) {
          opened.splice(opened.indexOf(b.replaced), 1, b.sessions.decoderWithPast ?? b.sessions.decoder);
          await b.replaced.dispose();
          ({ sessions } = b);
          broadcastEncoderKv = true;
        }
      }
      const runner = new WhisperRunner(sessions, { broadcastEncoderKv });
      const pipeline = new WhisperPipeline(runner, tokenizer, config);
      if (vadFile === undefined) return { pipeline, dispose };
      const vad = sileroOn(runtime, vadFile, basename(vadFile));
      opened.push(vad);
      await vad.load();
      return {
        pipeline,
        vad: {
          detect: (samples, sampleRate, signal) => vad.detectSpeech({ samples, sampleRate }, signal ? { signal } : {}),
          createStream: () => vad.createStream({ keepAudio: false }),
        },
        dispose,
      };
    } catch (e) {
      await dispose();
      throw e;
    }
  };
  const stt = new WhisperSpeechToText(options.modelId ?? basename(path), { open }, options.defaults ?? {});
  if (options.load !== false) await stt.load();
  return stt;
}
