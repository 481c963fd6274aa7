import type { SpeechChunk, SpeechResult, SynthesizeOptions } from '../types/speech.js';
import { ModelBackend } from './model-backend.js';

/** A text-to-speech voice. */
export abstract class TTSBackend extends ModelBackend {
  /** Output sample rate in Hz. */
  abstract readonly sampleRate: number;
  /** Number of speakers (1 for single-speaker voices). */
  abstract readonly numSpeakers: number;
  /** Speaker names, index = speaker id (may be empty when the voice names none). */
  abstract readonly speakerNames: readonly string[];

  /** Speaks the whole text and returns the audio. */
  abstract synthesize(text: string, options?: SynthesizeOptions): Promise<SpeechResult>;

  /** Speaks sentence by sentence, yielding each chunk as soon as it is ready. */
  abstract synthesizeStreaming(text: string, options?: SynthesizeOptions): AsyncIterable<SpeechChunk>;

  /** Speaks several texts; results are in input order. */
  async batchSynthesize(texts: readonly string[], options?: SynthesizeOptions): Promise<SpeechResult[]> {
    const out: SpeechResult[] = [];
    for (const text of texts) out.push(await this.synthesize(text, options));
    return out;
  }
}
