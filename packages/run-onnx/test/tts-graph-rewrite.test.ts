import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rewriteVoiceGraph } from '@llama-pajamas/run-core/families';
import { OnnxSession, loadTextToSpeech } from '../src/index.js';
import { asset } from '../../../tools/test/assets.js';

// The architecture-true random-weight Piper voices of tools/fixtures (HiFi-GAN decoder with 1-D ConvTranspose
// upsampling layers, as every Piper voice has).
const root = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const voices = [
  root('tools/fixtures/models/piper-voice/voice.onnx'),
  root('tools/fixtures/models/piper-voice-multi/voice.onnx'),
];
const deterministic = { noiseScale: 0, noiseW: 0 } as const;
const text = 'The quick brown fox jumps over the lazy dog. Each sentence is spoken by the voice model!';
/** Nodes whose op_type (NodeProto field 4: tag 0x22, then the length) is `op`. */
const opCount = (bytes: Uint8Array, op: string): number =>
  Buffer.from(bytes)
    .toString('latin1')
    .split(`\x22${String.fromCharCode(op.length)}${op}`).length - 1;

describe('Piper voice graph rewrite (ConvTranspose → polyphase Conv, 1-D Conv → 2-D Conv)', () => {
  it('rewrites every ConvTranspose and every 1-D Conv of the fixture voices', async () => {
    for (const file of voices) {
      const bytes = new Uint8Array(readFileSync(file));
      const before = opCount(bytes, 'ConvTranspose');
      expect(before).toBeGreaterThan(0);
      const { model, upsampling, convolutions } = rewriteVoiceGraph(bytes);
      expect(upsampling).toBe(before);
      expect(opCount(model, 'ConvTranspose')).toBe(0);
      // Every Conv of a Piper voice is 1-D with its own weight: all of them, the polyphase ones too, became 2-D.
      expect(convolutions).toBe(opCount(bytes, 'Conv') + upsampling);
      expect(opCount(model, 'Conv')).toBe(convolutions);
      expect(opCount(model, 'Unsqueeze')).toBe(opCount(bytes, 'Unsqueeze') + convolutions);
      expect(opCount(model, 'Transpose')).toBe(opCount(bytes, 'Transpose') + upsampling);
      // Without the 2-D step: the polyphase Conv stays 1-D and the other convolutions are left alone.
      const oneD = rewriteVoiceGraph(bytes, { convolutions2d: false });
      expect(oneD).toMatchObject({ upsampling, convolutions: 0 });
      expect(opCount(oneD.model, 'ConvTranspose')).toBe(0);
      expect(opCount(oneD.model, 'Conv')).toBe(opCount(bytes, 'Conv') + upsampling);
      expect(opCount(oneD.model, 'Unsqueeze')).toBe(opCount(bytes, 'Unsqueeze'));
      // Picked by shape: each convolution (the polyphase ones with their own shape) is asked once.
      const asked: number[] = [];
      const some = rewriteVoiceGraph(bytes, {
        convolutions2d: (c) => (asked.push(c.outChannels), c.outChannels >= 128),
      });
      expect(asked).toHaveLength(convolutions);
      expect(some.upsampling).toBe(upsampling);
      expect(some.convolutions).toBe(asked.filter((c) => c >= 128).length);
      expect(some.convolutions).toBeGreaterThan(0);
      expect(some.convolutions).toBeLessThan(convolutions);
      expect(opCount(some.model, 'Unsqueeze')).toBe(opCount(bytes, 'Unsqueeze') + some.convolutions);
      // The same inputs and outputs; onnxruntime accepts the graph.
      const [a, b] = [await OnnxSession.create(bytes), await OnnxSession.create(model)];
      expect(b.inputs).toEqual(a.inputs);
      expect(b.outputs.map((o) => o.name)).toEqual(a.outputs.map((o) => o.name));
      await a.dispose();
      await b.dispose();
    }
  });

  it('speaks the same audio as the unmodified graph, up to float rounding', async () => {
    // Default threads (one per core): the 2-D convolutions that every thread gets work from; one intra-op
    // thread: all of them.
    for (const [file, threads] of voices.flatMap((v) => [[v, {}] as const, [v, { intraOpThreads: 1 }] as const])) {
      const [plain, poly] = [
        await loadTextToSpeech(file, { inference: deterministic, rewriteGraph: false, ...threads }),
        await loadTextToSpeech(file, { inference: deterministic, ...threads }),
      ];
      const [x, y] = [await plain.synthesize(text), await poly.synthesize(text)];
      expect(y.samples.length).toBe(x.samples.length);
      let max = 0;
      for (let i = 0; i < x.samples.length; i++) max = Math.max(max, Math.abs(x.samples[i]! - y.samples[i]!));
      expect(max).toBeLessThan(2e-4); // peak-normalised audio: one 16-bit step is 3e-5
      await plain.unload();
      await poly.unload();
    }
  });

  it('leaves bytes that are not a model as they are; a model without ConvTranspose keeps its ops', () => {
    const notPiper = new Uint8Array(readFileSync(asset('models/detection/FastestDet.onnx')));
    const r = rewriteVoiceGraph(notPiper);
    expect(r.upsampling).toBe(0);
    expect(opCount(r.model, 'ConvTranspose')).toBe(opCount(notPiper, 'ConvTranspose'));
    for (const bytes of [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.of(0x3a, 0xff, 0xff)]) {
      expect(rewriteVoiceGraph(bytes)).toEqual({ model: bytes, upsampling: 0, convolutions: 0 });
    }
  });
});
