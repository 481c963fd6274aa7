import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  EspeakPhonemizer,
  NativeEspeakPhonemizer,
  selectPhonemizer,
  splitClauses,
  joinClausePhonemes,
} from '../src/families.js';

// libespeak-ng1 comes from Debian (tools/test/setup-speed.sh installs it in CI); koffi is an optional dependency.
let reason = '';
const native = await NativeEspeakPhonemizer.open({ onMissing: (r) => (reason = r) });
const wasm = new EspeakPhonemizer();

/** The sentences the phonemizers are held to: Piper's test sentences, the benchmark paragraph, hard cases. */
const CASES: readonly (readonly [string, string])[] = [
  ['Hello, world!', 'en-us'],
  ['The quick brown fox jumps over the lazy dog.', 'en-us'],
  ['-v de hallo', 'en-us'],
  ['Guten Tag.', 'de'],
  [
    'The quick brown fox jumps over the lazy dog. Streaming speech starts playing while the rest of the paragraph ' +
      'is still being synthesized. Each sentence is phonemized by espeak and spoken by the voice model. This is ' +
      'the last sentence of the benchmark.',
    'en-us',
  ],
  [
    'Welcome to llama pajamas. It runs vision, speech and text models on your own machine; no cloud is needed!',
    'en-us',
  ],
  ['Does it work? Yes: it does.', 'en-us'],
  ['On the 3rd of May, 2024, Dr. Smith paid $12.50 for 7 apples — and 1,000 oranges.', 'en-us'],
  ["I'm sure you'll agree: it's the best... isn't it?", 'en-us'],
  ['Hello (world) "quoted" text; and more, more, more.', 'en-us'],
  ['USA, NASA and the UN met in NYC at 9am.', 'en-us'],
  ['The café served crème brûlée in München.', 'en-us'],
  ['¿Dónde está la biblioteca? Está aquí.', 'es'],
  ['Bonjour, comment allez-vous?', 'fr-fr'],
  ['Good   morning,\n\ttoday.', 'en-gb-x-rp'],
];

describe.skipIf(native === undefined)(
  `native espeak-ng phonemizer (libespeak-ng through koffi; skipped only without libespeak-ng1, which tools/test/setup-speed.sh installs in CI) ${reason}`,
  () => {
    const espeak = native as NativeEspeakPhonemizer;

    it('gives exactly the WASM package’s clause lines, so the same Piper phonemes, on every test sentence', async () => {
      expect(espeak.name).toBe('libespeak-ng');
      for (const [text, voice] of CASES) {
        const want = await wasm.phonemize(text, voice);
        const got = await espeak.phonemize(text, voice);
        expect(got, `${voice}: ${text}`).toEqual(want);
        // The library drops clause punctuation like the command line; the clause splitter puts it back.
        const clauses = splitClauses(text);
        expect(joinClausePhonemes(got, clauses)).toBe(joinClausePhonemes(want, clauses));
      }
    }, 120_000);

    it('is initialised once and reused; switching voices back and forth keeps each voice’s phonemes', async () => {
      const again = await NativeEspeakPhonemizer.open();
      expect(again?.libraryPath).toBe(espeak.libraryPath);
      const en = await espeak.phonemize('Hello, world!', 'en-us');
      const de = await espeak.phonemize('Guten Tag.', 'de');
      for (let i = 0; i < 50; i++) {
        expect(await espeak.phonemize('Hello, world!', 'en-us')).toEqual(en);
        expect(await again!.phonemize('Guten Tag.', 'de')).toEqual(de);
      }
    });

    it('sends voices the library lacks to the WASM fallback, and rejects bad names and unknown voices with typed errors', async () => {
      // Debian's espeak-ng 1.51 calls French 'fr'; the WASM package (1.52) also knows 'fr-fr'.
      expect(await espeak.phonemize('Bonjour.', 'fr-fr')).toEqual(await wasm.phonemize('Bonjour.', 'fr-fr'));
      expect(() => espeak.phonemize('hello', 'en us; rm')).toThrow(
        expect.objectContaining({ code: 'ERR_RUN_INVALID_ARGUMENT' }),
      );
      await expect(espeak.phonemize('hello', 'xx-nope')).rejects.toMatchObject({
        code: 'ERR_RUN_LANGUAGE_UNSUPPORTED',
      });
      expect(await espeak.phonemize('', 'en-us')).toEqual([]);
      expect(await espeak.phonemize('  \n ', 'en-us')).toEqual([]);
    });

    it('selectPhonemizer: auto and libespeak-ng pick the library, espeak-ng-wasm the package, others are refused', async () => {
      expect((await selectPhonemizer()).name).toBe('libespeak-ng');
      expect((await selectPhonemizer('libespeak-ng')).name).toBe('libespeak-ng');
      expect((await selectPhonemizer('espeak-ng-wasm')).name).toBe('espeak-ng-wasm');
      await expect(selectPhonemizer('espeak' as never)).rejects.toMatchObject({ code: 'ERR_RUN_INVALID_ARGUMENT' });
    });
  },
);

describe('without the library', () => {
  it('auto falls back to the WASM package; libespeak-ng is a typed error that says what to install', () => {
    // A fresh process: the library is opened once per process, and this one may have it.
    const script = [
      "const { selectPhonemizer } = await import('./src/families.ts');",
      "const auto = await selectPhonemizer('auto');",
      "let err; try { await selectPhonemizer('libespeak-ng'); } catch (e) { err = e; }",
      'console.log(JSON.stringify({ auto: auto.name, code: err?.code, message: err?.message }));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, LLAMA_PAJAMAS_ESPEAK_LIBRARY: '/nonexistent/libespeak-ng.so.1' },
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { auto: string; code: string; message: string };
    expect(r.auto).toBe('espeak-ng-wasm');
    expect(r.code).toBe('ERR_RUN_PHONEMIZER_NOT_FOUND');
    expect(r.message).toContain('/nonexistent/libespeak-ng.so.1');
    expect(r.message).toContain('apt-get install libespeak-ng1');
  }, 60_000);
});
