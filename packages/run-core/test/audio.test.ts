import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { describe, expect, it } from 'vitest';
import { decodeAudio, encodePcm16, encodeWav, loadAudio, resample, toMono } from '../src/index.js';
import { audio, speech } from './fixtures/index.js';

const { WaveFile } = wavefile;

const readF32 = (path: string): Float32Array => {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

const rms = (x: Float32Array, from = 0, to = x.length): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / Math.max(1, to - from));
};

/** Signal-to-noise ratio of `actual` against `expected`, in dB. */
const snrDb = (expected: Float32Array, actual: Float32Array): number => {
  let sig = 0;
  let err = 0;
  for (let i = 0; i < expected.length; i++) {
    sig += expected[i]! ** 2;
    err += (expected[i]! - actual[i]!) ** 2;
  }
  return 10 * Math.log10(sig / err);
};

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
  return 'resolved';
}

/** A test tone: 440 Hz at amplitude 0.5 plus 1.5 kHz at 0.25. */
const tone = (rate: number, seconds: number): Float32Array =>
  Float32Array.from(
    { length: Math.round(rate * seconds) },
    (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate) + 0.25 * Math.sin((2 * Math.PI * 1500 * i) / rate),
  );

/** Encodes float channels as a WAV of the given wavefile bit depth code ('8', '16', '24', '32', '32f'). */
function makeWav(channels: Float32Array[], rate: number, bitDepth: string): Uint8Array {
  const w = new WaveFile();
  const ints = bitDepth !== '32f';
  const bits = Number.parseInt(bitDepth, 10);
  const data = channels.map((ch) =>
    ints
      ? Array.from(ch, (x) => (bits === 8 ? Math.round(x * 127) + 128 : Math.round(x * (2 ** (bits - 1) - 1))))
      : Array.from(ch),
  );
  w.fromScratch(channels.length, rate, bitDepth, channels.length === 1 ? data[0]! : data);
  return w.toBuffer();
}

describe('decodeAudio: WAV', () => {
  it('decodes the real 16 kHz speech clip exactly', async () => {
    const d = await decodeAudio(speech.s0880);
    expect(d.sampleRate).toBe(16000);
    expect(d.channels).toHaveLength(1);
    expect(d.duration).toBeCloseTo(2.99, 2);
    const w = new WaveFile(readFileSync(speech.s0880));
    const ints = w.getSamples(false, Int16Array) as unknown as Int16Array;
    expect(d.channels[0]!.length).toBe(ints.length);
    for (let i = 0; i < ints.length; i += 97) expect(d.channels[0]![i]).toBe(ints[i]! / 32768);
  });

  const cases: [string, number, number][] = [
    ['8', 8000, 1 / 100],
    ['16', 22050, 1 / 16000],
    ['24', 44100, 1e-6],
    ['32', 48000, 1e-6],
    ['32f', 44100, 1e-7],
  ];
  for (const [bitDepth, rate, tol] of cases) {
    it(`decodes ${bitDepth}-bit stereo at ${rate} Hz within quantisation error`, async () => {
      const left = tone(rate, 0.2);
      const right = left.map((x) => -0.5 * x);
      const d = await decodeAudio(makeWav([left, right], rate, bitDepth));
      expect(d.sampleRate).toBe(rate);
      expect(d.channels).toHaveLength(2);
      expect(d.channels[0]!.length).toBe(left.length);
      let worst = 0;
      for (let i = 0; i < left.length; i++) {
        worst = Math.max(worst, Math.abs(d.channels[0]![i]! - left[i]!), Math.abs(d.channels[1]![i]! - right[i]!));
      }
      expect(worst).toBeLessThan(tol);
    });
  }

  it("16-bit and 32-bit float samples are exactly wavefile's (mono, stereo, extremes, a trailing partial frame)", async () => {
    for (const bitDepth of ['16', '32f'] as const) {
      for (const n of [1, 2]) {
        const chs = Array.from({ length: n }, (_, c) =>
          tone(16000, 0.05).map((x, i) => (i % 50 === 0 ? 1 : x * (c + 1) * 0.4)),
        );
        (chs[0] as Float32Array)[3] = -1;
        const bytes = new Uint8Array(makeWav(chs, 16000, bitDepth));
        // A data chunk one byte longer than whole frames (the RIFF sizes grown to match).
        const odd = new Uint8Array(bytes.length + 1);
        odd.set(bytes);
        const v = new DataView(odd.buffer);
        v.setUint32(4, v.getUint32(4, true) + 1, true);
        v.setUint32(40, v.getUint32(40, true) + 1, true);
        for (const file of [bytes, odd]) {
          const d = await decodeAudio(file);
          const w = new WaveFile(file);
          const raw = w.getSamples(false, Float64Array) as unknown as Float64Array | Float64Array[];
          const want = (Array.isArray(raw) ? raw : [raw]).map((ch) =>
            Float32Array.from(ch, (x) => (bitDepth === '16' ? x / 32768 : x)),
          );
          expect(d.channels).toHaveLength(n);
          for (let c = 0; c < n; c++) expect(d.channels[c]).toEqual(want[c]);
        }
      }
    }
  });

  it('decodes a 6-channel WAV and reads the WAV it encodes back', async () => {
    const chs = Array.from({ length: 6 }, (_, c) => tone(16000, 0.05).map((x) => x * (c + 1) * 0.1));
    const d = await decodeAudio(makeWav(chs, 16000, '16'));
    expect(d.channels).toHaveLength(6);
    const mono = toMono(d.channels);
    expect(mono[10]).toBeCloseTo(chs.reduce((s, ch) => s + ch[10]!, 0) / 6, 3);
  });
});

describe('decodeAudio: compressed formats (real speech, made by fixtures/audio/make-audio-fixtures.mjs)', () => {
  const reference = (): Float32Array => {
    const w = new WaveFile(readFileSync(speech.s0880));
    return Float32Array.from(w.getSamples(false, Float64Array), (x) => x / 32768);
  };
  const formats: [keyof typeof audio, number, number, number][] = [
    // [fixture, expected rate, channels, tolerance on duration (s): mp3 pads ~0.1 s, opus/aac lose or add a little]
    ['mp3', 16000, 1, 0.2],
    ['flac', 16000, 1, 0],
    ['oggStereo', 16000, 2, 0.05],
    ['opus', 48000, 1, 0.15],
    ['m4a', 16000, 1, 0.15],
  ];
  for (const [name, rate, channels, tol] of formats) {
    it(`${name}: rate ${rate}, ${channels} channel(s), length within ${tol} s, same loudness`, async () => {
      const d = await decodeAudio(audio[name]);
      expect(d.sampleRate).toBe(rate);
      expect(d.channels).toHaveLength(channels);
      expect(Math.abs(d.duration - 2.99)).toBeLessThanOrEqual(tol + 1e-9);
      const ref = reference();
      const pcm = await loadAudio(audio[name]);
      expect(pcm.sampleRate).toBe(16000);
      if (name === 'oggStereo') {
        // the stereo clip has opposite channels (right = -left): they stay strongly anti-correlated
        const [l, r] = [d.channels[0]!, d.channels[1]!];
        let lr = 0;
        for (let i = 0; i < l.length; i++) lr += l[i]! * r[i]!;
        expect(lr / (rms(l) * rms(r) * l.length)).toBeLessThan(-0.5); // vorbis q0 at 16 kHz: measured -0.68
        expect(rms(l) / rms(ref)).toBeGreaterThan(0.8);
      } else {
        expect(rms(pcm.samples) / rms(ref)).toBeGreaterThan(0.8);
        expect(rms(pcm.samples) / rms(ref)).toBeLessThan(1.2);
      }
    });
  }

  it('flac is lossless: identical samples to the WAV', async () => {
    const d = await decodeAudio(readFileSync(audio.flac));
    const ref = reference();
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(d.channels[0]![i]! - ref[i]!));
    expect(worst).toBeLessThan(1 / 32768); // under one 16-bit step (decoders scale by 1/32767 or 1/32768)
  });
});

describe('resample (polyphase windowed sinc = scipy.signal.resample_poly)', () => {
  it('matches scipy resample_poly 44.1 kHz -> 16 kHz on a chirp + tones (SNR > 100 dB)', () => {
    const x = readF32(audio.resampleIn44100);
    const golden = readF32(audio.resample44100To16000);
    const y = resample(x, 44100, 16000);
    expect(y.length).toBe(golden.length);
    const snr = snrDb(golden, y);
    expect(snr).toBeGreaterThan(100);
  });

  it('matches scipy resample_poly 8 kHz -> 16 kHz (SNR > 100 dB)', () => {
    const x = readF32(audio.resampleIn8000);
    const golden = readF32(audio.resample8000To16000);
    const y = resample(x, 8000, 16000);
    expect(y.length).toBe(golden.length);
    expect(snrDb(golden, y)).toBeGreaterThan(100);
  });

  it('removes a 10 kHz tone when going to 16 kHz (no alias at 6 kHz: about -57 dB), keeps a 1 kHz tone', () => {
    const n = 44100;
    const high = Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 10000 * i) / 44100));
    const low = Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 44100));
    const yh = resample(high, 44100, 16000);
    const yl = resample(low, 44100, 16000);
    // away from the edges, the 10 kHz tone is attenuated by more than 54 dB (measured: -57 dB, Kaiser beta 5)
    expect(rms(yh, 500, yh.length - 500) / rms(high)).toBeLessThan(2e-3);
    expect(rms(yl, 500, yl.length - 500) / rms(low)).toBeCloseTo(1, 2);
  });

  it('handles 48k, 22.05k and identity; output length is ceil(n * to / from)', () => {
    expect(resample(new Float32Array(48000), 48000, 16000).length).toBe(16000);
    expect(resample(new Float32Array(1001), 22050, 16000).length).toBe(Math.ceil((1001 * 16000) / 22050));
    const x = tone(16000, 0.01);
    expect(resample(x, 16000, 16000)).toEqual(x);
    expect(resample(new Float32Array(0), 44100, 16000).length).toBe(0);
    expect(() => resample(x, 0, 16000)).toThrow(expect.objectContaining({ code: 'ERR_RUN_INVALID_ARGUMENT' }));
    expect(() => resample(x, 44100.5, 16000)).toThrow(expect.objectContaining({ code: 'ERR_RUN_INVALID_ARGUMENT' }));
  });
});

describe('encodeWav / encodePcm16', () => {
  it('encodes s16le clipped and rounded', () => {
    expect([...encodePcm16(new Float32Array([0, 1, -1, 2, -2, 0.5, Number.NaN]))]).toEqual([
      0, 0, 0xff, 0x7f, 0x01, 0x80, 0xff, 0x7f, 0x01, 0x80, 0x00, 0x40, 0, 0,
    ]);
  });

  it('round-trips 16-bit and 32-bit float WAV through decodeAudio', async () => {
    const samples = tone(22050, 0.1);
    const w16 = encodeWav({ samples, sampleRate: 22050 });
    expect(w16.byteLength).toBe(44 + 2 * samples.length);
    expect(new TextDecoder().decode(w16.subarray(0, 4))).toBe('RIFF');
    const d16 = await decodeAudio(w16);
    expect(d16.sampleRate).toBe(22050);
    for (let i = 0; i < samples.length; i += 13)
      expect(Math.abs(d16.channels[0]![i]! - samples[i]!)).toBeLessThan(1 / 16000);
    const d32 = await decodeAudio(encodeWav({ samples, sampleRate: 22050 }, { bitDepth: 32 }));
    expect(d32.channels[0]).toEqual(samples);
  });
});

describe('loadAudio', () => {
  it('mixes to mono and resamples a 44.1 kHz stereo WAV to 16 kHz', async () => {
    const left = tone(44100, 1);
    const pcm = await loadAudio(makeWav([left, left], 44100, '16'));
    expect(pcm.sampleRate).toBe(16000);
    expect(pcm.samples.length).toBe(16000);
    expect(rms(pcm.samples, 200, 15800) / rms(left)).toBeCloseTo(1, 2);
  });

  it('takes PcmAudio and resamples it to the requested rate', async () => {
    const pcm = await loadAudio({ samples: tone(48000, 0.5), sampleRate: 48000 }, { sampleRate: 22050 });
    expect(pcm).toMatchObject({ sampleRate: 22050 });
    expect(pcm.samples.length).toBe(11025);
  });
});

describe('audio errors are typed and never hang', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lp-audio-'));
  const mp3 = readFileSync(audio.mp3);
  const wav = readFileSync(speech.s0880);

  it('empty bytes, empty file, missing file, directory', async () => {
    const empty = join(dir, 'empty.wav');
    writeFileSync(empty, '');
    expect(await codeOf(decodeAudio(new Uint8Array(0)))).toBe('ERR_RUN_AUDIO_DECODE');
    expect(await codeOf(decodeAudio(empty))).toBe('ERR_RUN_AUDIO_DECODE');
    expect(await codeOf(decodeAudio(join(dir, 'nope.wav')))).toBe('ERR_RUN_AUDIO_DECODE');
    expect(await codeOf(decodeAudio(dir))).toBe('ERR_RUN_AUDIO_DECODE');
    expect(await codeOf(loadAudio(42 as unknown as Uint8Array))).toBe('ERR_RUN_INVALID_ARGUMENT');
  });

  it('a text file or a JPEG is an unsupported format', async () => {
    const text = join(dir, 'notes.wav');
    writeFileSync(text, 'hello, this is not audio at all\n'.repeat(20));
    const e = await decodeAudio(text).catch((err: unknown) => err as Error);
    expect(e).toMatchObject({ code: 'ERR_RUN_AUDIO_UNSUPPORTED_FORMAT' });
    expect((e as Error).message).toMatchInlineSnapshot(
      `"The data is not a recognised audio file (it starts with "hello, t"). Expected one of: wav, mp3, flac, ogg (vorbis, opus, flac), m4a/mp4 (aac), aac (adts), webm, aiff, caf."`,
    );
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1]);
    expect(await codeOf(decodeAudio(jpeg))).toBe('ERR_RUN_AUDIO_UNSUPPORTED_FORMAT');
  });

  it('truncated and corrupt files are decode errors', async () => {
    expect(await codeOf(decodeAudio(wav.subarray(0, 30)))).toBe('ERR_RUN_AUDIO_DECODE');
    expect(await codeOf(decodeAudio(wav.subarray(0, 44)))).toBe('ERR_RUN_AUDIO_DECODE');
    expect(await codeOf(decodeAudio(mp3.subarray(0, 3)))).toBe('ERR_RUN_AUDIO_DECODE');
    const garbage = new Uint8Array(4096);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
    for (const f of [audio.flac, audio.oggStereo, audio.opus, audio.m4a]) {
      const head = readFileSync(f).subarray(0, 64);
      const bad = new Uint8Array(head.length + garbage.length);
      bad.set(head);
      bad.set(garbage, head.length);
      expect([await codeOf(decodeAudio(bad))], f).toEqual(['ERR_RUN_AUDIO_DECODE']);
    }
    // mpg123 resynchronises past garbage: one valid frame header then noise gives at most a few ms of audio
    const badMp3 = new Uint8Array(64 + garbage.length);
    badMp3.set(mp3.subarray(0, 64));
    badMp3.set(garbage, 64);
    const d = await decodeAudio(badMp3).catch((e: unknown) => e as Error);
    if (d instanceof Error) expect(d).toMatchObject({ code: 'ERR_RUN_AUDIO_DECODE' });
    else expect(d.duration).toBeLessThan(0.1);
    // an m4a cut short loses its index (moov atom at the end): a decode error
    const m4a = readFileSync(audio.m4a);
    expect(await codeOf(decodeAudio(m4a.subarray(0, m4a.length >> 1)))).toBe('ERR_RUN_AUDIO_DECODE');
  });

  it('a truncated mp3 decodes what is there', async () => {
    const d = await decodeAudio(mp3.subarray(0, Math.floor(mp3.length / 2)));
    expect(d.duration).toBeGreaterThan(1);
    expect(d.duration).toBeLessThan(2);
  });

  it('limits: bytes and duration (checked from the WAV header, and while decoding compressed audio)', async () => {
    expect(await codeOf(decodeAudio(wav, { maxBytes: 1000 }))).toBe('ERR_RUN_AUDIO_TOO_LONG');
    expect(await codeOf(decodeAudio(speech.s0880, { maxBytes: 1000 }))).toBe('ERR_RUN_AUDIO_TOO_LONG');
    expect(await codeOf(decodeAudio(wav, { maxDurationSeconds: 1 }))).toBe('ERR_RUN_AUDIO_TOO_LONG');
    expect(await codeOf(decodeAudio(mp3, { maxDurationSeconds: 1 }))).toBe('ERR_RUN_AUDIO_TOO_LONG');
    expect(
      await codeOf(loadAudio({ samples: new Float32Array(32000), sampleRate: 16000 }, { maxDurationSeconds: 1 })),
    ).toBe('ERR_RUN_AUDIO_TOO_LONG');
    expect(await codeOf(decodeAudio(wav, { maxBytes: -1 }))).toBe('ERR_RUN_INVALID_ARGUMENT');
  });
});
