// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- ambient types of untyped dependencies; a reference (not tsconfig) so that other packages' tsc, which compile this source, see them too
/// <reference path="./vendor.d.ts" />
import decode from '@audio/decode';
import audioType from 'audio-type';
import wavefile from 'wavefile';
import { readFileLimited, type LimitedReadErrors } from '../io/read-limited.js';
import {
  AudioDecodeError,
  AudioTooLongError,
  AudioUnsupportedFormatError,
  RunError,
  invalidParameter,
} from '../errors.js';

// wavefile is CommonJS: a default import, then destructure (a named import crashes under plain Node ESM).
const { WaveFile } = wavefile;

/** Size limits applied before and while audio is decoded. */
export interface AudioLimits {
  /** Most encoded bytes accepted (file size or byte length); default 100 MiB. */
  maxBytes?: number;
  /** Longest audio accepted, in seconds; default 3 hours. */
  maxDurationSeconds?: number;
}

/** Default {@link AudioLimits}: 100 MiB and 3 hours. */
export const DEFAULT_AUDIO_LIMITS: Readonly<Required<AudioLimits>> = Object.freeze({
  maxBytes: 100 * 1024 * 1024,
  maxDurationSeconds: 3 * 60 * 60,
});

/** Decoded audio: one float array per channel (samples in [-1, 1]), the sample rate and the length in seconds. */
export interface DecodedAudio {
  channels: Float32Array[];
  sampleRate: number;
  duration: number;
}

/** Containers and codecs {@link decodeAudio} reads (after sniffing the bytes; file names are not trusted). */
export const SUPPORTED_AUDIO_FORMATS: readonly string[] = Object.freeze([
  'wav',
  'mp3',
  'flac',
  'ogg (vorbis, opus, flac)',
  'm4a/mp4 (aac)',
  'aac (adts)',
  'webm',
  'aiff',
  'caf',
]);

/** Formats sniffed by audio-type that @audio/decode decodes and that we accept. */
const COMPRESSED_FORMATS = new Set(['mp3', 'flac', 'opus', 'oga', 'm4a', 'aac', 'webm', 'aiff', 'caf']);
/** Formats that cannot be fed in pieces (their index may sit at the end of the file). */
const WHOLE_FILE_FORMATS = new Set(['m4a', 'aiff', 'caf']);
/** Bytes fed to a streaming decoder per call, so a too-long file is refused before it fills memory. */
const CHUNK_BYTES = 256 * 1024;

/** Checks `limits` and fills in the defaults; throws {@link InvalidArgumentError} on a bad value. */
export function resolveAudioLimits(limits: AudioLimits = {}): Required<AudioLimits> {
  const maxBytes = limits.maxBytes ?? DEFAULT_AUDIO_LIMITS.maxBytes;
  const maxDurationSeconds = limits.maxDurationSeconds ?? DEFAULT_AUDIO_LIMITS.maxDurationSeconds;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw invalidParameter('limits.maxBytes', 'a positive integer', maxBytes);
  }
  if (typeof maxDurationSeconds !== 'number' || !(maxDurationSeconds > 0) || !Number.isFinite(maxDurationSeconds)) {
    throw invalidParameter('limits.maxDurationSeconds', 'a positive finite number', maxDurationSeconds);
  }
  return { maxBytes, maxDurationSeconds };
}

function tooManyBytes(bytes: number, maxBytes: number, what: string): AudioTooLongError {
  return new AudioTooLongError(
    `The ${what} is ${bytes} bytes but the limit is ${maxBytes} bytes. Send shorter audio or raise limits.maxBytes.`,
    { details: { bytes, maxBytes } },
  );
}

function tooLong(seconds: number, maxDurationSeconds: number): AudioTooLongError {
  return new AudioTooLongError(
    `The audio is ${seconds.toFixed(1)} s long${Number.isFinite(seconds) ? '' : ' or more'} but the limit is ` +
      `${maxDurationSeconds} s. Send shorter audio (split it) or raise limits.maxDurationSeconds.`,
    { details: { seconds, maxDurationSeconds } },
  );
}

/** The errors of a limited read of an audio file. */
const fileErrors = (path: string, maxBytes: number): LimitedReadErrors => ({
  missing: (cause) =>
    new AudioDecodeError(
      `No audio file at ${JSON.stringify(path)}. Check the path (relative paths resolve against ${process.cwd()}).`,
      { cause, details: { reason: 'file-not-found', path } },
    ),
  notAFile: () =>
    new AudioDecodeError(`The path ${JSON.stringify(path)} is not a file. Pass the path of an audio file.`, {
      details: { reason: 'not-a-file', path },
    }),
  tooLarge: (bytes) => tooManyBytes(bytes, maxBytes, `file ${JSON.stringify(path)}`),
  failed: (cause) =>
    new AudioDecodeError(`Could not read the audio file ${JSON.stringify(path)}: ${(cause as Error).message}`, {
      cause,
      details: { reason: 'read-failed', path },
    }),
});

/** Reads audio bytes from bytes or a path, checking emptiness and the byte limit. */
async function audioBytes(input: Uint8Array | string, maxBytes: number): Promise<Uint8Array> {
  let bytes: Uint8Array;
  if (input instanceof Uint8Array) {
    if (input.byteLength > maxBytes) throw tooManyBytes(input.byteLength, maxBytes, 'audio');
    bytes = input;
  } else if (typeof input === 'string') {
    if (input.trim().length === 0) throw invalidParameter('audio', 'a file path or audio bytes', input);
    bytes = await readFileLimited(input, maxBytes, fileErrors(input, maxBytes));
  } else {
    throw invalidParameter('audio', 'a Uint8Array/Buffer of audio file bytes or a file path', input);
  }
  if (bytes.byteLength === 0) {
    throw new AudioDecodeError(
      'The audio is empty (0 bytes): expected the bytes of a WAV, MP3, FLAC, Ogg (Vorbis/Opus), M4A (AAC) or WebM file.',
      { details: { reason: 'empty' } },
    );
  }
  return bytes;
}

/** A short, printable description of the first bytes, for error messages. */
function describeMagic(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 8);
  const printable = [...head].every((b) => b >= 0x20 && b < 0x7f);
  return printable
    ? JSON.stringify(String.fromCharCode(...head))
    : [...head].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Scale that maps a signed integer sample of `bits` bits into [-1, 1). */
function intScale(bits: number): number {
  return 1 / 2 ** (bits - 1);
}

interface WaveFmt {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
}

/**
 * 16-bit integer or 32-bit float PCM samples straight from the data chunk, one Float32Array per channel (16-bit
 * scaled by 1/32768; big-endian in RIFX files, which the sniffer does not let in today): the values wavefile's `getSamples` gives, ~50× faster (it unpacks
 * sample by sample). A trailing partial frame is dropped, as `getSamples` does.
 */
function deinterleave(
  data: { samples: Uint8Array },
  numChannels: number,
  bytesPerSample: 2 | 4,
  littleEndian: boolean,
): Float32Array[] {
  const bytes = data.samples;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames = Math.floor(bytes.byteLength / (bytesPerSample * numChannels));
  const channels = Array.from({ length: numChannels }, () => new Float32Array(frames));
  const scale = intScale(16);
  for (let c = 0; c < numChannels; c++) {
    const ch = channels[c] as Float32Array;
    const stride = bytesPerSample * numChannels;
    let at = bytesPerSample * c;
    if (bytesPerSample === 2)
      for (let i = 0; i < frames; i++, at += stride) ch[i] = view.getInt16(at, littleEndian) * scale;
    else for (let i = 0; i < frames; i++, at += stride) ch[i] = view.getFloat32(at, littleEndian);
  }
  return channels;
}

function decodeWav(bytes: Uint8Array, maxDurationSeconds: number): DecodedAudio {
  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (cause) {
    throw new AudioDecodeError(`The WAV file could not be parsed: ${(cause as Error).message}`, {
      cause,
      details: { reason: 'corrupt', format: 'wav' },
    });
  }
  const fmt = wav.fmt as WaveFmt;
  const data = (wav.data as { samples: Uint8Array }).samples;
  const { numChannels, sampleRate, blockAlign } = fmt;
  if (!(numChannels >= 1) || !(sampleRate >= 1) || !(blockAlign >= 1)) {
    throw new AudioDecodeError(
      `The WAV header is invalid (channels ${numChannels}, rate ${sampleRate}, block size ${blockAlign}).`,
      { details: { reason: 'corrupt', format: 'wav' } },
    );
  }
  if (data.length === 0) {
    throw new AudioDecodeError('The WAV file has no audio data (its data chunk is missing or empty).', {
      details: { reason: 'no-data', format: 'wav' },
    });
  }
  // Compressed WAV codecs are expanded to 16-bit first; the sample count then changes, so estimate from the header.
  const estimated =
    wav.bitDepth === '4' ? (data.length * 2) / numChannels / sampleRate : data.length / blockAlign / sampleRate;
  if (estimated > maxDurationSeconds) throw tooLong(estimated, maxDurationSeconds);

  let bitDepth = wav.bitDepth;
  try {
    if (bitDepth === '8a') wav.fromALaw();
    else if (bitDepth === '8m') wav.fromMuLaw();
    else if (bitDepth === '4') wav.fromIMAADPCM();
  } catch (cause) {
    throw new AudioDecodeError(`The WAV file's compressed samples could not be expanded: ${(cause as Error).message}`, {
      cause,
      details: { reason: 'corrupt', format: 'wav', bitDepth },
    });
  }
  bitDepth = wav.bitDepth;
  const isFloat = bitDepth === '32f' || bitDepth === '64';
  const bits = Number.parseInt(bitDepth, 10);
  if (!isFloat && ![8, 16, 24, 32].includes(bits) && !(bits > 1 && bits < 32)) {
    throw new AudioUnsupportedFormatError(
      `WAV files with ${bitDepth}-bit samples are not supported: expected 8/16/24/32-bit integer or 32/64-bit float PCM (or A-law, µ-law, IMA ADPCM).`,
      { details: { format: 'wav', bitDepth } },
    );
  }
  if (bitDepth === '16' || bitDepth === '32f') {
    const littleEndian = (wav as { container?: string }).container !== 'RIFX';
    const samples = wav.data as { samples: Uint8Array };
    const channels = deinterleave(samples, numChannels, bitDepth === '16' ? 2 : 4, littleEndian);
    const length = channels[0]?.length ?? 0;
    return { channels, sampleRate, duration: length / sampleRate };
  }
  let raw: Float32Array | Float32Array[];
  try {
    raw = wav.getSamples(false, Float32Array) as unknown as Float32Array | Float32Array[];
  } catch (cause) {
    throw new AudioDecodeError(`The WAV samples could not be read: ${(cause as Error).message}`, {
      cause,
      details: { reason: 'corrupt', format: 'wav' },
    });
  }
  const channels = Array.isArray(raw) ? raw : [raw];
  if (!isFloat) {
    // wavefile returns 8-bit samples unsigned (0..255) and wider ones signed.
    const scale = intScale(bits);
    const offset = bits === 8 ? 128 : 0;
    for (const ch of channels) for (let i = 0; i < ch.length; i++) ch[i] = (ch[i]! - offset) * scale;
  }
  const length = channels[0]?.length ?? 0;
  return { channels, sampleRate, duration: length / sampleRate };
}

/** Merges decoded pieces into one Float32Array per channel. */
function concatChannels(pieces: readonly Float32Array[][], numChannels: number, length: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let c = 0; c < numChannels; c++) {
    const ch = new Float32Array(length);
    let at = 0;
    for (const piece of pieces) {
      const src = piece[c] ?? piece[0]!;
      ch.set(src, at);
      at += src.length;
    }
    out.push(ch);
  }
  return out;
}

async function decodeCompressed(bytes: Uint8Array, format: string, maxDurationSeconds: number): Promise<DecodedAudio> {
  const codec = (decode as unknown as Record<string, (() => Promise<StreamDecoder>) | undefined>)[format];
  if (codec === undefined) {
    throw new AudioUnsupportedFormatError(
      `No decoder for ${format} audio. Supported: ${SUPPORTED_AUDIO_FORMATS.join(', ')}.`,
      {
        details: { format },
      },
    );
  }
  const pieces: Float32Array[][] = [];
  let sampleRate = 0;
  let numChannels = 0;
  let length = 0;
  const take = (result: { channelData: readonly Float32Array[]; sampleRate: number }): void => {
    const first = result.channelData[0];
    if (first === undefined || first.length === 0) return;
    if (sampleRate === 0) sampleRate = result.sampleRate;
    numChannels = Math.max(numChannels, result.channelData.length);
    pieces.push([...result.channelData]);
    length += first.length;
    if (sampleRate > 0 && length / sampleRate > maxDurationSeconds)
      throw tooLong(length / sampleRate, maxDurationSeconds);
  };
  let dec: StreamDecoder | undefined;
  try {
    dec = await codec();
    if (WHOLE_FILE_FORMATS.has(format)) {
      take(await dec(bytes));
    } else {
      for (let at = 0; at < bytes.byteLength; at += CHUNK_BYTES) take(await dec(bytes.subarray(at, at + CHUNK_BYTES)));
    }
    const last = dec;
    dec = undefined;
    take(await last());
  } catch (cause) {
    dec?.free();
    if (cause instanceof RunError) throw cause;
    throw new AudioDecodeError(
      `The ${format} audio could not be decoded (corrupt or truncated?): ${(cause as Error)?.message ?? String(cause)}`,
      { cause, details: { reason: 'corrupt', format } },
    );
  }
  if (length === 0 || !(sampleRate > 0)) {
    throw new AudioDecodeError(
      `The ${format} audio decoded to no samples: the file is truncated, corrupt or holds no audio stream.`,
      { details: { reason: 'no-samples', format } },
    );
  }
  return { channels: concatChannels(pieces, numChannels, length), sampleRate, duration: length / sampleRate };
}

interface StreamDecoder {
  (chunk?: Uint8Array): Promise<{ channelData: Float32Array[]; sampleRate: number }>;
  free(): void;
}

/**
 * Decodes an audio file (bytes or a path) into float channels. WAV (8/16/24/32-bit integer, 32/64-bit float,
 * A-law, µ-law, IMA ADPCM) goes through `wavefile`; MP3, FLAC, Ogg Vorbis/Opus, M4A (AAC), WebM, AIFF and CAF
 * go through `@audio/decode` (WASM decoders, no ffmpeg). The format is sniffed from the bytes.
 * Throws {@link AudioDecodeError} for empty, corrupt or truncated audio, {@link AudioUnsupportedFormatError} for
 * other files (text, images, unknown codecs), {@link AudioTooLongError} past `limits`.
 * @example
 * const { channels, sampleRate, duration } = await decodeAudio('speech.mp3');
 * // { channels: [Float32Array(113_152)], sampleRate: 16000, duration: 7.072 }
 */
export async function decodeAudio(input: Uint8Array | string, limits?: AudioLimits): Promise<DecodedAudio> {
  const { maxBytes, maxDurationSeconds } = resolveAudioLimits(limits);
  const bytes = await audioBytes(input, maxBytes);
  const format = audioType(bytes);
  if (format === 'wav') return decodeWav(bytes, maxDurationSeconds);
  if (format !== undefined && COMPRESSED_FORMATS.has(format))
    return decodeCompressed(bytes, format, maxDurationSeconds);
  throw new AudioUnsupportedFormatError(
    format === undefined
      ? `The data is not a recognised audio file (it starts with ${describeMagic(bytes)}). ` +
          `Expected one of: ${SUPPORTED_AUDIO_FORMATS.join(', ')}.`
      : `${format} audio is not supported. Convert it to one of: ${SUPPORTED_AUDIO_FORMATS.join(', ')}.`,
    { details: { format: format ?? 'unknown' } },
  );
}
