import { ModelLifecycle } from '../../backends/lifecycle.js';
import { TTSBackend } from '../../backends/tts-backend.js';
import {
  InferenceError,
  InvalidArgumentError,
  ModelOutputMismatchError,
  RunError,
  SpeakerUnknownError,
  TextTooLongError,
  invalidParameter,
  throwIfAborted,
} from '../../errors.js';
import type { InferenceSession } from '../../session.js';
import { createTensor, type Tensor } from '../../tensor.js';
import { normalizeText, splitClauses, splitSentences } from '../../text/sentences.js';
import type { SpeechChunk, SpeechResult, SynthesizeOptions } from '../../types/speech.js';
import type { PiperVoiceConfig } from './config.js';
import { EspeakPhonemizer, type Phonemizer } from './espeak.js';
import { joinClausePhonemes, phonemesToIds } from './phonemes.js';

/** Options of {@link PiperTTS}. */
export interface PiperTTSOptions {
  /** Opens the voice's model session; called by `load()` (again after `unload()`). */
  openSession: () => Promise<InferenceSession>;
  /** The parsed `.onnx.json`. */
  config: PiperVoiceConfig;
  /** A short id for messages (the voice's file name). */
  modelId: string;
  /** Phonemizer for `phoneme_type: espeak` voices (default {@link EspeakPhonemizer}). */
  phonemizer?: Phonemizer;
  /** Longest text accepted, in characters (default 10,000). */
  maxTextLength?: number;
  /**
   * Silence after each sentence but the last, in seconds (default 0, as piper-tts: its `synthesize_wav` writes the
   * sentences back to back and its command line's `--sentence-silence` defaults to 0).
   */
  sentenceSilenceSeconds?: number;
}

/** Per-call options of a Piper voice: {@link SynthesizeOptions} plus the length scale. */
export interface PiperSynthesizeOptions extends SynthesizeOptions {
  /** VITS length scale (default from the voice, divided by `speed`). */
  lengthScale?: number;
}

/**
 * A Piper (VITS) voice on any {@link InferenceSession}: text → sentences → espeak-ng IPA phonemes (punctuation
 * and stress kept) → ids (`^ _ p _ … $`) → the model with `scales = [noise_scale, length_scale, noise_w]` and
 * `sid` for multi-speaker voices → float PCM at the voice's rate, peak-normalised per sentence like piper.
 * @example
 * const tts = await loadTextToSpeech('voices/en_US-joe-medium.onnx');
 * const { samples, sampleRate } = await tts.synthesize('Hello there.');
 * // { samples: Float32Array(24064), sampleRate: 22050 }
 */
export class PiperTTS extends TTSBackend {
  readonly modelId: string;
  readonly sampleRate: number;
  readonly numSpeakers: number;
  readonly speakerNames: readonly string[];
  /** The voice config. */
  readonly config: PiperVoiceConfig;
  /**
   * Which phonemizer speaks: `libespeak-ng` (the system library through koffi), `espeak-ng-wasm` (the `espeak-ng`
   * package), `text` (voices whose phonemes are the text's characters) or the `name` of a custom one.
   */
  readonly phonemizerName: string;
  readonly #lifecycle: ModelLifecycle<InferenceSession>;
  readonly #phonemizer: Phonemizer;
  readonly #maxTextLength: number;
  readonly #sentenceSilence: number;

  constructor(options: PiperTTSOptions) {
    super();
    this.config = options.config;
    this.modelId = options.modelId;
    this.sampleRate = options.config.sampleRate;
    this.numSpeakers = options.config.numSpeakers;
    const names: string[] = Array.from({ length: this.numSpeakers }, () => '');
    for (const [name, id] of options.config.speakerIdMap) if (id >= 0 && id < names.length) names[id] = name;
    this.speakerNames = names.some((n) => n !== '') ? names : [];
    const openSession = options.openSession;
    this.#lifecycle = new ModelLifecycle({
      open: async () => {
        const session = await openSession();
        const names = session.inputs.map((i) => i.name);
        if (!names.includes('input') || !names.includes('input_lengths') || !names.includes('scales')) {
          await session.dispose();
          throw new ModelOutputMismatchError(
            {
              model: this.modelId,
              found: `its inputs are ${JSON.stringify(names)}`,
              expected: 'a Piper voice with inputs input, input_lengths, scales (and sid for multi-speaker voices)',
              hint: 'Pass the .onnx of a Piper voice.',
            },
            { details: { inputs: names } },
          );
        }
        return session;
      },
      close: (session) => session.dispose(),
    });
    this.#phonemizer = options.phonemizer ?? new EspeakPhonemizer();
    this.phonemizerName = this.config.phonemeType === 'text' ? 'text' : (this.#phonemizer.name ?? 'custom');
    this.#maxTextLength = options.maxTextLength ?? 10_000;
    if (!Number.isSafeInteger(this.#maxTextLength) || this.#maxTextLength < 1) {
      throw invalidParameter('maxTextLength', 'a positive integer', options.maxTextLength);
    }
    this.#sentenceSilence = options.sentenceSilenceSeconds ?? 0;
    if (!(this.#sentenceSilence >= 0 && this.#sentenceSilence <= 10)) {
      throw invalidParameter(
        'sentenceSilenceSeconds',
        'a number of seconds in [0, 10]',
        options.sentenceSilenceSeconds,
      );
    }
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

  /** Speaker id for the `speaker` option; throws {@link SpeakerUnknownError}. */
  resolveSpeaker(speaker: number | string | undefined): number {
    if (speaker === undefined) return 0;
    if (typeof speaker === 'number') {
      if (Number.isInteger(speaker) && speaker >= 0 && speaker < this.numSpeakers) return speaker;
    } else if (typeof speaker === 'string') {
      const id = this.config.speakerIdMap.get(speaker);
      if (id !== undefined) return id;
      if (/^\d+$/.test(speaker) && Number(speaker) < this.numSpeakers) return Number(speaker);
    }
    const known =
      this.speakerNames.length > 0 ? `names ${this.speakerNames.map((n) => JSON.stringify(n)).join(', ')} or ` : '';
    throw new SpeakerUnknownError(
      `Speaker ${JSON.stringify(speaker)} is not in voice '${this.modelId}': use ${known}an id in [0, ${this.numSpeakers - 1}].`,
      { details: { speaker, numSpeakers: this.numSpeakers, speakerNames: this.speakerNames } },
    );
  }

  /** Checks the text and options and returns the sentences and the model scales. */
  #prepare(text: string, options: PiperSynthesizeOptions): { sentences: string[]; scales: Float32Array; sid: number } {
    if (typeof text !== 'string') throw invalidParameter('text', 'a string', text);
    if (text.length > this.#maxTextLength) {
      throw new TextTooLongError(
        `The text has ${text.length} characters but the limit is ${this.#maxTextLength}. Split it, or raise maxTextLength.`,
        { details: { length: text.length, maxTextLength: this.#maxTextLength } },
      );
    }
    const sentences = splitSentences(text);
    if (normalizeText(text).length === 0 || sentences.length === 0) {
      throw new InvalidArgumentError('The text is empty: expected something to speak.', { details: { param: 'text' } });
    }
    const speed = options.speed ?? 1;
    if (typeof speed !== 'number' || !(speed >= 0.25 && speed <= 4))
      throw invalidParameter('options.speed', 'a number in [0.25, 4]', speed);
    const check = (name: string, value: number | undefined, fallback: number): number => {
      const v = value ?? fallback;
      if (typeof v !== 'number' || !(v >= 0 && v <= 10))
        throw invalidParameter(`options.${name}`, 'a number in [0, 10]', v);
      return v;
    };
    const noiseScale = check('noiseScale', options.noiseScale, this.config.noiseScale);
    const lengthScale = check('lengthScale', options.lengthScale, this.config.lengthScale) / speed;
    const noiseW = check('noiseW', options.noiseW, this.config.noiseW);
    const sid = this.resolveSpeaker(options.speaker);
    return { sentences, scales: Float32Array.of(noiseScale, lengthScale, noiseW), sid };
  }

  /** Phoneme string of one sentence, Piper style. */
  async phonemize(sentence: string): Promise<string> {
    const clauses = splitClauses(sentence);
    if (clauses.length === 0) return '';
    if (this.config.phonemeType === 'text') return clauses.map((c) => c.text + c.punctuation).join(' ');
    const lines = await this.#phonemizer.phonemize(sentence, this.config.espeakVoice);
    return lines.length === 0 ? '' : joinClausePhonemes(lines, clauses);
  }

  /**
   * Phonemes of every sentence, as promises in order: the first sentence alone (so that its audio can start),
   * then all the others in one espeak-ng call (it runs while the model speaks the first sentence), split back
   * by clause counts; a sentence whose clauses espeak split differently is phonemized on its own.
   */
  #planPhonemes(sentences: readonly string[]): Promise<string>[] {
    const first = this.phonemize(sentences[0]!);
    const rest = sentences.slice(1);
    if (rest.length === 0) return [first];
    const clauseCounts = rest.map((s) => splitClauses(s));
    const batch: Promise<string[] | undefined> =
      this.config.phonemeType === 'text' || rest.length === 1
        ? Promise.resolve(undefined)
        : this.#phonemizer.phonemize(rest.join(' '), this.config.espeakVoice).then((lines) => {
            const expected = clauseCounts.reduce((n, c) => n + c.length, 0);
            if (lines.length !== expected) return undefined;
            let at = 0;
            return clauseCounts.map((clauses) => {
              const mine = lines.slice(at, at + clauses.length);
              at += clauses.length;
              return mine.length === 0 ? '' : joinClausePhonemes(mine, clauses);
            });
          });
    const planned = [first, ...rest.map((s, i) => batch.then((all) => all?.[i] ?? this.phonemize(s)))];
    // Errors surface when each promise is awaited; a consumer that stops early must not leave them unhandled.
    for (const p of planned) p.catch(() => undefined);
    return planned;
  }

  /** Audio of one sentence (empty when it has nothing to speak). */
  async #speak(
    phonemesPromise: Promise<string>,
    scales: Float32Array,
    sid: number,
    signal?: AbortSignal,
  ): Promise<Float32Array> {
    throwIfAborted(signal);
    const phonemes = await phonemesPromise;
    throwIfAborted(signal);
    const { ids } = phonemesToIds(phonemes, this.config);
    if (ids.length <= 3) return new Float32Array(0);
    this.assertLoaded();
    const session = this.#lifecycle.value!;
    const feeds: Record<string, Tensor> = {
      input: createTensor(
        'int64',
        BigInt64Array.from(ids, (i) => BigInt(i)),
        [1, ids.length],
      ),
      input_lengths: createTensor('int64', BigInt64Array.of(BigInt(ids.length)), [1]),
      scales: createTensor('float32', scales, [3]),
    };
    if (session.inputs.some((i) => i.name === 'sid'))
      feeds.sid = createTensor('int64', BigInt64Array.of(BigInt(sid)), [1]);
    let out: Record<string, Tensor>;
    try {
      out = await session.run(feeds, signal === undefined ? undefined : { signal });
    } catch (cause) {
      if (cause instanceof RunError) throw cause;
      throw new InferenceError(`Piper voice '${this.modelId}' failed: ${(cause as Error).message}`, { cause });
    }
    const first = out[session.outputs[0]?.name ?? 'output'];
    if (first === undefined || !(first.data instanceof Float32Array)) {
      throw new ModelOutputMismatchError({
        model: this.modelId,
        found: 'it returned no float32 output',
        expected: 'float32 audio',
      });
    }
    return peakNormalized(first.data);
  }

  /**
   * Speaks sentence by sentence: each chunk is yielded as soon as its sentence is synthesised (the first after
   * one sentence), with the sentence silence appended to every chunk but the last.
   * @example
   * for await (const chunk of tts.synthesizeStreaming('One. Two.')) play(chunk.samples);
   * // { index: 0, text: 'One.', samples: Float32Array(…), sampleRate: 22050 }, then { index: 1, … }
   */
  async *synthesizeStreaming(text: string, options: PiperSynthesizeOptions = {}): AsyncGenerator<SpeechChunk> {
    const { sentences, scales, sid } = this.#prepare(text, options);
    await this.load();
    const silence = Math.round(this.#sentenceSilence * this.sampleRate);
    const phonemes = this.#planPhonemes(sentences);
    let index = 0;
    for (let s = 0; s < sentences.length; s++) {
      const sentence = sentences[s]!;
      const audio = await this.#speak(phonemes[s]!, scales, sid, options.signal);
      if (audio.length === 0) continue;
      const last = s === sentences.length - 1;
      const samples = last || silence === 0 ? audio : new Float32Array(audio.length + silence);
      if (samples !== audio) samples.set(audio);
      yield { index: index++, text: sentence, samples, sampleRate: this.sampleRate };
    }
  }

  /**
   * Speaks the whole text (sentence by sentence, joined with the sentence silence).
   * @example
   * await tts.synthesize('Hello there. How are you?', { speed: 1.2, speaker: 'alice' });
   * // { samples: Float32Array(…), sampleRate: 22050 }
   */
  async synthesize(text: string, options: PiperSynthesizeOptions = {}): Promise<SpeechResult> {
    const chunks: Float32Array[] = [];
    for await (const chunk of this.synthesizeStreaming(text, options)) chunks.push(chunk.samples);
    const samples = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      samples.set(c, at);
      at += c.length;
    }
    return { samples, sampleRate: this.sampleRate };
  }
}

/**
 * A copy of `data` scaled so that its peak is 1 (a peak below 0.01 is taken as 0.01), as piper does before
 * converting to 16-bit. Plain indexed loops and a memcpy-style copy: this runs a few times per request, often
 * before V8 has optimised it, where `Float32Array.from` and `for…of` cost milliseconds.
 */
export function peakNormalized(data: Float32Array): Float32Array {
  const audio = new Float32Array(data);
  const n = audio.length;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(audio[i]!);
    if (a > peak) peak = a;
  }
  const gain = 1 / Math.max(0.01, peak);
  for (let i = 0; i < n; i++) audio[i] = audio[i]! * gain;
  return audio;
}
