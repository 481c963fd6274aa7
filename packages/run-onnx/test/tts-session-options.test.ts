import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listBackends,
  registerBackend,
  unregisterBackend,
  type Backend,
  type ModelSource,
  type SessionOptions,
} from '@llama-pajamas/run-core';
import { convolutions2dFor, rewriteVoiceGraph, voiceSessionOptions } from '@llama-pajamas/run-core/families';
import { loadTextToSpeech, onnxBackend, splitSessionOptions } from '../src/index.js';

// Every session a Piper voice opens, with its options, through a backend that hands each call on to the real
// onnxruntime backend (registered as `onnx`, so the loader takes its onnx path: the in-memory graph rewrite).
const root = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const fixtureVoice = root('tools/fixtures/models/piper-voice/voice.onnx');
const realVoice = root('.cache/voices/en_US-joe-medium/en_US-joe-medium.onnx');
const opened: { model: ModelSource; options: SessionOptions | undefined }[] = [];
const recording: Backend = {
  init: (name) => onnxBackend.init(name),
  createSession(model, options) {
    opened.push({ model, options });
    return onnxBackend.createSession(model, options);
  },
  files: onnxBackend.files,
};
const deterministic = { noiseScale: 0, noiseW: 0 } as const;

beforeAll(() => {
  if (listBackends().includes('onnx')) unregisterBackend('onnx');
  registerBackend('onnx', recording, 100);
});
afterAll(() => unregisterBackend('onnx'));

/** Loads a voice, speaks once, unloads; returns the sessions it opened. */
async function sessionsOf(file: string, options: Parameters<typeof loadTextToSpeech>[1]): Promise<typeof opened> {
  opened.length = 0;
  const tts = await loadTextToSpeech(file, { inference: deterministic, ...options });
  await tts.synthesize('One sentence. And another one!');
  await tts.unload();
  return [...opened];
}

describe('Piper voice sessions: thread options and graph of every session opened', () => {
  it('two intra-op threads: one session, spinning off, 2-D convolutions only where both threads get work', async () => {
    const sessions = await sessionsOf(fixtureVoice, { intraOpThreads: 2, interOpThreads: 1 });
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.options).toEqual({
      name: 'voice.onnx',
      intraOpThreads: 2,
      interOpThreads: 1,
      allowSpinning: false,
    });
    const bytes = new Uint8Array(readFileSync(fixtureVoice));
    const expected = rewriteVoiceGraph(bytes, { convolutions2d: convolutions2dFor(2) });
    expect(expected.convolutions).toBeGreaterThan(0);
    expect(expected.convolutions).toBeLessThan(rewriteVoiceGraph(bytes).convolutions);
    expect(Buffer.from(sessions[0]!.model as Uint8Array).equals(Buffer.from(expected.model))).toBe(true);
  });

  it('one intra-op thread: no spinning option (no pool), every convolution 2-D', async () => {
    const sessions = await sessionsOf(fixtureVoice, { intraOpThreads: 1 });
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.options).toEqual({ name: 'voice.onnx', intraOpThreads: 1 });
    const all = rewriteVoiceGraph(new Uint8Array(readFileSync(fixtureVoice))).model;
    expect(Buffer.from(sessions[0]!.model as Uint8Array).equals(Buffer.from(all))).toBe(true);
  });

  it("keeps the caller's spinning choice; the default thread count gets spinning off; no rewrite opens the file", async () => {
    const [kept] = await sessionsOf(fixtureVoice, { intraOpThreads: 2, allowSpinning: true });
    expect(kept!.options).toMatchObject({ intraOpThreads: 2, allowSpinning: true });
    const [byDefault] = await sessionsOf(fixtureVoice, {});
    expect(byDefault!.options).toEqual({ name: 'voice.onnx', allowSpinning: false });
    const [plain] = await sessionsOf(fixtureVoice, { intraOpThreads: 2, rewriteGraph: false });
    expect(plain).toEqual({
      model: fixtureVoice,
      options: { name: 'voice.onnx', intraOpThreads: 2, allowSpinning: false },
    });
  });

  it('opens the session again with the same options after unload', async () => {
    opened.length = 0;
    const tts = await loadTextToSpeech(fixtureVoice, { intraOpThreads: 2 });
    await tts.unload();
    await tts.synthesize('Back again.');
    await tts.unload();
    expect(opened.map((o) => o.options)).toEqual([
      { name: 'voice.onnx', intraOpThreads: 2, allowSpinning: false },
      { name: 'voice.onnx', intraOpThreads: 2, allowSpinning: false },
    ]);
  });
});

describe('session option helpers', () => {
  it('voiceSessionOptions turns spinning off unless chosen or pointless', () => {
    expect(voiceSessionOptions({ intraOpThreads: 2 })).toEqual({ intraOpThreads: 2, allowSpinning: false });
    expect(voiceSessionOptions({})).toEqual({ allowSpinning: false });
    expect(voiceSessionOptions({ intraOpThreads: 1 })).toEqual({ intraOpThreads: 1 });
    expect(voiceSessionOptions({ intraOpThreads: 4, allowSpinning: true })).toEqual({
      intraOpThreads: 4,
      allowSpinning: true,
    });
  });

  it('convolutions2dFor: every convolution at one thread, at n threads those of at least n work items', () => {
    const conv = (outChannels: number) => ({ outChannels, inChannels: 64, kernel: 3, dilation: 1, group: 1 });
    expect([32, 64, 128, 1024].map((c) => convolutions2dFor(1)(conv(c)))).toEqual([true, true, true, true]);
    expect([32, 64, 65, 128, 1024].map((c) => convolutions2dFor(2)(conv(c)))).toEqual([false, false, true, true, true]);
    expect([128, 192, 256].map((c) => convolutions2dFor(4)(conv(c)))).toEqual([false, false, true]);
  });

  it('splitSessionOptions passes allowSpinning on to the session', () => {
    expect(splitSessionOptions({ allowSpinning: false, modelId: 'x' })).toEqual({
      session: { allowSpinning: false },
      rest: { modelId: 'x' },
    });
  });
});

describe.skipIf(!existsSync(realVoice))(
  `real voice en_US-joe-medium at two threads${existsSync(realVoice) ? '' : ' (skipped: run tools/fetch-test-voices.sh, which CI runs; the fixture-voice tests above run instead)'}`,
  () => {
    it('the graph picked for two threads speaks the unmodified graph’s audio, up to float rounding', async () => {
      const bytes = new Uint8Array(readFileSync(realVoice));
      const picked = rewriteVoiceGraph(bytes, { convolutions2d: convolutions2dFor(2) });
      // HiFi-GAN's 64- and 32-channel stages (12 convolutions and the 32→1 output) stay 1-D.
      expect([picked.upsampling, picked.convolutions]).toEqual([3, 116]);
      const text = 'The quick brown fox jumps over the lazy dog. Each sentence is spoken by the voice model!';
      const [plain, two] = [
        await loadTextToSpeech(realVoice, { inference: deterministic, intraOpThreads: 2, rewriteGraph: false }),
        await loadTextToSpeech(realVoice, { inference: deterministic, intraOpThreads: 2 }),
      ];
      const [x, y] = [await plain.synthesize(text), await two.synthesize(text)];
      expect(y.samples.length).toBe(x.samples.length);
      let max = 0;
      for (let i = 0; i < x.samples.length; i++) max = Math.max(max, Math.abs(x.samples[i]! - y.samples[i]!));
      expect(max).toBeLessThan(2e-4); // the tolerance of tts-graph-rewrite.test.ts: one 16-bit step is 3e-5
      await plain.unload();
      await two.unload();
    });
  },
);
