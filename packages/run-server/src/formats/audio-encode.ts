import { spawn, spawnSync } from 'node:child_process';
import encode from '@audio/encode';
import { resample } from '@llama-pajamas/run-core';
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

/** Converts float samples to signed 16-bit little-endian bytes (clipped). */
export function floatToPcm16(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i] ?? 0));
    view.setInt16(i * 2, Math.round(v < 0 ? v * 0x8000 : v * 0x7fff), true);
  }
  return out;
}

/** A 44-byte PCM16 mono WAV header; `dataBytes` undefined writes the open-ended sizes used for streams. */
export function wavHeader(sampleRate: number, dataBytes?: number): Uint8Array {
  const h = new Uint8Array(44);
  const v = new DataView(h.buffer);
  const ascii = (o: number, s: string): void => {
    for (let i = 0; i < s.length; i++) h[o + i] = s.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  v.setUint32(4, dataBytes === undefined ? 0xffffffff : 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  ascii(36, 'data');
  v.setUint32(40, dataBytes === undefined ? 0xffffffff : dataBytes, true);
  return h;
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
        push: (s) => Promise.resolve(floatToPcm16(s.length === 0 ? s : resample(s, sampleRate, PCM_SAMPLE_RATE))),
        end: () => Promise.resolve(EMPTY),
      };
    case 'wav': {
      if (options.streaming) {
        let started = false;
        return {
          format,
          contentType,
          push: (s) => {
            const body = floatToPcm16(s);
            if (started) return Promise.resolve(body);
            started = true;
            return Promise.resolve(concat([wavHeader(sampleRate), body]));
          },
          end: () => Promise.resolve(started ? EMPTY : wavHeader(sampleRate)),
        };
      }
      const parts: Uint8Array[] = [];
      return {
        format,
        contentType,
        push: (s) => {
          parts.push(floatToPcm16(s));
          return Promise.resolve(EMPTY);
        },
        end: () => {
          const body = concat(parts);
          return Promise.resolve(concat([wavHeader(sampleRate, body.byteLength), body]));
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
