import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { describe, expect, it } from 'vitest';
import { RealFft } from '../src/families/whisper/fft.js';
import { logMelSpectrogram, melFilterBank } from '../src/families/whisper/log-mel.js';
import { whisperFixtures } from './fixtures/whisper/index.js';

interface MelCase {
  name: string;
  nMels: number;
  numSamples: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  binMeans: number[];
  frames: Record<string, number[]>;
}
interface MelGolden {
  cases: MelCase[];
  noise: number[];
}

const golden = JSON.parse(readFileSync(whisperFixtures.logMelGolden, 'utf8')) as MelGolden;

function readWav(name: string): Float32Array {
  const wav = new wavefile.WaveFile(readFileSync(join(whisperFixtures.speechDir, name)));
  const s = wav.getSamples(false, Int16Array) as unknown as Int16Array;
  const out = new Float32Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = (s[i] as number) / 32768;
  return out;
}

const clips = [
  'sense_and_sensibility_01_austen_64kb-0870.wav',
  'sense_and_sensibility_01_austen_64kb-0880.wav',
  'sense_and_sensibility_01_austen_64kb-0890.wav',
  'sense_and_sensibility_01_austen_64kb-0920.wav',
  'sense_and_sensibility_01_austen_64kb-0930.wav',
];

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function inputFor(name: string): Float32Array {
  const a0870 = readWav(clips[0] as string);
  const all = concat(clips.map(readWav));
  switch (name) {
    case '0870':
      return a0870;
    case '0880':
    case '0880-128':
      return readWav(clips[1] as string);
    case 'all-clips':
      return all;
    case 'truncated-49s':
      return concat([all, all]);
    case 'short-0.1s':
      return a0870.slice(0, 1600);
    case 'noise-0.125s':
      return Float32Array.from(golden.noise);
    default:
      throw new Error(`unknown case ${name}`);
  }
}

describe('RealFft', () => {
  // 400 = 2·(4·2·5·5); 50, 250: radix-5 only; 70 = 2·5·7: radix-5 and the generic butterfly; 194: a large prime.
  it.each([400, 512, 30, 50, 250, 70, 2 * 97])('matches a direct DFT for n = %i', (n) => {
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) + ((i * 7919) % 13) / 13 - 0.5);
    const fft = new RealFft(n);
    const power = new Float64Array(n / 2 + 1);
    fft.powerSpectrum(x, power);
    for (let k = 0; k <= n / 2; k++) {
      let re = 0;
      let im = 0;
      for (let t = 0; t < n; t++) {
        re += (x[t] as number) * Math.cos((-2 * Math.PI * k * t) / n);
        im += (x[t] as number) * Math.sin((-2 * Math.PI * k * t) / n);
      }
      expect(power[k]).toBeCloseTo(re * re + im * im, 8);
    }
  });

  it('powerSpectrumWindowed equals powerSpectrum of the windowed frame at any offset', () => {
    const fft = new RealFft(400);
    const signal = Float64Array.from({ length: 1000 }, (_, i) => Math.cos(i * 0.11) + ((i * 31) % 17) / 17);
    const window = Float64Array.from({ length: 400 }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / 400));
    const a = new Float64Array(201);
    const b = new Float64Array(201);
    for (const off of [0, 160, 599]) {
      fft.powerSpectrum(
        Float64Array.from(window, (w, i) => w * (signal[off + i] as number)),
        a,
      );
      fft.powerSpectrumWindowed(signal, off, window, b);
      expect(Array.from(b)).toEqual(Array.from(a));
    }
  });

  it('rejects odd sizes', () => {
    expect(() => new RealFft(401)).toThrow(RangeError);
  });
});

describe('melFilterBank', () => {
  it('has the slaney-normalised triangle layout of WhisperFeatureExtractor (80 x 201)', () => {
    const fb = melFilterBank(80);
    expect(fb.length).toBe(80 * 201);
    // Every filter has some weight; the filters overlap only with neighbours.
    for (let m = 0; m < 80; m++) expect(fb.subarray(m * 201, (m + 1) * 201).some((v) => v > 0)).toBe(true);
  });
});

describe('logMelSpectrogram vs HF WhisperFeatureExtractor', () => {
  it.each(golden.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const mel = logMelSpectrogram(inputFor(c.name), { nMels: c.nMels });
    expect(mel.nMels).toBe(c.nMels);
    expect(mel.nFrames).toBe(3000);
    const { data } = mel;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const v of data) {
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const mean = sum / data.length;
    let sq = 0;
    for (const v of data) sq += (v - mean) ** 2;
    expect(Math.abs(mean - c.mean)).toBeLessThan(1e-5);
    expect(Math.abs(Math.sqrt(sq / data.length) - c.std)).toBeLessThan(1e-5);
    expect(Math.abs(min - c.min)).toBeLessThan(1e-5);
    expect(Math.abs(max - c.max)).toBeLessThan(1e-5);
    let worst = 0;
    for (const [t, column] of Object.entries(c.frames)) {
      for (let m = 0; m < c.nMels; m++) {
        worst = Math.max(worst, Math.abs((data[m * 3000 + Number(t)] as number) - (column[m] as number)));
      }
    }
    for (let m = 0; m < c.nMels; m++) {
      let s = 0;
      for (let t = 0; t < 3000; t++) s += data[m * 3000 + t] as number;
      worst = Math.max(worst, Math.abs(s / 3000 - (c.binMeans[m] as number)));
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('gives the constant floor for empty audio', () => {
    const mel = logMelSpectrogram(new Float32Array(0));
    expect(new Set(mel.data).size).toBe(1);
    expect(mel.data[0]).toBeCloseTo(-1.5, 6); // ((-10 + 8 clamp from max -10) + 4) / 4
  });

  it('computes a 30 s window in well under a second', () => {
    const audio = inputFor('all-clips');
    logMelSpectrogram(audio);
    const t0 = performance.now();
    logMelSpectrogram(audio);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('rejects bad options with ERR_RUN_INVALID_ARGUMENT', () => {
    expect(() => logMelSpectrogram(new Float32Array(10), { nMels: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_RUN_INVALID_ARGUMENT' }),
    );
  });
});
