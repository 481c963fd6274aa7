import { invalidParameter } from '../../errors.js';
import { VAD_SAMPLE_RATE, VAD_WINDOW, type SileroState, type VadWindowModel } from './window-model.js';
import { resolveVadOptions, type ResolvedVadOptions, type VadOptions } from './speech-timestamps.js';

/** Options of {@link StreamingVad}: the {@link VadOptions} thresholds and durations. */
export interface StreamingVadOptions extends Omit<VadOptions, 'signal'> {
  /** Keep the audio of each segment and return it with the `end` event (default true). */
  keepAudio?: boolean;
}

/** Speech began at `start` seconds from the beginning of the stream (sent once it has lasted `minSpeechDurationMs`). */
export interface VadStartEvent {
  type: 'start';
  start: number;
}

/** Speech that began at `start` ended at `end` (seconds); `samples` holds its 16 kHz audio, padding included. */
export interface VadEndEvent {
  type: 'end';
  start: number;
  end: number;
  samples: Float32Array;
}

/** What {@link StreamingVad.push} reports. */
export type VadEvent = VadStartEvent | VadEndEvent;

const SAMPLE_RATE = VAD_SAMPLE_RATE;
const WINDOW = VAD_WINDOW;

/**
 * Voice activity detection on a live 16 kHz stream (silero-vad's `VADIterator` rules plus a minimum speech
 * duration): push PCM in chunks of any size, get `start` and `end` events; `end` carries the segment's audio,
 * ready for a recogniser. Pushes are processed in order even when not awaited.
 * @example
 * const stream = vad.createStream({ minSilenceDurationMs: 300 });
 * const events = await stream.push(chunk);   // [{ type: 'start', start: 1.97 }]
 * const last = await stream.flush();         // [{ type: 'end', start: 1.97, end: 5.41, samples }]
 */
export class StreamingVad {
  readonly #vad: VadWindowModel;
  readonly #o: ResolvedVadOptions;
  readonly #keepAudio: boolean;
  #state: SileroState;
  #pending = new Float32Array(0);
  /** Absolute index of the first sample not yet processed. */
  #processed = 0;
  /** Audio kept from absolute index #keptStart: `#buf[0, #bufLen)` (capacity doubles as needed). */
  #buf = new Float32Array(16384);
  #bufLen = 0;
  #keptStart = 0;
  #triggered = false;
  #started = false;
  #speechStart = 0;
  #rawStart = 0;
  #tempEnd = -1;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(vad: VadWindowModel, options: StreamingVadOptions = {}) {
    this.#vad = vad;
    this.#o = resolveVadOptions(options);
    this.#keepAudio = options.keepAudio ?? true;
    this.#state = vad.createState();
  }

  /** True while inside speech that has been reported with a `start` event. */
  get isSpeaking(): boolean {
    return this.#started;
  }

  /** Seconds of audio processed so far. */
  get processedSeconds(): number {
    return this.#processed / SAMPLE_RATE;
  }

  /** Feeds 16 kHz mono PCM; resolves with the events it caused. */
  push(samples: Float32Array, signal?: AbortSignal): Promise<VadEvent[]> {
    if (!(samples instanceof Float32Array)) throw invalidParameter('samples', 'a Float32Array of 16 kHz PCM', samples);
    return this.#enqueue(() => this.#push(samples, signal));
  }

  /** Ends the stream: processes the last partial window and closes open speech. The detector is then reset. */
  flush(signal?: AbortSignal): Promise<VadEvent[]> {
    return this.#enqueue(async () => {
      const events: VadEvent[] = [];
      const total = this.#processed + this.#pending.length;
      if (this.#pending.length > 0) {
        const window = new Float32Array(WINDOW);
        window.set(this.#pending);
        this.#keep(this.#pending);
        this.#pending = new Float32Array(0);
        await this.#window(window, this.#processed, events, signal);
        this.#processed = total;
      }
      if (this.#triggered) {
        const minSpeech = (SAMPLE_RATE * this.#o.minSpeechDurationMs) / 1000;
        if (this.#started || total - this.#rawStart > minSpeech) {
          if (!this.#started) events.push({ type: 'start', start: this.#speechStart / SAMPLE_RATE });
          events.push(this.#end(total));
        }
      }
      this.reset();
      return events;
    });
  }

  /** Forgets all audio and state (a new stream starts at time 0). */
  reset(): void {
    this.#state = this.#vad.createState();
    this.#pending = new Float32Array(0);
    this.#processed = 0;
    this.#bufLen = 0;
    this.#keptStart = 0;
    this.#triggered = false;
    this.#started = false;
    this.#tempEnd = -1;
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #push(samples: Float32Array, signal: AbortSignal | undefined): Promise<VadEvent[]> {
    const events: VadEvent[] = [];
    let data = samples;
    if (this.#pending.length > 0) {
      data = new Float32Array(this.#pending.length + samples.length);
      data.set(this.#pending);
      data.set(samples, this.#pending.length);
    }
    let at = 0;
    while (data.length - at >= WINDOW) {
      const window = data.subarray(at, at + WINDOW);
      this.#keep(window);
      await this.#window(window, this.#processed, events, signal);
      this.#processed += WINDOW;
      at += WINDOW;
    }
    this.#pending = data.slice(at);
    return events;
  }

  /** Appends processed audio to the kept buffer, trimming it to what a future segment may need. */
  #keep(window: Float32Array): void {
    if (!this.#keepAudio) return;
    const pad = Math.round((SAMPLE_RATE * this.#o.speechPadMs) / 1000);
    if (this.#bufLen + window.length > this.#buf.length) {
      const grown = new Float32Array(Math.max(2 * this.#buf.length, this.#bufLen + window.length));
      grown.set(this.#buf.subarray(0, this.#bufLen));
      this.#buf = grown;
    }
    this.#buf.set(window, this.#bufLen);
    this.#bufLen += window.length;
    if (!this.#triggered) this.#trimTo(this.#processed + window.length - pad - 2 * WINDOW);
  }

  /** Drops kept audio before absolute sample `from`. */
  #trimTo(from: number): void {
    const drop = Math.min(this.#bufLen, from - this.#keptStart);
    if (drop <= 0) return;
    this.#buf.copyWithin(0, drop, this.#bufLen);
    this.#bufLen -= drop;
    this.#keptStart += drop;
  }

  #end(endSample: number): VadEndEvent {
    const start = this.#speechStart;
    const from = Math.max(0, start - this.#keptStart);
    const samples = this.#keepAudio
      ? this.#buf.slice(
          Math.min(from, this.#bufLen),
          Math.min(this.#bufLen, Math.max(from, endSample - this.#keptStart)),
        )
      : new Float32Array(0);
    this.#triggered = false;
    this.#started = false;
    this.#tempEnd = -1;
    return { type: 'end', start: start / SAMPLE_RATE, end: endSample / SAMPLE_RATE, samples };
  }

  async #window(window: Float32Array, windowStart: number, events: VadEvent[], signal?: AbortSignal): Promise<void> {
    const o = this.#o;
    const p = await this.#vad.predict(window, this.#state, signal);
    const windowEnd = windowStart + WINDOW;
    const pad = Math.round((SAMPLE_RATE * o.speechPadMs) / 1000);
    const minSpeech = (SAMPLE_RATE * o.minSpeechDurationMs) / 1000;
    const minSilence = (SAMPLE_RATE * o.minSilenceDurationMs) / 1000;
    const maxSpeech = SAMPLE_RATE * o.maxSpeechDurationSeconds;
    if (p >= o.threshold) {
      this.#tempEnd = -1;
      if (!this.#triggered) {
        this.#triggered = true;
        this.#started = false;
        this.#rawStart = windowStart;
        this.#speechStart = Math.max(0, windowStart - pad);
      }
    }
    if (this.#triggered && !this.#started && windowEnd - this.#rawStart >= minSpeech && this.#tempEnd < 0) {
      this.#started = true;
      events.push({ type: 'start', start: this.#speechStart / SAMPLE_RATE });
    }
    if (this.#started && windowEnd + WINDOW - this.#speechStart > maxSpeech) {
      // Too long: close here and go on with a new segment that starts at this point.
      events.push(this.#end(windowEnd));
      this.#trimTo(windowEnd);
      this.#triggered = true;
      this.#started = true;
      this.#rawStart = windowEnd;
      this.#speechStart = windowEnd;
      events.push({ type: 'start', start: windowEnd / SAMPLE_RATE });
      return;
    }
    if (p < o.negThreshold && this.#triggered) {
      if (this.#tempEnd < 0) this.#tempEnd = windowStart;
      if (windowEnd - this.#tempEnd < minSilence) return;
      const end = Math.min(this.#tempEnd + pad, windowEnd);
      if (this.#started) events.push(this.#end(end));
      else {
        this.#triggered = false;
        this.#tempEnd = -1;
      }
    }
  }
}
