import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  ModelNotFoundError,
  ModelUnrecognizedError,
  invalidParameter,
  type InferenceSession,
  type SpeechDetector,
  type WhisperTranscribeOptions,
} from '@llama-pajamas/run-core';
import {
  WhisperPipeline,
  WhisperRunner,
  WhisperSpeechToText,
  WhisperTokenizer,
  parseWhisperConfig,
} from '@llama-pajamas/run-core/families';
import { OnnxSession } from '../session-impl.js';
import type { OnnxSessionOptions } from '../session.js';
import { loadVad } from './vad.js';

/** Weight precision of the ONNX files to use. */
export type WhisperDtype = 'fp32' | 'fp16' | 'int8';

/** Options of {@link loadSpeechToText}. */
export interface LoadSpeechToTextOptions extends OnnxSessionOptions {
  /**
   * Which export to load: `fp32` (`encoder_model.onnx`), `fp16` (`*_fp16.onnx`; float16 inputs/outputs are converted
   * at the seam), `int8` (`*_quantized.onnx`/`*_int8.onnx`). Default fp32. Word timestamps use cross-attention DTW
   * when the decoder has `cross_attentions.N` outputs, else interpolation (`stt.pipeline.wordTimestampMethod`).
   */
  readonly dtype?: WhisperDtype;
  /**
   * Voice activity detection before decoding: `true` (default) loads the bundled Silero VAD when it is installed,
   * a string is the path of a Silero VAD `.onnx`, `false` turns it off.
   */
  readonly vad?: boolean | string;
  /** A short id for the model (default: the folder name). */
  readonly modelId?: string;
  /** Open the model now (default true); otherwise on `load()`. */
  readonly load?: boolean;
  /** Default transcription options (per-call options override them). */
  readonly defaults?: WhisperTranscribeOptions;
}

const SUFFIXES: Record<WhisperDtype, string[]> = {
  fp32: [''],
  fp16: ['_fp16'],
  int8: ['_quantized', '_int8', '_q8', '_uint8'],
};

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}

async function readJson(path: string, required: boolean): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (!required) return {};
    throw new ModelUnrecognizedError(`A Whisper model folder needs ${basename(path)} but ${path} cannot be read.`, {
      cause: e,
      details: { path },
    });
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ModelUnrecognizedError(`${path} is not valid JSON: ${(e as Error).message}`, {
      cause: e,
      details: { path },
    });
  }
}

/** The ONNX files of a Whisper export, found at the folder root or under `onnx/`. */
export interface WhisperFiles {
  encoder: string;
  decoder: string;
  decoderWithPast?: string;
  merged: boolean;
}

/** Finds the encoder/decoder files of one dtype in an Optimum (or transformers.js) Whisper folder. */
export async function findWhisperFiles(dir: string, dtype: WhisperDtype = 'fp32'): Promise<WhisperFiles> {
  const tried: string[] = [];
  for (const sub of ['', 'onnx']) {
    const base = join(dir, sub);
    for (const suf of SUFFIXES[dtype]) {
      const encoder = join(base, `encoder_model${suf}.onnx`);
      tried.push(encoder);
      if (!(await isFile(encoder))) continue;
      const merged = join(base, `decoder_model_merged${suf}.onnx`);
      if (await isFile(merged)) return { encoder, decoder: merged, merged: true };
      const decoder = join(base, `decoder_model${suf}.onnx`);
      if (await isFile(decoder)) {
        const withPast = join(base, `decoder_with_past_model${suf}.onnx`);
        return { encoder, decoder, merged: false, ...((await isFile(withPast)) ? { decoderWithPast: withPast } : {}) };
      }
      throw new ModelUnrecognizedError(
        `${encoder} exists but no decoder next to it: expected decoder_model_merged${suf}.onnx or decoder_model${suf}.onnx (+ decoder_with_past_model${suf}.onnx).`,
        { details: { dir, dtype } },
      );
    }
  }
  throw new ModelUnrecognizedError(
    `No ${dtype} Whisper encoder in ${dir}: looked for ${tried.map((t) => basename(t)).join(', ')} at the folder root and under onnx/. Export the model with Optimum (task automatic-speech-recognition-with-past) or pick another dtype.`,
    { details: { dir, dtype, tried } },
  );
}

/**
 * Loads a Whisper model exported by Optimum (encoder + merged or split decoder, tokenizer.json, configs) and
 * returns a loaded speech-to-text backend.
 * @example
 * const stt = await loadSpeechToText('models/whisper-tiny', { vad: true });
 * const r = await stt.transcribe('meeting.wav', { language: 'en', wordTimestamps: true });
 * r.segments[0]; // { id: 0, start: 0, end: 2.4, text: ' Hello there.', … }
 */
export async function loadSpeechToText(
  path: string,
  options: LoadSpeechToTextOptions = {},
): Promise<WhisperSpeechToText> {
  if (typeof path !== 'string' || path === '')
    throw invalidParameter('path', 'the path of a Whisper model folder', path);
  const dtype = options.dtype ?? 'fp32';
  if (!(dtype in SUFFIXES)) throw invalidParameter('dtype', "'fp32', 'fp16' or 'int8'", dtype);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new ModelNotFoundError(`No Whisper model at ${JSON.stringify(path)}.`, { details: { path } });
  if (!info.isDirectory()) {
    throw new ModelUnrecognizedError(
      `${path} is a file; a Whisper model is a folder (encoder_model.onnx, decoder_model_merged.onnx, tokenizer.json, config.json).`,
      { details: { path } },
    );
  }
  const files = await findWhisperFiles(path, dtype);
  const config = parseWhisperConfig(
    await readJson(join(path, 'config.json'), true),
    await readJson(join(path, 'generation_config.json'), false),
    await readJson(join(path, 'preprocessor_config.json'), false),
  );
  const tokenizer = WhisperTokenizer.fromJson(
    await readJson(join(path, 'tokenizer.json'), true),
    await readJson(join(path, 'tokenizer_config.json'), false),
  );
  const { dtype: _d, vad: vadOption, modelId, defaults, load = true, ...sessionOptions } = options;
  const loader = {
    async open() {
      const opened: InferenceSession[] = [];
      const open = async (file: string): Promise<InferenceSession> => {
        const s = await OnnxSession.create(file, sessionOptions);
        opened.push(s);
        return s;
      };
      try {
        const encoder = await open(files.encoder);
        const decoder = await open(files.decoder);
        const decoderWithPast = files.decoderWithPast ? await open(files.decoderWithPast) : undefined;
        const runner = new WhisperRunner({ encoder, decoder, ...(decoderWithPast ? { decoderWithPast } : {}) });
        let vad: SpeechDetector | undefined;
        let vadDispose: (() => Promise<void>) | undefined;
        if (vadOption !== false) {
          try {
            const v = await loadVad(typeof vadOption === 'string' ? vadOption : undefined, sessionOptions);
            vad = {
              detect: (samples, sampleRate, signal) =>
                v.detectSpeech({ samples, sampleRate }, signal ? { signal } : {}),
              createStream: () => v.createStream({ keepAudio: false }),
            };
            vadDispose = () => v.dispose();
          } catch (e) {
            // The default VAD is optional; an explicit one must load.
            if (vadOption !== undefined) throw e;
          }
        }
        return {
          pipeline: new WhisperPipeline(runner, tokenizer, config),
          ...(vad ? { vad } : {}),
          async dispose() {
            await Promise.all(opened.map((s) => s.dispose()));
            await vadDispose?.();
          },
        };
      } catch (e) {
        await Promise.all(opened.map((s) => s.dispose()));
        throw e;
      }
    },
  };
  const stt = new WhisperSpeechToText(modelId ?? basename(path), loader, defaults ?? {});
  if (load) await stt.load();
  return stt;
}
