import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAudio } from '@llama-pajamas/run-core';
import { loadSpeechToText } from '../src/speech/whisper.js';
import { fileURLToPath } from 'node:url';
import { speech, whisperTinyEnInt8 } from './fixtures/index.js';

const WHISPER_TINY = fileURLToPath(new URL('../../../tools/fixtures/models/whisper-tiny', import.meta.url));

// batchTranscribe / transcribeBatch: shared encoder runs and batched greedy decoder steps must give every recording
// exactly what it gets alone, on real models and real speech.

const clip = (n: string): string => join(speech.dir, `sense_and_sensibility_01_austen_64kb-${n}.wav`);

async function inputs(): Promise<Float32Array[]> {
  const pcm = [];
  for (const n of ['0870', '0880', '0890']) pcm.push((await loadAudio(clip(n), { sampleRate: 16000 })).samples);
  const first = pcm[0] as Float32Array;
  const long = new Float32Array(16000 * 36);
  for (let o = 0; o + first.length <= long.length; o += first.length) long.set(first, o);
  return [
    ...pcm,
    new Float32Array(16000 * 2), // silence
    Float32Array.from({ length: 16000 * 4 }, (_, i) => 0.3 * Math.sin(i * 0.05)),
    long, // past 30 s: one by one
  ];
}

describe('Whisper transcribeBatch', () => {
  it('float32: batched encoder and decoder rows give the one-by-one results (silence, a tone, speech, and > 30 s)', async () => {
    const stt = await loadSpeechToText(WHISPER_TINY, { vad: false, intraOpThreads: 1 });
    try {
      const pcm = await inputs();
      const opts = { language: 'en', temperature: 0, maxNewTokens: 24 };
      const batch = await stt.pipeline.transcribeBatch(pcm, opts);
      const alone = [];
      for (const s of pcm) alone.push(await stt.pipeline.transcribePcm(s, opts));
      expect(batch).toEqual(alone);
      expect(JSON.stringify(batch)).toBe(JSON.stringify(alone));
      expect(stt.pipeline.batchVerdict).toEqual({ encoder: true, decoder: true });
      // The rows' first windows differ in content (rows leaving at their own EOT: whisper-batch-rows.test.ts).
      const firstWindow = batch
        .slice(0, 5)
        .map((r) => r.segments.filter((s) => s.seek === 0).reduce((n, s) => n + s.tokens.length, 0));
      expect(new Set(firstWindow).size).toBeGreaterThan(1);
    } finally {
      await stt.unload();
    }
  });

  it('int8 (one quantization scale per batch): the check finds batched rows differ and runs one by one', async () => {
    const stt = await loadSpeechToText(whisperTinyEnInt8, { dtype: 'int8', intraOpThreads: 1 });
    try {
      const files = ['0870', '0880', '0890', '0920'].map(clip);
      const batch = await stt.batchTranscribe(files, { temperature: 0 });
      expect(stt.pipeline.batchVerdict).toEqual({ encoder: false, decoder: false });
      for (const [i, f] of files.entries()) {
        expect(JSON.stringify(batch[i])).toBe(JSON.stringify(await stt.transcribe(f, { temperature: 0 })));
      }
      // Without the check the rows are batched; the text is then close, not guaranteed equal.
      stt.pipeline.batchMode = 'always';
      const always = await stt.batchTranscribe(files, { temperature: 0, vad: false });
      expect(always.map((r) => r.text.length > 0)).toEqual([true, true, true, true]);
    } finally {
      await stt.unload();
    }
  }, 240_000);
});
