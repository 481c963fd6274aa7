/** Mono PCM audio as float samples in [-1, 1]. */
export interface PcmAudio {
  samples: Float32Array;
  sampleRate: number;
}

/** Audio given as encoded file bytes (wav, mp3, flac, ogg, m4a…), a file path, or decoded mono PCM. */
export type AudioInput = Uint8Array | string | PcmAudio;

/** A word with its time span, in seconds from the start of the audio. */
export interface TranscriptionWord {
  word: string;
  start: number;
  end: number;
  probability: number;
}

/** A segment of a transcription; the fields are those of OpenAI's `verbose_json`, in camelCase. */
export interface TranscriptionSegment {
  id: number;
  /** Offset, in mel frames (10 ms), of the 30 s window the segment was decoded in. */
  seek: number;
  start: number;
  end: number;
  text: string;
  tokens: number[];
  temperature: number;
  avgLogprob: number;
  compressionRatio: number;
  noSpeechProb: number;
  words?: TranscriptionWord[];
}

/** What `transcribe` returns. */
export interface TranscriptionResult {
  text: string;
  task: 'transcribe' | 'translate';
  /** ISO 639-1 code (`en`), given or detected. */
  language: string;
  /** Length of the input audio in seconds. */
  duration: number;
  segments: TranscriptionSegment[];
  words?: TranscriptionWord[];
}

/** Options of `transcribe`. */
export interface TranscribeOptions {
  /** ISO 639-1 code; detected when absent on multilingual models. */
  language?: string;
  task?: 'transcribe' | 'translate';
  /** Text that conditions the decoder (names, spelling, style). */
  prompt?: string;
  /** Sampling temperature, or a ladder tried in order on decoding failure (default [0, 0.2, …, 1]). */
  temperature?: number | readonly number[];
  /** Beam width for temperature 0 (default 1 = greedy). */
  beamSize?: number;
  /** Word-level timestamps (default false). */
  wordTimestamps?: boolean;
  /** Skip silence with voice activity detection before decoding (default true where a VAD is available). */
  vad?: boolean;
  signal?: AbortSignal;
  /** Called after each decoded window of a long recording (and once at the end) with how far it has got. */
  onProgress?: (progress: TranscribeProgress) => void;
}

/** How far a transcription has got: seconds of (speech) audio decoded so far, of the total to decode. */
export interface TranscribeProgress {
  readonly processedSeconds: number;
  readonly totalSeconds: number;
}

/** An event of `transcribeStreaming`. */
export type TranscriptionEvent =
  | { type: 'partial'; text: string }
  | { type: 'segment'; segment: TranscriptionSegment }
  | { type: 'final'; result: TranscriptionResult };

/** What `synthesize` returns: mono float samples at the voice's rate. */
export interface SpeechResult {
  samples: Float32Array;
  sampleRate: number;
}

/** One piece of audio from `synthesizeStreaming`, in order. */
export interface SpeechChunk extends SpeechResult {
  /** 0-based position of the chunk. */
  index: number;
  /** The sentence this chunk speaks. */
  text: string;
}

/** Options of `synthesize`. */
export interface SynthesizeOptions {
  /** Speaker id or name for multi-speaker voices (default 0). */
  speaker?: number | string;
  /** Speaking rate multiplier, 0.25-4 (default 1). */
  speed?: number;
  /** VITS noise scale (default from the voice). */
  noiseScale?: number;
  /** VITS phoneme duration noise (default from the voice). */
  noiseW?: number;
  signal?: AbortSignal;
}

/** A stretch of speech found by voice activity detection, in seconds. */
export interface SpeechSegment {
  start: number;
  end: number;
}
