import { readFileSync } from 'node:fs';
import { STTBackend } from '@llama-pajamas/run-core';
import { describe, expect, it } from 'vitest';
import { loadSpeechToText, loadSpeechToTextInWorkers } from '../src/index.js';

const model = new URL('../../../tools/fixtures/models/whisper-tiny.en-int8', import.meta.url).pathname;
const clip = readFileSync(new URL('../../../.cache/test-media/speech/sense_and_sensibility_01_austen_64kb-0870.wav', import.meta.url));

describe('smoke', () => {
  it('works', async () => {
    const w = await loadSpeechToTextInWorkers(model, { workers: 2, dtype: 'int8', intraOpThreads: 1 });
    expect(w).toBeInstanceOf(STTBackend);
    const progress: unknown[] = [];
    const [a, b] = await Promise.all([w.transcribe(clip, { onProgress: (p) => progress.push(p) }), w.transcribe(clip)]);
    const local = await loadSpeechToText(model, { dtype: 'int8', intraOpThreads: 1 });
    const c = await local.transcribe(clip);
    expect(JSON.stringify(a)).toBe(JSON.stringify(c));
    expect(JSON.stringify(b)).toBe(JSON.stringify(c));
    console.log(progress, a.text);
    await w.unload();
    await local.unload();
  });
});
