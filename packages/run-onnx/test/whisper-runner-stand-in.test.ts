import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadAudio,
  type InferenceSession,
  type RunOptions,
  type Tensor,
  type WhisperSpeechToText,
} from '@llama-pajamas/run-core';
import {
  decodeWindow,
  logMelSpectrogram,
  seededRandom,
  WhisperRunner,
  type WindowDecodeOptions,
} from '@llama-pajamas/run-core/families';
import { loadSpeechToText } from '../src/speech/whisper.js';
import { asset } from '../../../tools/test/assets.js';

// Provenance: tools/fixtures/models/MANIFEST.json (the real Whisper tiny.en, int8); speech:
// tools/test/fetch-test-media.sh (LibriVox, public domain).
const FIXTURES = resolve(__dirname, '../../../tools/fixtures/models');
const SPEECH = asset('media/speech');
const CLIPS = readdirSync(SPEECH)
  .filter((f) => f.endsWith('.wav'))
  .sort();

/** `[n, …]` copies of a batch-1 tensor. */
function repeat(t: Tensor, n: number): Tensor {
  const out = new Float32Array(t.data.length * n);
  for (let i = 0; i < n; i++) out.set(t.data as Float32Array, i * t.data.length);
  return { type: t.type, dims: [n, ...t.dims.slice(1)], data: out };
}

/**
 * The real decoder session, seen through a wrapper that records what cached steps were fed and, when `real` is
 * set, feeds them the real encoder states (repeated to the batch) instead of whatever the runner passed: the
 * way every step was fed before the runner learnt to pass a stand-in. `perturb` makes the cached branch depend on
 * the states it is fed (as an export that reads them there would).
 */
class Recording implements InferenceSession {
  hidden: Tensor | undefined;
  standInsSeen = 0;
  constructor(
    private readonly inner: InferenceSession,
    private readonly mode: 'real' | 'perturb',
  ) {}
  get inputs() {
    return this.inner.inputs;
  }
  get outputs() {
    return this.inner.outputs;
  }
  get metadata() {
    return this.inner.metadata;
  }
  async run(feeds: Record<string, Tensor>, options?: RunOptions): Promise<Record<string, Tensor>> {
    const cached = (feeds.use_cache_branch?.data as Uint8Array)[0] === 1;
    const given = feeds.encoder_hidden_states as Tensor;
    if (!cached) return this.inner.run(feeds, options);
    const isStandIn = given.dims[1] === 1;
    if (isStandIn) this.standInsSeen++;
    if (this.mode === 'real') {
      const batch = feeds.input_ids?.dims[0] as number;
      return this.inner.run({ ...feeds, encoder_hidden_states: repeat(this.hidden as Tensor, batch) }, options);
    }
    const out = await this.inner.run(feeds, options);
    if (isStandIn) {
      const logits = out.logits?.data as Float32Array;
      logits[0] = (logits[0] as number) + 1;
    }
    return out;
  }
  async dispose(): Promise<void> {}
  async [Symbol.asyncDispose](): Promise<void> {}
}

describe('Whisper runner: cached steps get a stand-in for the encoder states, with identical results', () => {
  let en: WhisperSpeechToText;
  const hiddens: Tensor[] = [];
  beforeAll(async () => {
    en = await loadSpeechToText(join(FIXTURES, 'whisper-tiny.en-int8'), { vad: false });
    for (const clip of CLIPS) {
      const audio = await loadAudio(join(SPEECH, clip), { sampleRate: 16000 });
      hiddens.push(await en.pipeline.encode(logMelSpectrogram(audio.samples, { nMels: 80 }).data, 1));
    }
  }, 120_000);
  afterAll(async () => {
    await en?.unload();
  });

  function sessionsOf(stt: WhisperSpeechToText): { encoder: InferenceSession; decoder: InferenceSession } {
    return (stt.pipeline.runner as unknown as { sessions: { encoder: InferenceSession; decoder: InferenceSession } })
      .sessions;
  }

  it('beam 5 and greedy on the five LibriVox clips: the same tokens and log-probabilities as with the real states', async () => {
    const { encoder, decoder } = sessionsOf(en);
    const recording = new Recording(decoder, 'real');
    const before = new WhisperRunner({ encoder, decoder: recording });
    const { tokenizer, config, runner } = en.pipeline;
    for (const beamSize of [5, 1]) {
      for (const hidden of hiddens) {
        recording.hidden = hidden;
        const opts: WindowDecodeOptions = { temperature: 0, beamSize, withTimestamps: true, random: seededRandom(0) };
        const got = await decodeWindow(runner, tokenizer, config, hidden, opts);
        const want = await decodeWindow(before, tokenizer, config, hidden, opts);
        expect(got.tokens.length).toBeGreaterThan(10);
        expect(got).toEqual(want);
      }
    }
    // The runner under test did pass stand-ins (the wrapper replaced them with the real states).
    expect(recording.standInsSeen).toBeGreaterThan(50);
  }, 300_000);

  it('falls back to the real states for good when the cached branch reads them', async () => {
    const { encoder, decoder } = sessionsOf(en);
    const perturbing = new Recording(decoder, 'perturb');
    const runner = new WhisperRunner({ encoder, decoder: perturbing });
    const { tokenizer, config } = en.pipeline;
    const opts: WindowDecodeOptions = { temperature: 0, beamSize: 2, withTimestamps: true, random: seededRandom(0) };
    const got = await decodeWindow(runner, tokenizer, config, hiddens[0] as Tensor, opts);
    const want = await decodeWindow(en.pipeline.runner, tokenizer, config, hiddens[0] as Tensor, opts);
    expect(got).toEqual(want);
    // Only the one check run saw a stand-in.
    expect(perturbing.standInsSeen).toBe(1);
  }, 120_000);
});

describe('Whisper runner: reordering a batch of beams (pooled encoder K/V)', () => {
  it('shrinks and regrows a batch > 1 and keeps each row the sequence it was (fp32 tiny, rows vs alone)', async () => {
    const tiny = await loadSpeechToText(join(FIXTURES, 'whisper-tiny'), { vad: false });
    try {
      const { runner } = tiny.pipeline;
      const audio = await loadAudio(join(SPEECH, CLIPS[0] as string), { sampleRate: 16000 });
      const hidden = await tiny.pipeline.encode(logMelSpectrogram(audio.samples, { nMels: 80 }).data, 1);
      const prefix = [50258, 50259, 50359];
      const state = runner.newState(1);
      await runner.step(state, [prefix], hidden);
      runner.reorder(state, [0, 0, 0]);
      await runner.step(state, [[440], [1133], [13]], hidden);
      // Batch 3 → 2 (rows 2 and 0), then 2 → 3 (0, 1, 1): the encoder K/V of a batch > 1 are gathered too.
      runner.reorder(state, [2, 0]);
      await runner.step(state, [[262], [290]], hidden);
      runner.reorder(state, [0, 1, 1]);
      await runner.step(state, [[11], [12], [13]], hidden);
      // Same batch, in place: a 3-cycle (every row overwritten by one that is overwritten too), then a repeat.
      runner.reorder(state, [1, 2, 0]);
      await runner.step(state, [[20], [21], [22]], hidden);
      runner.reorder(state, [2, 2, 0]);
      const got = await runner.step(state, [[30], [31], [32]], hidden);
      const alone = async (tokens: number[]) => {
        const s = runner.newState(1);
        return runner.step(s, [[...prefix, ...tokens]], hidden, { useCache: false });
      };
      // Rows before the cycle: A = 13 262 11, B = 440 290 12, C = 440 290 13; after [1, 2, 0]: B, C, A.
      const a = [13, 262, 11, 22];
      const want = [await alone([...a, 30]), await alone([...a, 31]), await alone([440, 290, 12, 20, 32])];
      want.forEach((w, b) => {
        const last = w.data.subarray((w.length - 1) * w.vocab, w.length * w.vocab);
        const row = got.data.subarray(b * got.vocab, (b + 1) * got.vocab);
        let worst = 0;
        for (let i = 0; i < row.length; i++)
          worst = Math.max(worst, Math.abs((row[i] as number) - (last[i] as number)));
        expect(worst).toBeLessThan(1e-3);
      });
      runner.release(state);
    } finally {
      await tiny.unload();
    }
  }, 120_000);
});
