import { resample } from '../../audio/resample.js';
import { AudioTooLongError, invalidParameter } from '../../errors.js';
import { round2 } from './word-times.js';
import type {
  SpeechSegment,
  TranscriptionEvent,
  TranscriptionResult,
  TranscriptionSegment,
} from '../../types/speech.js';
import { WHISPER_SAMPLE_RATE } from './log-mel.js';
import type { WhisperTranscriptionResult } from './transcribe.js';

/** What a {@link SpeechStream} reports: speech began, or speech that began at `start` ended (stream seconds). */
export type SpeechStreamEvent = { type: 'start'; start: number } | { type: 'end'; start: number; end: number };

/** Voice activity detection on a live 16 kHz stream (run-core's `StreamingVad` is one). */
export interface SpeechStream {
  /** Feeds 16 kHz mono PCM; resolves with the events it caused, in order. */
  push(samples: Float32Array, signal?: AbortSignal): Promise<readonly SpeechStreamEvent[]>;
  /** Ends the stream: closes open speech. */
  flush(signal?: AbortSignal): Promise<readonly SpeechStreamEvent[]>;
}

/** A voice activity detector the Whisper backend can use to skip silence (Silero VAD in run-onnx). */
export interface SpeechDetector {
  /** Speech regions of 16 kHz mono audio, in seconds. */
  detect(samples: Float32Array, sampleRate: number, signal?: AbortSignal): Promise<SpeechSegment[]>;
  /** A detector for one live stream (used by `transcribeStreaming`, so that each sample is looked at once). */
  createStream(): SpeechStream;
}

/** What streaming needs of the Whisper backend. */
export interface StreamTranscriber {
  /** Transcribes 16 kHz samples whole (no VAD). */
  transcribePlain(samples: Float32Array): Promise<WhisperTranscriptionResult>;
  /** Transcribes the given speech regions (seconds from the start of `samples`) of 16 kHz samples. */
  transcribeRegions(samples: Float32Array, regions: readonly SpeechSegment[]): Promise<WhisperTranscriptionResult>;
}

/** Options of {@link transcribeChunks}. */
export interface TranscribeChunksOptions {
  /** Input sample rate (Hz). */
  sampleRate: number;
  /** Longest stream accepted, in seconds. */
  maxDurationSeconds: number;
  /** The language, when known; otherwise the first piece's detected language is kept for the rest. */
  language?: string;
  task?: 'transcribe' | 'translate';
  wordTimestamps?: boolean;
  signal?: AbortSignal;
}

/** Seconds a region must have ended before the buffer's end to be cut after (so that close speech stays whole). */
const SETTLE = 0.5;
/** Seconds of audio kept around each VAD region (so that words are not clipped). */
export const SPEECH_PAD = 0.2;

/**
 * PCM chunks in, events out. With a {@link SpeechStream}, each stretch of speech is transcribed once it has ended
 * (every sample goes through the VAD once); without one, every 30 s. A buffer that reaches 60 s is transcribed
 * whole. Events: `segment` and `partial` per piece, then one `final`.
 */
export async function* transcribeChunks(
  chunks: AsyncIterable<Float32Array>,
  transcriber: (language: string | undefined) => StreamTranscriber,
  vad: SpeechStream | undefined,
  options: TranscribeChunksOptions,
): AsyncGenerator<TranscriptionEvent> {
  const SR = WHISPER_SAMPLE_RATE;
  const { sampleRate: rate, maxDurationSeconds: maxSeconds, signal } = options;
  let buffer = new Float32Array(0);
  /** Absolute sample index of buffer[0]. */
  let bufferStart = 0;
  let total = 0;
  const segments: TranscriptionSegment[] = [];
  const texts: string[] = [];
  let language = options.language;
  /** Ended speech regions (stream seconds) not yet transcribed. */
  let regions: SpeechSegment[] = [];
  /** Start (stream seconds) of speech that has begun and not ended. */
  let open: number | undefined;

  async function* emit(upTo: number): AsyncGenerator<TranscriptionEvent> {
    const piece = buffer.subarray(0, upTo);
    const offset = bufferStart / SR;
    const pieceEnd = (bufferStart + upTo) / SR;
    if (piece.length > 0) {
      const t = transcriber(language);
      let r: WhisperTranscriptionResult;
      if (vad) {
        const mine = regions.filter((g) => g.start < pieceEnd);
        regions = regions
          .filter((g) => g.end > pieceEnd)
          .map((g) => ({ start: Math.max(g.start, pieceEnd), end: g.end }));
        if (open !== undefined && open < pieceEnd) mine.push({ start: open, end: pieceEnd });
        const rel = mine.map((g) => ({
          start: Math.max(0, g.start - offset),
          end: Math.min(g.end, pieceEnd) - offset,
        }));
        r = await t.transcribeRegions(piece, rel);
      } else r = await t.transcribePlain(piece);
      language ??= r.language;
      for (const s of r.segments) {
        const seg = { ...s, id: segments.length, start: round2(s.start + offset), end: round2(s.end + offset) };
        if (seg.words)
          seg.words = seg.words.map((w) => ({ ...w, start: round2(w.start + offset), end: round2(w.end + offset) }));
        segments.push(seg);
        texts.push(seg.text);
        yield { type: 'segment', segment: seg };
      }
      if (r.segments.length > 0) yield { type: 'partial', text: texts.join('') };
    }
    if (open !== undefined && open < pieceEnd) open = pieceEnd;
    bufferStart += upTo;
    buffer = buffer.slice(upTo);
  }

  const take = (events: readonly SpeechStreamEvent[]): void => {
    for (const e of events) {
      if (e.type === 'start') open = e.start;
      else {
        open = undefined;
        regions.push({ start: e.start, end: e.end });
      }
    }
  };

  for await (const chunk of chunks) {
    if (!(chunk instanceof Float32Array)) throw invalidParameter('chunk', 'a Float32Array of mono PCM samples', chunk);
    const pcm = rate === SR ? chunk : resample(chunk, rate, SR);
    total += pcm.length;
    if (total / SR > maxSeconds) {
      throw new AudioTooLongError(
        `The stream passed ${maxSeconds} s of audio, the limit. End the stream sooner or raise maxDurationSeconds.`,
        { details: { maxDurationSeconds: maxSeconds } },
      );
    }
    const next = new Float32Array(buffer.length + pcm.length);
    next.set(buffer);
    next.set(pcm, buffer.length);
    buffer = next;
    if (vad) {
      take(await vad.push(pcm, signal));
      const seconds = (bufferStart + buffer.length) / SR;
      const last = regions[regions.length - 1];
      // Cut after the last region that ended SETTLE s ago, unless new speech has begun before the cut.
      if (last && last.end < seconds - SETTLE && (open === undefined || open > last.end + SPEECH_PAD)) {
        yield* emit(Math.min(buffer.length, Math.ceil((last.end + SPEECH_PAD) * SR) - bufferStart));
      } else if (regions.length === 0 && open === undefined && buffer.length > 30 * SR) {
        // Only silence so far: drop all but the last second.
        bufferStart += buffer.length - SR;
        buffer = buffer.slice(buffer.length - SR);
      }
    } else if (buffer.length >= 30 * SR) {
      yield* emit(30 * SR);
    }
    if (buffer.length > 60 * SR) yield* emit(buffer.length);
  }
  if (vad) take(await vad.flush(signal));
  yield* emit(buffer.length);
  const result: TranscriptionResult = {
    text: texts.join(''),
    task: options.task ?? 'transcribe',
    language: language ?? 'en',
    duration: round2(total / SR),
    segments,
  };
  if (options.wordTimestamps) result.words = segments.flatMap((s) => s.words ?? []);
  yield { type: 'final', result };
}
