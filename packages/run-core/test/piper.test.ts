import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  EspeakPhonemizer,
  joinClausePhonemes,
  parsePiperConfig,
  phonemesToIds,
  splitClauses,
} from '../src/families.js';

// The architecture-true random-weight Piper voice made by tools/fixtures (its .onnx.json has a real en-us
// phoneme_id_map, the one Piper's en voices use).
const fixtureJson = fileURLToPath(
  new URL('../../../tools/fixtures/models/piper-voice/voice.onnx.json', import.meta.url),
);
const config = parsePiperConfig(JSON.parse(readFileSync(fixtureJson, 'utf8')));
const id = (ph: string): number => config.phonemeIdMap.get(ph)![0]!;

describe('Piper voice config', () => {
  it('reads sample rate, espeak voice, inference scales and the phoneme map', () => {
    expect(config).toMatchObject({ sampleRate: 22050, espeakVoice: 'en-us', phonemeType: 'espeak', numSpeakers: 1 });
    expect(config.noiseScale).toBeCloseTo(0.667);
    expect(config.noiseW).toBeCloseTo(0.8);
    expect(config.phonemeIdMap.get('^')).toEqual([1]);
  });

  it('rejects configs that are not Piper voices', () => {
    for (const bad of [
      null,
      [],
      {},
      { audio: { sample_rate: 22050 } },
      { audio: { sample_rate: 22050 }, phoneme_id_map: { a: [1] } },
    ]) {
      expect(() => parsePiperConfig(bad)).toThrow(expect.objectContaining({ code: 'ERR_RUN_MODEL_UNRECOGNIZED' }));
    }
  });
});

describe('Piper phoneme ids', () => {
  it('BOS, PAD after every phoneme, EOS; code points after NFD; unknown phonemes reported', () => {
    const { ids, missing } = phonemesToIds('hˈi', config);
    expect(ids).toEqual([id('^'), id('_'), id('h'), id('_'), id('ˈ'), id('_'), id('i'), id('_'), id('$')]);
    expect(missing).toEqual([]);
    // 'ç' decomposes to 'c' + U+0327 (both in the map); '☃' is unknown
    const r = phonemesToIds('ç☃', config);
    expect(r.ids).toEqual([id('^'), id('_'), id('c'), id('_'), id('\u0327'), id('_'), id('$')]);
    expect(r.missing).toEqual(['☃']);
  });

  it('puts clause punctuation back after espeak lines', () => {
    expect(joinClausePhonemes(['həlˈoʊ', 'wˈɜːld'], splitClauses('Hello, world!'))).toBe('həlˈoʊ, wˈɜːld!');
    expect(joinClausePhonemes(['a b c'], splitClauses('A, b, c?'))).toBe('a b c?');
  });
});

describe('espeak-ng phonemizer (optional espeak-ng package, a devDependency here)', () => {
  const espeak = new EspeakPhonemizer();
  it('gives IPA with stress marks, one line per clause, as piper-phonemize does', async () => {
    expect(await espeak.phonemize('Hello, world!', 'en-us')).toEqual(['həlˈoʊ', 'wˈɜːld']);
    const lines = await espeak.phonemize('The quick brown fox jumps over the lazy dog.', 'en-us');
    expect(lines).toEqual(['ðə kwˈɪk bɹˈaʊn fˈɑːks dʒˈʌmps ˌoʊvɚ ðə lˈeɪzi dˈɑːɡ']);
    expect(await espeak.phonemize('-v de hallo', 'en-us')).toHaveLength(1);
  });

  it('other languages, unknown voices', async () => {
    expect(await espeak.phonemize('Guten Tag.', 'de')).toEqual(['ɡˈuːtən tˈɑːk']);
    await expect(espeak.phonemize('hello', 'xx-nope')).rejects.toMatchObject({ code: 'ERR_RUN_LANGUAGE_UNSUPPORTED' });
    expect(() => espeak.phonemize('hello', 'en us; rm')).toThrow(
      expect.objectContaining({ code: 'ERR_RUN_INVALID_ARGUMENT' }),
    );
  });
});
