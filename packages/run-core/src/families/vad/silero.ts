import { loadAudio } from '../../audio/load.js';
import type { AudioLimits } from '../../audio/decode.js';
import {
  InferenceError,
  ModelOutputMismatchError,
  RunError,
  SessionDisposedError,
  invalidParameter,
  throwIfAborted,
} from '../../errors.js';
import type { InferenceSession } from '../../session.js';
import { createTensor, type Tensor } from '../../tensor.js';
import type { AudioInput, SpeechSegment } from '../../types/speech.js';
import { speechSegmentsFromProbabilities, type VadOptions } from './speech-timestamps.js';
import { StreamingVad, type StreamingVadOptions } from './streaming.js';

/**
 * The Silero VAD interfaces: `v5` (inputs `input`, `state` [2,B,128], `sr`; 64 samples of context in front of
 * each 512-sample window; v5, v6 and the 16k opset-15 export) and `v4` (inputs `input`, `sr`, `h`, `c`
 * [2,B,64]; no context).
 */
export type SileroVariant = 'v5' | 'v4';

/** Recurrent state of one audio stream through a {@link SileroVad}. */
export interface SileroState {
  /** v5: `state`; v4: `h` then `c`. */
  readonly tensors: Float32Array[];
  /** The last samples of the previous window (v5 only; empty for v4). */
  readonly context: Float32Array;
}

/** Options of {@link SileroVad}. */
export interface SileroVadOptions {
  /** A short id for messages (default `silero-vad`). */
  modelId?: string;
}

/** Options of {@link SileroVad.detectSpeech}: {@link VadOptions} plus audio limits. */
export interface DetectSpeechOptions extends VadOptions, AudioLimits {}

const SAMPLE_RATE = 16000;
const WINDOW = 512;
const CONTEXT = 64;

function findInput(session: InferenceSession, name: string): boolean {
  return session.inputs.some((i) => i.name === name);
}

/**
 * Silero voice activity detection on any {@link InferenceSession} (runtime-agnostic): speech probability per
 * 32 ms window at 16 kHz, speech segments (`get_speech_timestamps`), and a streaming detector.
 * Recognises the model generation by its input names (see {@link SileroVariant}).
 * @example
 * const vad = new SileroVad(await OnnxSession.create('silero_vad.onnx'));
 * await vad.detectSpeech('talk.wav');
 * // [{ start: 1.986, end: 9.118 }]
 */
export class SileroVad implements AsyncDisposable {
  /** Sample rate the model runs at (audio is resampled to it). */
  static readonly sampleRate = SAMPLE_RATE;
  /** New samples per model call. */
  static readonly windowSize = WINDOW;
  readonly variant: SileroVariant;
  readonly modelId: string;
  readonly #session: InferenceSession;
  readonly #stateDims: number[];
  readonly #stateNames: string[];
  #disposed = false;

  constructor(session: InferenceSession, options: SileroVadOptions = {}) {
    this.#session = session;
    this.modelId = options.modelId ?? 'silero-vad';
    const names = session.inputs.map((i) => i.name);
    if (!findInput(session, 'input') || !findInput(session, 'sr')) {
      throw new ModelOutputMismatchError(
        `The model '${this.modelId}' is not a Silero VAD: expected inputs 'input' and 'sr' but it has ${JSON.stringify(names)}.`,
        { details: { inputs: names } },
      );
    }
    if (findInput(session, 'state')) {
      this.variant = 'v5';
      this.#stateNames = ['state'];
      this.#stateDims = [2, 1, 128];
    } else if (findInput(session, 'h') && findInput(session, 'c')) {
      this.variant = 'v4';
      this.#stateNames = ['h', 'c'];
      this.#stateDims = [2, 1, 64];
    } else {
      throw new ModelOutputMismatchError(
        `The model '${this.modelId}' has no recurrent state input: expected 'state' (Silero v5/v6) or 'h' and 'c' (v4) ` +
          `but it has ${JSON.stringify(names)}.`,
        { details: { inputs: names } },
      );
    }
    if (session.outputs.length < 1 + this.#stateNames.length) {
      throw new ModelOutputMismatchError(
        `The model '${this.modelId}' has ${session.outputs.length} outputs; a Silero VAD ${this.variant} has ${1 + this.#stateNames.length}.`,
        { details: { outputs: session.outputs.map((o) => o.name) } },
      );
    }
  }

  /** Fresh (zero) recurrent state for a new stream. */
  createState(): SileroState {
    const size = this.#stateDims.reduce((a, b) => a * b, 1);
    return {
      tensors: this.#stateNames.map(() => new Float32Array(size)),
      context: new Float32Array(this.variant === 'v5' ? CONTEXT : 0),
    };
  }

  /**
   * Speech probability of one window of 512 samples at 16 kHz (shorter windows are zero-padded); updates `state`.
   * @example
   * const state = vad.createState();
   * await vad.predict(samples.subarray(0, 512), state); // 0.004
   */
  async predict(window: Float32Array, state: SileroState, signal?: AbortSignal): Promise<number> {
    if (this.#disposed) throw new SessionDisposedError(`The VAD '${this.modelId}' was disposed.`);
    throwIfAborted(signal);
    if (window.length > WINDOW) throw invalidParameter('window', `at most ${WINDOW} samples`, window);
    const ctx = state.context.length;
    const input = new Float32Array(ctx + WINDOW);
    input.set(state.context, 0);
    input.set(window, ctx);
    const feeds: Record<string, Tensor> = {
      input: createTensor('float32', input, [1, ctx + WINDOW]),
      sr: createTensor('int64', BigInt64Array.of(BigInt(SAMPLE_RATE)), []),
    };
    this.#stateNames.forEach((name, i) => {
      feeds[name] = createTensor('float32', state.tensors[i]!, this.#stateDims);
    });
    let out: Record<string, Tensor>;
    try {
      out = await this.#session.run(feeds, signal === undefined ? undefined : { signal });
    } catch (cause) {
      if (cause instanceof RunError) throw cause;
      throw new InferenceError(`Silero VAD '${this.modelId}' failed: ${(cause as Error).message}`, { cause });
    }
    const outputs = this.#session.outputs.map((o) => out[o.name]);
    const prob = outputs[0]?.data[0];
    if (typeof prob !== 'number') {
      throw new ModelOutputMismatchError(`Silero VAD '${this.modelId}' returned no float probability.`);
    }
    this.#stateNames.forEach((_, i) => {
      const next = outputs[i + 1];
      if (next === undefined || !(next.data instanceof Float32Array) || next.data.length !== state.tensors[i]!.length) {
        throw new ModelOutputMismatchError(`Silero VAD '${this.modelId}' returned a state of an unexpected shape.`);
      }
      state.tensors[i]!.set(next.data);
    });
    if (ctx > 0) state.context.set(input.subarray(input.length - ctx));
    return prob;
  }

  /**
   * Speech probability of each 512-sample window of 16 kHz mono PCM (the last window zero-padded).
   * @example
   * await vad.probabilities(pcm16k); // Float32Array(94) [0.003, 0.002, …, 0.97, …]
   */
  async probabilities(samples: Float32Array, options: { signal?: AbortSignal } = {}): Promise<Float32Array> {
    if (!(samples instanceof Float32Array)) throw invalidParameter('samples', 'a Float32Array of 16 kHz PCM', samples);
    const count = Math.ceil(samples.length / WINDOW);
    const probs = new Float32Array(count);
    const state = this.createState();
    for (let i = 0; i < count; i++) {
      probs[i] = await this.predict(samples.subarray(i * WINDOW, (i + 1) * WINDOW), state, options.signal);
    }
    return probs;
  }

  /**
   * Finds the stretches of speech in audio (any {@link AudioInput}; decoded, mixed down and resampled to
   * 16 kHz), with silero-vad's `get_speech_timestamps` rules. Times are in seconds.
   * @example
   * await vad.detectSpeech('interview.mp3', { minSilenceDurationMs: 300 });
   * // [{ start: 0.45, end: 3.01 }, { start: 3.87, end: 7.2 }]
   */
  async detectSpeech(audio: AudioInput, options: DetectSpeechOptions = {}): Promise<SpeechSegment[]> {
    const pcm = await loadAudio(audio, { ...options, sampleRate: SAMPLE_RATE });
    const probs = await this.probabilities(pcm.samples, options);
    return speechSegmentsFromProbabilities(
      probs,
      { sampleRate: SAMPLE_RATE, windowSize: WINDOW, totalSamples: pcm.samples.length },
      options,
    );
  }

  /**
   * A streaming detector on this model: push 16 kHz PCM in chunks of any size, get speech start/end events.
   * @example
   * const stream = vad.createStream();
   * for await (const chunk of mic) for (const e of await stream.push(chunk)) console.log(e.type, e.start);
   */
  createStream(options: StreamingVadOptions = {}): StreamingVad {
    return new StreamingVad(this, options);
  }

  /** Frees the model session. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#session.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
