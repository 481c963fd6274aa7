import { spawn, spawnSync } from 'node:child_process';
import encode from '@audio/encode';
import { encodePcm16, encodeWav, resample } from '@llama-pajamas/run-core';
import { ApiError } from '../errors.js';

/** Output formats of `/v1/audio/speech`. */
export const SPEECH_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;
/** One of {@link SPEECH_FORMATS}. */
export type SpeechFormat = (typeof SPEECH_FORMATS)[number];

/** Content types as OpenAI sends them. */
export const SPEECH_CONTENT_TYPES: Readonly<Record<SpeechFormat, string>> = {
  mp3: 'audio/mpeg',
  opus: 'audio/ogg; codecs=opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

/** Sample rate of `pcm` output: raw 24 kHz signed 16-bit little-endian mono, as OpenAI. */
export const PCM_SAMPLE_RATE = 24_000;

/** An incremental encoder: feed mono float chunks, get encoded bytes as they are ready. */
export interface AudioStreamEncoder {
  readonly format: SpeechFormat;
  readonly contentType: string;
  /** Encodes one chunk; may return no bytes yet. */
  push(samples: Float32Array): Promise<Uint8Array>;
  /** Flushes the encoder and returns the last bytes. */
  end(): Promise<Uint8Array>;
}

/** Options of {@link createAudioEncoder}. */
export interface AudioEncoderOptions {
  /** The output is streamed: WAV gets an open-ended header (sizes 0xFFFFFFFF) instead of exact sizes. */
  streaming?: boolean;
  /** ffmpeg executable for AAC (false: AAC is refused). */
  ffmpegPath?: string | false;
}

/**
 * The 44-byte header of a streamed PCM16 mono WAV: run-core's `encodeWav` header with the RIFF and data sizes set
 * to 0xFFFFFFFF (unknown length), as streaming encoders write it.
 */
function streamingWavHeader(sampleRate: number): Uint8Array {
  const header = encodeWav({ samples: new Float32Array(0), sampleRate });
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  view.setUint32(4, 0xffffffff, true);
  view.setUint32(40, 0xffffffff, true);
  return header;
}

const EMPTY = new Uint8Array(0);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
}

let ffmpegChecked: { path: string; ok: boolean } | undefined;
/** Whether `path` runs as ffmpeg (checked once per path). */
export function hasFfmpeg(path: string): boolean {
  if (ffmpegChecked?.path !== path) {
    const r = spawnSync(path, ['-hide_banner', '-version'], { stdio: 'ignore', timeout: 5000 });
    ffmpegChecked = { path, ok: r.status === 0 };
  }
  return ffmpegChecked.ok;
}

/**
 * Creates an encoder for one speech response. mp3/opus/flac are encoded in WASM (@audio/encode), wav and pcm in
 * JS; AAC needs ffmpeg (Node has no AAC encoder): without it this throws a 501 that names the fix.
 */
export async function createAudioEncoder(
  format: SpeechFormat,
  sampleRate: number,
  options: AudioEncoderOptions = {},
): Promise<AudioStreamEncoder> {
  const contentType = SPEECH_CONTENT_TYPES[format];
  switch (format) {
    case 'pcm':
      return {
        format,
        contentType,
        push: (s) => Promise.resolve(encodePcm16(s.length === 0 ? s : resample(s, sampleRate, PCM_SAMPLE_RATE))),
        end: () => Promise.resolve(EMPTY),
      };
    case 'wav': {
      if (options.streaming) {
        let started = false;
        return {
          format,
          contentType,
          push: (s) => {
            const body = encodePcm16(s);
            if (started) return Promise.resolve(body);
            started = true;
            return Promise.resolve(concat([streamingWavHeader(sampleRate), body]));
          },
          end: () => Promise.resolve(started ? EMPTY : streamingWavHeader(sampleRate)),
        };
      }
      const parts: Float32Array[] = [];
      return {
        format,
        contentType,
        push: (s) => {
          parts.push(s);
          return Promise.resolve(EMPTY);
        },
        end: () => {
          const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
          let at = 0;
          for (const p of parts) {
            samples.set(p, at);
            at += p.length;
          }
          return Promise.resolve(encodeWav({ samples, sampleRate }));
        },
      };
    }
    case 'mp3':
    case 'flac':
    case 'opus': {
      const opts =
        format === 'mp3'
          ? { sampleRate, channels: 1, bitrate: 64 }
          : format === 'opus'
            ? { sampleRate, channels: 1, bitrate: 48 }
            : { sampleRate, channels: 1 };
      const enc = await encode[format](opts as never);
      return {
        format,
        contentType,
        push: async (s) => (s.length === 0 ? EMPTY : await enc(s)),
        end: async () => await enc(),
      };
    }
    case 'aac':
      return createFfmpegAacEncoder(sampleRate, options.ffmpegPath);
  }
}

function createFfmpegAacEncoder(sampleRate: number, ffmpegPath: string | false | undefined): AudioStreamEncoder {
  const path = ffmpegPath ?? 'ffmpeg';
  if (path === false || !hasFfmpeg(path)) {
    throw new ApiError(
      501,
      "response_format 'aac' needs ffmpeg, which this server cannot find. Install it (Debian/Ubuntu: `apt-get install ffmpeg`, macOS: `brew install ffmpeg`) and restart, or ask for mp3, opus, flac, wav or pcm.",
      { param: 'response_format', code: 'format_unavailable' },
    );
  }
  const child = spawn(
    path,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'f32le',
      '-ar',
      String(sampleRate),
      '-ac',
      '1',
      '-i',
      'pipe:0',
      '-c:a',
      'aac',
      '-b:a',
      '64k',
      '-f',
      'adts',
      'pipe:1',
    ],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let pending: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => pending.push(d));
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(-1));
    child.on('close', (code) => resolve(code));
  });
  const take = (): Uint8Array => {
    const out = concat(pending);
    pending = [];
    return out;
  };
  return {
    format: 'aac',
    contentType: SPEECH_CONTENT_TYPES.aac,
    push: async (s) => {
      const bytes = Buffer.from(s.buffer, s.byteOffset, s.byteLength);
      if (!child.stdin.write(bytes)) await new Promise((r) => child.stdin.once('drain', r));
      return take();
    },
    end: async () => {
      child.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`ffmpeg failed to encode AAC (exit ${String(code)}): ${stderr.trim()}`);
      return take();
    },
  };
}
