import { loadAudio } from '../../audio/load.js';
import type { AudioLimits } from '../../audio/decode.js';
import { ModelBackend } from '../../backends/model-backend.js';
import { ModelLifecycle } from '../../backends/lifecycle.js';
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
import { VAD_SAMPLE_RATE, VAD_WINDOW, type SileroState, type VadWindowModel } from './window-model.js';

export type { SileroState, VadWindowModel } from './window-model.js';

/**
 * The Silero VAD interfaces: `v5` (inputs `input`, `state` [2,B,128], `sr`; 64 samples of context in front of
 * each 512-sample window; v5, v6 and the 16k opset-15 export) and `v4` (inputs `input`, `sr`, `h`, `c`
 * [2,B,64]; no context).
 */
export type SileroVariant = 'v5' | 'v4';

/** The two sessions of a Silero VAD split for many windows per run (see {@link buildBatchedSilero}). */
export interface BatchedSileroSessions {
  readonly encoder: InferenceSession;
  readonly decoder: InferenceSession;
  /** Width of the LSTM state (128). */
  readonly hidden: number;
}

/** Options of {@link SileroVad}. */
export interface SileroVadOptions {
  /** A short id for messages (default `silero-vad`). */
  modelId?: string;
  /**
   * Opens the batched form of the same model (v5/v6 only; undefined when it cannot be built). `probabilities` and
   * `detectSpeech` then run thousands of windows per call instead of one, after a check at load that both forms
   * give the same probabilities; streaming and `predict` keep the window-by-window model.
   */
  batched?: () => Promise<BatchedSileroSessions | undefined>;
}

/** Options of {@link SileroVad.detectSpeech}: {@link VadOptions} plus audio limits. */
export interface DetectSpeechOptions extends VadOptions, AudioLimits {}

const SAMPLE_RATE = VAD_SAMPLE_RATE;
const WINDOW = VAD_WINDOW;
const CONTEXT = 64;
const VAD_HINT = 'Pass a Silero VAD model (v4, v5 or v6).';

/** An open Silero session and the state layout of its generation. */
interface SileroModel {
  session: InferenceSession;
  variant: SileroVariant;
  stateNames: string[];
  stateDims: number[];
  /** The batched form, when it was built and agreed with the window-by-window model at load. */
  batched?: BatchedSileroSessions;
}

/** Checks the session's inputs and outputs and finds the model generation; throws on a model that is not Silero. */
function recognizeSilero(session: InferenceSession, modelId: string): SileroModel {
  const names = session.inputs.map((i) => i.name);
  const has = (name: string): boolean => names.includes(name);
  if (!has('input') || !has('sr')) {
    throw new ModelOutputMismatchError(
      {
        model: modelId,
        found: `its inputs are ${JSON.stringify(names)}`,
        expected: "a Silero VAD with inputs 'input' and 'sr'",
        hint: VAD_HINT,
      },
      { details: { inputs: names } },
    );
  }
  let model: SileroModel;
  if (has('state')) model = { session, variant: 'v5', stateNames: ['state'], stateDims: [2, 1, 128] };
  else if (has('h') && has('c')) model = { session, variant: 'v4', stateNames: ['h', 'c'], stateDims: [2, 1, 64] };
  else {
    throw new ModelOutputMismatchError(
      {
        model: modelId,
        found: `it has no recurrent state input (its inputs are ${JSON.stringify(names)})`,
        expected: "'state' (Silero v5/v6) or 'h' and 'c' (v4)",
        hint: VAD_HINT,
      },
      { details: { inputs: names } },
    );
  }
  if (session.outputs.length < 1 + model.stateNames.length) {
    throw new ModelOutputMismatchError(
      {
        model: modelId,
        found: `it has ${session.outputs.length} outputs`,
        expected: `${1 + model.stateNames.length} (a Silero VAD ${model.variant})`,
        hint: VAD_HINT,
      },
      { details: { outputs: session.outputs.map((o) => o.name) } },
    );
  }
  return model;
}

/** Most windows per batched encoder run (~3 min of audio; bounds the memory of one run). */
const BATCH_WINDOWS = 4096;
/** Largest difference of probability allowed between the batched and the window-by-window model at load. */
const BATCH_AGREEMENT = 1e-5;

/** Speech probabilities from the batched sessions, in runs of {@link BATCH_WINDOWS}, state carried between runs. */
async function batchedProbabilities(
  b: BatchedSileroSessions,
  samples: Float32Array,
  modelId: string,
  signal?: AbortSignal,
  perRun = BATCH_WINDOWS,
): Promise<Float32Array> {
  const count = Math.ceil(samples.length / WINDOW);
  const probs = new Float32Array(count);
  let h: Float32Array = new Float32Array(b.hidden);
  let c: Float32Array = new Float32Array(b.hidden);
  const row = CONTEXT + WINDOW;
  for (let first = 0; first < count; first += perRun) {
    throwIfAborted(signal);
    const n = Math.min(perRun, count - first);
    // Row i: the 64 samples before window i (zeros before the start), then its 512 (zero-padded at the end).
    const rows = new Float32Array(n * row);
    for (let i = 0; i < n; i++) {
      const at = (first + i) * WINDOW;
      if (at > 0) rows.set(samples.subarray(at - CONTEXT, at), i * row);
      rows.set(samples.subarray(at, at + WINDOW), i * row + CONTEXT);
    }
    const runOptions = signal ? { signal } : undefined;
    let out: Record<string, Tensor>;
    try {
      const enc = await b.encoder.run({ input: createTensor('float32', rows, [n, row]) }, runOptions);
      const x = enc.output;
      if (!x || x.data.length !== n * b.hidden) throw new Error(`the encoder returned ${x?.data.length} values`);
      out = await b.decoder.run(
        {
          x: createTensor('float32', x.data as Float32Array, [n, 1, b.hidden]),
          h0: createTensor('float32', h, [1, 1, b.hidden]),
          c0: createTensor('float32', c, [1, 1, b.hidden]),
        },
        runOptions,
      );
    } catch (cause) {
      if (cause instanceof RunError) throw cause;
      throw new InferenceError(`Silero VAD '${modelId}' failed: ${(cause as Error).message}`, { cause });
    }
    probs.set((out.probs?.data as Float32Array).subarray(0, n), first);
    h = out.hN?.data as Float32Array;
    c = out.cN?.data as Float32Array;
  }
  return probs;
}

/**
 * Opens the batched form and keeps it only if it gives the window-by-window model's probabilities (within
 * {@link BATCH_AGREEMENT}) on a fixed test signal: 40 windows of tones and silence, in runs of 16 windows (so
 * that the state carried between runs is checked too).
 */
async function agreeingBatched(
  model: SileroModel,
  open: () => Promise<BatchedSileroSessions | undefined>,
): Promise<BatchedSileroSessions | undefined> {
  let b: BatchedSileroSessions | undefined;
  try {
    b = await open();
  } catch {
    return undefined;
  }
  if (!b) return undefined;
  const test = new Float32Array(40 * WINDOW - 100);
  for (let i = 0; i < test.length; i++) {
    const on = Math.floor(i / 4000) % 2 === 1;
    test[i] = (on ? 0.4 * Math.sin(i * 0.07) * Math.sin(i * 0.0011) : 0) + 0.003 * Math.sin(i * 1.3);
  }
  const probe = new SileroVad(model.session);
  try {
    const want = await probe.windowByWindow(test);
    const got = await batchedProbabilities(b, test, 'probe', undefined, 16);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs((want[i] as number) - (got[i] as number)));
    if (got.length === want.length && worst <= BATCH_AGREEMENT) return b;
  } catch {
    // fall through: the window-by-window model stays in use
  }
  await Promise.all([b.encoder.dispose(), b.decoder.dispose()]);
  return undefined;
}

/**
 * Silero voice activity detection on any {@link InferenceSession} (runtime-agnostic): speech probability per
 * 32 ms window at 16 kHz, speech segments (`get_speech_timestamps`), and a streaming detector.
 * Recognises the model generation by its input names (see {@link SileroVariant}). Give it an open session, or a
 * function that opens one (then `load()` opens it, and opens it again after `unload()`).
 * @example
 * const vad = new SileroVad(() => OnnxSession.create('silero_vad.onnx'));
 * await vad.load();
 * await vad.detectSpeech('talk.wav');
 * // [{ start: 1.986, end: 9.118 }]
 */
export class SileroVad extends ModelBackend implements VadWindowModel {
  /** Sample rate the model runs at (audio is resampled to it). */
  static readonly sampleRate = SAMPLE_RATE;
  /** New samples per model call. */
  static readonly windowSize = WINDOW;
  readonly modelId: string;
  readonly #lifecycle: ModelLifecycle<SileroModel>;
  /** The generation found when the model was last opened. */
  #variant: SileroVariant | undefined;

  constructor(session: InferenceSession | (() => Promise<InferenceSession>), options: SileroVadOptions = {}) {
    super();
    this.modelId = options.modelId ?? 'silero-vad';
    const given = typeof session === 'function' ? undefined : recognizeSilero(session, this.modelId);
    this.#variant = given?.variant;
    this.#lifecycle = new ModelLifecycle<SileroModel>({
      open: async () => {
        if (typeof session !== 'function') {
          throw new SessionDisposedError(
            `The VAD '${this.modelId}' was unloaded and was built on an open session, which cannot be reopened. ` +
              'Build it with a function that opens the session to load it again.',
          );
        }
        const opened = await session();
        try {
          const model = recognizeSilero(opened, this.modelId);
          this.#variant = model.variant;
          if (model.variant === 'v5' && options.batched) {
            const batched = await agreeingBatched(model, options.batched);
            if (batched) model.batched = batched;
          }
          return model;
        } catch (e) {
          await opened.dispose();
          throw e;
        }
      },
      close: async (model) => {
        await model.session.dispose();
        if (model.batched) await Promise.all([model.batched.encoder.dispose(), model.batched.decoder.dispose()]);
      },
      ...(given ? { initial: given } : {}),
    });
  }

  /** The model generation (known once the model has been loaded). */
  get variant(): SileroVariant {
    if (this.#variant === undefined) this.assertLoaded();
    return this.#variant as SileroVariant;
  }

  get isLoaded(): boolean {
    return this.#lifecycle.isLoaded;
  }

  load(): Promise<void> {
    return this.#lifecycle.load();
  }

  unload(): Promise<void> {
    return this.#lifecycle.unload();
  }

  /** The open model (throws `ERR_RUN_MODEL_NOT_LOADED` when not loaded). */
  get #model(): SileroModel {
    this.assertLoaded();
    return this.#lifecycle.value as SileroModel;
  }

  /** Fresh (zero) recurrent state for a new stream. */
  createState(): SileroState {
    const { stateDims, stateNames, variant } = this.#model;
    const size = stateDims.reduce((a, b) => a * b, 1);
    return {
      tensors: stateNames.map(() => new Float32Array(size)),
      context: new Float32Array(variant === 'v5' ? CONTEXT : 0),
    };
  }

  /**
   * Speech probability of one window of 512 samples at 16 kHz (shorter windows are zero-padded); updates `state`.
   * @example
   * const state = vad.createState();
   * await vad.predict(samples.subarray(0, 512), state); // 0.004
   */
  async predict(window: Float32Array, state: SileroState, signal?: AbortSignal): Promise<number> {
    const { session, stateNames, stateDims } = this.#model;
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
    stateNames.forEach((name, i) => {
      feeds[name] = createTensor('float32', state.tensors[i]!, stateDims);
    });
    let out: Record<string, Tensor>;
    try {
      out = await session.run(feeds, signal === undefined ? undefined : { signal });
    } catch (cause) {
      if (cause instanceof RunError) throw cause;
      throw new InferenceError(`Silero VAD '${this.modelId}' failed: ${(cause as Error).message}`, { cause });
    }
    const outputs = session.outputs.map((o) => out[o.name]);
    const prob = outputs[0]?.data[0];
    if (typeof prob !== 'number') {
      throw new ModelOutputMismatchError({
        model: this.modelId,
        found: 'it returned no number',
        expected: 'a speech probability',
      });
    }
    stateNames.forEach((_, i) => {
      const next = outputs[i + 1];
      if (next === undefined || !(next.data instanceof Float32Array) || next.data.length !== state.tensors[i]!.length) {
        throw new ModelOutputMismatchError({
          model: this.modelId,
          found: 'it returned a state of another size',
          expected: `[${stateDims.join(', ')}]`,
        });
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
    const model = this.#model;
    if (model.batched) return batchedProbabilities(model.batched, samples, this.modelId, options.signal);
    return this.windowByWindow(samples, options.signal);
  }

  /** Whether `probabilities` runs many windows per call (the batched form was built and agreed at load). */
  get isBatched(): boolean {
    return this.#model.batched !== undefined;
  }

  /** {@link probabilities} one window per model call. */
  async windowByWindow(samples: Float32Array, signal?: AbortSignal): Promise<Float32Array> {
    if (!(samples instanceof Float32Array)) throw invalidParameter('samples', 'a Float32Array of 16 kHz PCM', samples);
    const options = signal ? { signal } : {};
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

  /** Frees the model session (the same as `unload()`). */
  dispose(): Promise<void> {
    return this.unload();
  }
}
