import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NativeEspeakPhonemizer, phonemesToIds, splitSentences } from '@llama-pajamas/run-core/families';
import { loadTextToSpeech } from '../src/index.js';

// The random-weight fixture voice (tools/fixtures) and the real en_US-joe-medium (tools/fetch-test-voices.sh).
const root = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const voices = [
  root('tools/fixtures/models/piper-voice'),
  root('.cache/voices/en_US-joe-medium/en_US-joe-medium.onnx'),
].filter((v) => existsSync(v));
const nativeAvailable = (await NativeEspeakPhonemizer.open()) !== undefined;

const PARAGRAPH =
  'The quick brown fox jumps over the lazy dog. Streaming speech starts playing while the rest of the paragraph ' +
  'is still being synthesized. Each sentence is phonemized by espeak and spoken by the voice model! Is this the ' +
  'last sentence of the benchmark? Yes: it is, and on the 3rd of May, 2024, it cost $12.50.';

describe('Piper phonemizer choice at load', () => {
  it('reports the phonemizer it chose; espeak-ng-wasm on request', async () => {
    const auto = await loadTextToSpeech(voices[0]!, { load: false });
    expect(auto.phonemizerName).toBe(nativeAvailable ? 'libespeak-ng' : 'espeak-ng-wasm');
    const wasm = await loadTextToSpeech(voices[0]!, { load: false, phonemizer: 'espeak-ng-wasm' });
    expect(wasm.phonemizerName).toBe('espeak-ng-wasm');
    const custom = await loadTextToSpeech(voices[0]!, {
      load: false,
      phonemizer: { name: 'mine', phonemize: () => Promise.resolve(['a']) },
    });
    expect(custom.phonemizerName).toBe('mine');
  });

  it.skipIf(!nativeAvailable).each(voices)(
    'libespeak-ng gives the voice the same phoneme ids as the WASM package, sentence by sentence (%s; skipped only without libespeak-ng1, which tools/test/setup-speed.sh installs in CI)',
    async (voice) => {
      const native = await loadTextToSpeech(voice, { load: false, phonemizer: 'libespeak-ng' });
      const wasm = await loadTextToSpeech(voice, { load: false, phonemizer: 'espeak-ng-wasm' });
      expect(native.phonemizerName).toBe('libespeak-ng');
      for (const sentence of splitSentences(PARAGRAPH)) {
        const a = await native.phonemize(sentence);
        const b = await wasm.phonemize(sentence);
        expect(a, sentence).toBe(b);
        expect(phonemesToIds(a, native.config).ids).toEqual(phonemesToIds(b, wasm.config).ids);
      }
    },
    120_000,
  );
});
