import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio, type Tensor, type WhisperSpeechToText } from '@llama-pajamas/run-core';
import {
  broadcastMatches,
  decodeWindow,
  logMelSpectrogram,
  rewriteCrossAttention,
  seededRandom,
  type WindowDecodeOptions,
} from '@llama-pajamas/run-core/families';
import { loadSpeechToText } from '../src/speech/whisper.js';
import { asset } from '../../../tools/test/assets.js';

// Provenance: tools/fixtures/models/MANIFEST.json (whisper-tiny, whisper-tiny-split: architecture-true random
// weights made by tools/fixtures/generate.py; whisper-tiny.en-int8: the real Whisper tiny.en); speech:
// tools/test/fetch-test-media.sh (LibriVox, public domain).
const FIXTURES = resolve(__dirname, '../../../tools/fixtures/models');
const SPEECH = asset('media/speech');
const CLIPS = readdirSync(SPEECH)
  .filter((f) => f.endsWith('.wav'))
  .sort();

/** Tokens, log-probabilities and no-speech probability, as exact text (JSON writes doubles round-trip exact). */
const exact = (r: Awaited<ReturnType<typeof decodeWindow>>): string =>
  JSON.stringify([r.tokens, r.tokenLogprobs, r.sumLogprob, r.avgLogprob, r.noSpeechProb, r.text]);

async function encodeClip(stt: WhisperSpeechToText, clip: string): Promise<Tensor> {
  const audio = await loadAudio(join(SPEECH, clip), { sampleRate: 16000 });
  const { nMels } = stt.pipeline.config;
  return stt.pipeline.encode(logMelSpectrogram(audio.samples, { nMels }).data, 1);
}

/** Decodes `hidden` with both loads of one model and expects the very same result. */
async function expectSame(
  original: WhisperSpeechToText,
  broadcast: WhisperSpeechToText,
  hidden: Tensor,
  opts: WindowDecodeOptions,
): Promise<number> {
  const a = original.pipeline;
  const b = broadcast.pipeline;
  const want = await decodeWindow(a.runner, a.tokenizer, a.config, hidden, opts);
  const got = await decodeWindow(b.runner, b.tokenizer, b.config, hidden, opts);
  expect(exact(got)).toBe(exact(want));
  return got.tokens.length;
}

describe('Whisper decoder rewrite: one copy of the encoder K/V broadcast over the beams', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'whisper-cross-attention-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('finds every layer of every export layout the fixtures have (merged fp32/fp16/int8, split with-past)', () => {
    const cases: [string, number][] = [
      ['whisper-tiny/onnx/decoder_model_merged.onnx', 2],
      ['whisper-tiny/onnx/decoder_model_merged_fp16.onnx', 2],
      ['whisper-tiny-split/onnx/decoder_with_past_model.onnx', 2],
      ['whisper-tiny.en-int8/onnx/decoder_model_merged_quantized.onnx', 4],
    ];
    for (const [file, layers] of cases) {
      const r = rewriteCrossAttention(readFileSync(join(FIXTURES, file)));
      expect(r?.layers, file).toBe(layers);
    }
    // A decoder without a cache reads no encoder K/V: nothing to rewrite.
    expect(rewriteCrossAttention(readFileSync(join(FIXTURES, 'whisper-tiny-split/onnx/decoder_model.onnx')))).toBe(
      undefined,
    );
    expect(rewriteCrossAttention(Uint8Array.of(1, 2, 3, 255))).toBe(undefined);
  });

  describe('real Whisper tiny.en int8', () => {
    let original: WhisperSpeechToText;
    let broadcast: WhisperSpeechToText;
    const hiddens: Tensor[] = [];
    beforeAll(async () => {
      const dir = join(FIXTURES, 'whisper-tiny.en-int8');
      original = await loadSpeechToText(dir, { vad: false, rewriteGraph: false });
      // Only the decoder rewrite differs between the two (the int8 encoder stays as exported in both).
      broadcast = await loadSpeechToText(dir, { vad: false, rewriteGraph: { encoderAttention: 'float' } });
      for (const clip of CLIPS) hiddens.push(await encodeClip(original, clip));
    }, 120_000);
    afterAll(async () => {
      await original?.unload();
      await broadcast?.unload();
    });

    it('keeps the rewritten graph (its probe logits are bit-identical) and the option turns it off', () => {
      expect(broadcast.pipeline.runner.broadcastsEncoderKv).toBe(true);
      expect(original.pipeline.runner.broadcastsEncoderKv).toBe(false);
    });

    it('beam 5 (with and without timestamps) and greedy on the five clips: the same tokens and log-probs', async () => {
      for (const [beamSize, withTimestamps] of [
        [5, true],
        [5, false],
        [1, true],
      ] as const) {
        for (const hidden of hiddens) {
          const n = await expectSame(original, broadcast, hidden, {
            temperature: 0,
            beamSize,
            withTimestamps,
            random: seededRandom(0),
          });
          expect(n).toBeGreaterThan(5);
        }
      }
    }, 600_000);

    it('beam 5 with a prompt (the second window of long audio): the same tokens and log-probs', async () => {
      const prompt = broadcast.pipeline.tokenizer.encode(' She was not in the least afraid of her brother.');
      await expectSame(original, broadcast, hiddens[1] as Tensor, {
        temperature: 0,
        beamSize: 5,
        withTimestamps: true,
        promptTokens: prompt,
        random: seededRandom(0),
      });
    }, 300_000);

    it('whole transcriptions with beam 5 are unchanged', async () => {
      const file = join(SPEECH, CLIPS[2] as string);
      const a = await original.transcribe(file, { beamSize: 5, temperature: 0 });
      const b = await broadcast.transcribe(file, { beamSize: 5, temperature: 0 });
      expect(b.text.length).toBeGreaterThan(20);
      expect(b).toEqual(a);
    }, 300_000);

    it('the load-time check tells a graph that cannot broadcast: the unmodified decoder given one K/V copy', async () => {
      // The exported graph reshapes a batch-1 K/V with the query's batch: wrong logits (or a failed run).
      const sessions = (original.pipeline.runner as unknown as { sessions: Parameters<typeof broadcastMatches>[0] })
        .sessions;
      expect(await broadcastMatches(sessions, sessions, original.pipeline.config.dModel)).toBe(false);
    }, 120_000);
  });

  it.each([
    ['whisper-tiny', 'merged fp32'],
    ['whisper-tiny', 'merged fp16'],
    ['whisper-tiny-split', 'split with-past'],
  ])(
    'random-weight %s (%s): beam 5 unchanged by the rewrite',
    async (name, layout) => {
      let dir = join(FIXTURES, name);
      if (name === 'whisper-tiny-split') {
        // The split export has no tokenizer of its own: it shares whisper-tiny's.
        dir = join(tmp, 'split');
        mkdirSync(dir);
        for (const f of ['onnx', 'config.json', 'generation_config.json', 'preprocessor_config.json'])
          symlinkSync(join(FIXTURES, name, f), join(dir, f));
        symlinkSync(join(FIXTURES, 'whisper-tiny', 'tokenizer.json'), join(dir, 'tokenizer.json'));
      }
      const dtype = layout.includes('fp16') ? ('fp16' as const) : ('fp32' as const);
      const original = await loadSpeechToText(dir, { vad: false, rewriteGraph: false, dtype });
      const broadcast = await loadSpeechToText(dir, { vad: false, dtype });
      try {
        expect(broadcast.pipeline.runner.broadcastsEncoderKv).toBe(true);
        const hidden = await encodeClip(original, CLIPS[0] as string);
        const prefix = { temperature: 0, beamSize: 5, withTimestamps: true, random: seededRandom(0) } as const;
        const n = await expectSame(original, broadcast, hidden, { ...prefix, maxNewTokens: 24, ignoreEot: true });
        expect(n).toBe(24);
      } finally {
        await original.unload();
        await broadcast.unload();
      }
    },
    300_000,
  );

  it('keeps the original graph when a layer is not laid out as expected (and still transcribes the same)', async () => {
    // The fixture's merged decoder with the first layer's K transpose changed to an equivalent-looking but
    // different pattern (perm [0, 2, 1] written as a second, identity Transpose after it).
    const dir = join(tmp, 'whisper-tiny-odd');
    cpSync(join(FIXTURES, 'whisper-tiny'), dir, { recursive: true });
    const file = join(dir, 'onnx/decoder_model_merged.onnx');
    const { onnx } = onnxProto;
    const model = onnx.ModelProto.decode(readFileSync(file));
    // protobufjs fills repeated fields with arrays.
    interface Node {
      opType?: string | null;
      input: string[];
      output: string[];
      attribute: { name?: string | null; g?: { node: Node[] } | null }[];
    }
    const top = model.graph as unknown as { node: Node[] };
    const branch = top.node.find((n) => n.opType === 'If')?.attribute.find((a) => a.name === 'then_branch')?.g;
    const nodes: Node[] = branch?.node ?? [];
    const at = nodes.findIndex((n) => n.opType === 'Reshape' && n.input[0] === 'past_key_values.0.encoder.key');
    expect(at).toBeGreaterThanOrEqual(0);
    const reshaped = nodes[at]?.output[0] as string;
    const extra = onnx.NodeProto.create({
      name: 'identity_transpose',
      opType: 'Transpose',
      input: [reshaped],
      output: [`${reshaped}_same`],
      attribute: [{ name: 'perm', type: 7, ints: [0, 1, 2] }],
    });
    for (const n of nodes) n.input = n.input.map((i) => (i === reshaped ? `${reshaped}_same` : i));
    nodes.splice(at + 1, 0, extra as unknown as Node);
    writeFileSync(file, onnx.ModelProto.encode(model).finish());
    expect(rewriteCrossAttention(readFileSync(file))).toBe(undefined);

    const odd = await loadSpeechToText(dir, { vad: false, dtype: 'fp32' });
    const plain = await loadSpeechToText(join(FIXTURES, 'whisper-tiny'), { vad: false, dtype: 'fp32' });
    try {
      expect(odd.pipeline.runner.broadcastsEncoderKv).toBe(false);
      const hidden = await encodeClip(plain, CLIPS[0] as string);
      const opts = {
        temperature: 0,
        beamSize: 3,
        withTimestamps: true,
        random: seededRandom(0),
        maxNewTokens: 16,
        ignoreEot: true,
      };
      await expectSame(odd, plain, hidden, opts);
    } finally {
      await odd.unload();
      await plain.unload();
    }
  }, 300_000);
});
