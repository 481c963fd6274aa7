import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelNotFoundError, ModelUnrecognizedError, invalidParameter, type Phonemizer } from '@llama-pajamas/run-core';
import { PiperTTS, parsePiperConfig } from '@llama-pajamas/run-core/families';
import { OnnxSession } from '../session-impl.js';
import type { OnnxSessionOptions } from '../session.js';

/** Options of {@link loadTextToSpeech}. */
export interface LoadTextToSpeechOptions extends OnnxSessionOptions {
  /** Longest text accepted, in characters (default 10,000). */
  maxTextLength?: number;
  /** Silence after each sentence but the last, in seconds (default 0.2). */
  sentenceSilenceSeconds?: number;
  /** Phonemizer for espeak voices (default: espeak-ng from the optional `espeak-ng` package). */
  phonemizer?: Phonemizer;
  /** Open the model now (default true); otherwise on first use or `load()`. */
  load?: boolean;
  /** A short id for the voice (default: the voice's file name without `.onnx`). */
  modelId?: string;
  /**
   * Overrides of the voice's `inference` defaults (per-call options still win). `noiseW: 0` makes phoneme
   * durations, and so the audio length, deterministic.
   */
  inference?: { noiseScale?: number; lengthScale?: number; noiseW?: number };
}

/** Finds `voice.onnx` and its `voice.onnx.json` from a path to either file or to their folder. */
async function locateVoice(path: string): Promise<{ onnx: string; json: string }> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) {
    throw new ModelNotFoundError(
      `No Piper voice at ${JSON.stringify(path)}. Pass a voice .onnx, its .onnx.json, or their folder.`,
      {
        details: { path },
      },
    );
  }
  let onnx: string;
  if (info.isDirectory()) {
    const files = await readdir(path);
    const candidates = files.filter((f) => f.endsWith('.onnx') && files.includes(`${f}.json`));
    if (candidates.length !== 1) {
      throw new ModelUnrecognizedError(
        candidates.length === 0
          ? `The folder ${JSON.stringify(path)} holds no Piper voice: expected a <name>.onnx next to <name>.onnx.json.`
          : `The folder ${JSON.stringify(path)} holds several voices (${candidates.join(', ')}): pass the .onnx of one.`,
        { details: { path, files } },
      );
    }
    onnx = join(path, candidates[0]!);
  } else {
    onnx = path.endsWith('.onnx.json') ? path.slice(0, -'.json'.length) : path;
  }
  const json = `${onnx}.json`;
  const [onnxInfo, jsonInfo] = await Promise.all([
    stat(onnx).catch(() => undefined),
    stat(json).catch(() => undefined),
  ]);
  if (onnxInfo?.isFile() !== true || jsonInfo?.isFile() !== true) {
    throw new ModelNotFoundError(
      `A Piper voice needs both ${basename(onnx)} and ${basename(json)} in ${dirname(onnx)}; ` +
        `${onnxInfo?.isFile() === true ? basename(json) : basename(onnx)} is missing.`,
      { details: { onnx, json } },
    );
  }
  return { onnx, json };
}

/**
 * Opens a Piper voice (`<name>.onnx` + `<name>.onnx.json`; `path` may be either file or their folder) on
 * onnxruntime and returns a {@link PiperTTS} (a run-core `TTSBackend`). Phonemes come from espeak-ng through the
 * optional `espeak-ng` package (GPL-3.0-or-later): install it to speak with espeak voices.
 * @example
 * const tts = await loadTextToSpeech('voices/en_US-joe-medium.onnx');
 * const { samples, sampleRate } = await tts.synthesize('Hello there.');
 * // { samples: Float32Array(24064), sampleRate: 22050 }
 */
export async function loadTextToSpeech(path: string, options: LoadTextToSpeechOptions = {}): Promise<PiperTTS> {
  const { onnx, json } = await locateVoice(path);
  let config;
  try {
    config = parsePiperConfig(JSON.parse(await readFile(json, 'utf8')));
  } catch (cause) {
    if (cause instanceof SyntaxError) {
      throw new ModelUnrecognizedError(`${json} is not valid JSON: ${cause.message}`, {
        cause,
        details: { path: json },
      });
    }
    throw cause;
  }
  const {
    maxTextLength,
    sentenceSilenceSeconds,
    phonemizer,
    load = true,
    inference = {},
    modelId,
    ...sessionOptions
  } = options;
  for (const name of ['noiseScale', 'lengthScale', 'noiseW'] as const) {
    const value = inference[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw invalidParameter(`inference.${name}`, 'a finite number >= 0', value);
    }
    config = { ...config, [name]: value };
  }
  const tts = new PiperTTS({
    config,
    modelId: modelId ?? basename(onnx, '.onnx'),
    openSession: () => OnnxSession.create(onnx, sessionOptions),
    ...(phonemizer !== undefined ? { phonemizer } : {}),
    ...(maxTextLength !== undefined ? { maxTextLength } : {}),
    ...(sentenceSilenceSeconds !== undefined ? { sentenceSilenceSeconds } : {}),
  });
  if (load) await tts.load();
  return tts;
}
