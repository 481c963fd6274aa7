import type { AudioInput, TranscribeOptions, TranscriptionEvent, TranscriptionResult } from '../types/speech.js';
import { ModelBackend } from './model-backend.js';

/** A speech-to-text model. */
export abstract class STTBackend extends ModelBackend {
  /** ISO 639-1 codes the model can transcribe (`['en']` for English-only models). */
  abstract readonly supportedLanguages: readonly string[];
  /** Whether the model can translate to English. */
  abstract readonly canTranslate: boolean;

  /** Transcribes (or translates) a whole recording. */
  abstract transcribe(audio: AudioInput, options?: TranscribeOptions): Promise<TranscriptionResult>;

  /**
   * Transcribes audio as it arrives: mono PCM chunks in (at `sampleRate`), partial and per-segment text out as
   * soon as each speech segment ends, and one `final` event after the input ends.
   */
  abstract transcribeStreaming(
    chunks: AsyncIterable<Float32Array>,
    options?: TranscribeOptions & { sampleRate?: number },
  ): AsyncIterable<TranscriptionEvent>;

  /** Transcribes several recordings; results are in input order. */
  async batchTranscribe(audios: readonly AudioInput[], options?: TranscribeOptions): Promise<TranscriptionResult[]> {
    const out: TranscriptionResult[] = [];
    for (const audio of audios) out.push(await this.transcribe(audio, options));
    return out;
  }
}
