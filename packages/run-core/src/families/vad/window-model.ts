/** Recurrent state of one audio stream through a Silero VAD model. */
export interface SileroState {
  /** v5: `state`; v4: `h` then `c`. */
  readonly tensors: Float32Array[];
  /** The last samples of the previous window (v5 only; empty for v4). */
  readonly context: Float32Array;
}

/**
 * What the streaming detector needs of a VAD model: a fresh state, and the speech probability of one 512-sample
 * window at 16 kHz. `SileroVad` implements it; keeping it here lets `streaming.ts` and `silero.ts` not import
 * each other.
 */
export interface VadWindowModel {
  /** Fresh (zero) recurrent state for a new stream. */
  createState(): SileroState;
  /** Speech probability of one window (updates `state`). */
  predict(window: Float32Array, state: SileroState, signal?: AbortSignal): Promise<number>;
}

/** Sample rate Silero VAD runs at. */
export const VAD_SAMPLE_RATE = 16000;
/** New samples per Silero VAD call. */
export const VAD_WINDOW = 512;
